# Shard reading and the frame walk (corpus/); the shards come from the
# planner (coordinator/plan.c, hence tf_farm), as in a job. Writes its files
# under TF_TEST_TMP; TF_CORPUS_BIG=0 in the environment skips the 200 MB test.
tf_unit_test(test_corpus LIBS tf_farm)
