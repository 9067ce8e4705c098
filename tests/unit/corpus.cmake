# Corpus planning and reading (corpus/). Writes its files under
# TF_TEST_TMP; TF_CORPUS_BIG=0 in the environment skips the 200 MB test.
tf_unit_test(test_corpus LIBS tf_farm)
