# Statistics against an independent reference (scipy/numpy from apt's
# python3-scipy, via /usr/bin/python3), and end to end under mpirun.
add_test(NAME stats_scipy
         COMMAND /usr/bin/python3 ${PROJECT_SOURCE_DIR}/tests/integration/stats_scipy.py
                 $<TARGET_FILE:stats_driver>)
set_tests_properties(stats_scipy PROPERTIES LABELS "integration" TIMEOUT 900)
add_test(NAME stats_e2e COMMAND bash ${PROJECT_SOURCE_DIR}/tests/integration/stats_e2e.sh)
set_tests_properties(stats_e2e PROPERTIES
  LABELS "integration;mpi"
  TIMEOUT 900
  ENVIRONMENT "TF_BIN=$<TARGET_FILE:tracefarm>;MPIEXEC=${MPIEXEC_EXECUTABLE};TF_SRC=${PROJECT_SOURCE_DIR};TF_TMP=${PROJECT_BINARY_DIR}/tests/tmp/stats_e2e")
