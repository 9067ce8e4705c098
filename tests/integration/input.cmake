# Input checks before any work (tests/integration/input_checks.sh): corpus
# files that are not JSONL, a file listed twice, unusable output directories,
# an empty corpus, no guessed maze size. Real tracefarm, real mpirun.
tf_script_test(input_checks LABELS "integration;mpi")
