# endpoint.params warnings and a resume against a moved server
# (tests/integration/endpoint_moved.sh), under mpirun against "tracefarm serve".
add_test(NAME endpoint_moved COMMAND bash ${PROJECT_SOURCE_DIR}/tests/integration/endpoint_moved.sh)
set_tests_properties(endpoint_moved PROPERTIES
  LABELS "integration;mpi;endpoint"
  TIMEOUT 600
  ENVIRONMENT "TF_BIN=$<TARGET_FILE:tracefarm>;MPIEXEC=${MPIEXEC_EXECUTABLE};TF_SRC=${PROJECT_SOURCE_DIR};TF_TMP=${PROJECT_BINARY_DIR}/tests/tmp/endpoint_moved")
