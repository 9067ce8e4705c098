# The arith domain on GSM8K through the farm (tests/integration/arith_gsm8k.sh):
# jobs/arith-gsm8k.json under mpirun and without, its figures recounted in
# Python, and corpora with injected errors, fixed steps and wrong answers.
# Skipped (exit 77) when the GSM8K file (TF_GSM8K, tests/unit/arith.cmake) is
# missing.
set(TF_GSM8K "${PROJECT_SOURCE_DIR}/../shared/data/gsm8k/test.jsonl"
    CACHE FILEPATH "GSM8K test split (JSONL) for test_arith_gsm8k")
tf_script_test(arith_gsm8k LABELS "integration;mpi")
set_property(TEST arith_gsm8k APPEND PROPERTY ENVIRONMENT "TF_GSM8K=${TF_GSM8K}")
set_tests_properties(arith_gsm8k PROPERTIES SKIP_RETURN_CODE 77)
