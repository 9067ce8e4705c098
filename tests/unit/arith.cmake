# The arith module (arith/): expressions, the steps of a response, answers
# and reference solutions. test_arith: table-driven cases and hostile input;
# test_arith_gsm8k: every reference solution of the GSM8K test split (the
# shared data beside the repository; skipped, exit 77, when it is missing).
tf_unit_test(test_arith LIBS tf_arith)
set(TF_GSM8K "${PROJECT_SOURCE_DIR}/../shared/data/gsm8k/test.jsonl"
    CACHE FILEPATH "GSM8K test split (JSONL) for test_arith_gsm8k")
tf_unit_test(test_arith_gsm8k LIBS tf_arith ARGS ${TF_GSM8K})
set_tests_properties(test_arith_gsm8k PROPERTIES SKIP_RETURN_CODE 77)
