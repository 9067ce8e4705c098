# Source "endpoint" end to end under mpirun against "tracefarm serve":
# faults, determinism (endpoint.sh); cache, API key, chat, prices, spec
# errors (endpoint_cache.sh); what the end of a run and "tracefarm show" say:
# truncation, warn_share, failures per last status, unfinished runs
# (endpoint_report.sh); run.json per invocation across a kill and a resume
# (endpoint_resume.sh); the preflight, the circuit breaker and --check
# (endpoint_fail.sh). Helpers in endpoint_lib.sh.
foreach(t endpoint endpoint_cache endpoint_report endpoint_resume endpoint_fail)
  add_test(NAME ${t} COMMAND bash ${PROJECT_SOURCE_DIR}/tests/integration/${t}.sh)
  set_tests_properties(${t} PROPERTIES
    LABELS "integration;mpi;endpoint"
    TIMEOUT 600
    ENVIRONMENT "TF_BIN=$<TARGET_FILE:tracefarm>;MPIEXEC=${MPIEXEC_EXECUTABLE};TF_SRC=${PROJECT_SOURCE_DIR};TF_TMP=${PROJECT_BINARY_DIR}/tests/tmp/${t}")
endforeach()
