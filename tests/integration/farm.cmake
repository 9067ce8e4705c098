# Integration tests: the real tracefarm binary, real mpirun, real zstd files.
function(tf_script_test name)
  cmake_parse_arguments(T "" "" "LABELS" ${ARGN})
  add_test(NAME ${name}
           COMMAND bash ${PROJECT_SOURCE_DIR}/tests/integration/${name}.sh)
  set_tests_properties(${name} PROPERTIES
    LABELS "${T_LABELS}"
    TIMEOUT 900
    ENVIRONMENT "TF_BIN=$<TARGET_FILE:tracefarm>;MPIEXEC=${MPIEXEC_EXECUTABLE};TF_SRC=${PROJECT_SOURCE_DIR};TF_TMP=${PROJECT_BINARY_DIR}/tests/tmp/${name}")
endfunction()

tf_script_test(determinism LABELS "integration;mpi")
tf_script_test(bad_input LABELS "integration;mpi")
tf_script_test(job_spec LABELS "integration")
tf_script_test(fields LABELS "integration;mpi")
tf_script_test(lock LABELS "integration;resume")
tf_script_test(progress LABELS "integration;mpi")
