# Hostile input end to end (tests/integration/hostile.sh): malformed and
# mistyped records, deep nesting, invalid UTF-8, NUL bytes, huge lines,
# damaged zstd, far-out coordinates, a 2-million-operation trace, empty and
# unreadable files; outputs compared across rank counts and shard sizes.
add_test(NAME hostile COMMAND bash ${PROJECT_SOURCE_DIR}/tests/integration/hostile.sh)
set_tests_properties(hostile PROPERTIES
  LABELS "integration;mpi"
  TIMEOUT 600
  ENVIRONMENT "TF_BIN=$<TARGET_FILE:tracefarm>;MPIEXEC=${MPIEXEC_EXECUTABLE};TF_SRC=${PROJECT_SOURCE_DIR};TF_TMP=${PROJECT_BINARY_DIR}/tests/tmp/hostile")
