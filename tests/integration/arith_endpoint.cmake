# The arith domain through the endpoint path against the synthetic arith
# model of "tracefarm serve" (tests/integration/arith_endpoint.sh): chat and
# completions, with and without a reasoning part, 2 and 3 ranks, the cache
# source; the farm's counts against the server's injected ones. Skipped
# (exit 77) when the GSM8K file (TF_GSM8K, tests/unit/arith.cmake) is missing.
set(TF_GSM8K "${PROJECT_SOURCE_DIR}/../shared/data/gsm8k/test.jsonl"
    CACHE FILEPATH "GSM8K test split (JSONL) for test_arith_gsm8k")
add_test(NAME arith_endpoint COMMAND bash ${PROJECT_SOURCE_DIR}/tests/integration/arith_endpoint.sh)
set_tests_properties(arith_endpoint PROPERTIES
  LABELS "integration;mpi;endpoint"
  TIMEOUT 600
  SKIP_RETURN_CODE 77
  ENVIRONMENT "TF_BIN=$<TARGET_FILE:tracefarm>;MPIEXEC=${MPIEXEC_EXECUTABLE};TF_SRC=${PROJECT_SOURCE_DIR};TF_TMP=${PROJECT_BINARY_DIR}/tests/tmp/arith_endpoint;TF_GSM8K=${TF_GSM8K}")
