# The blocksworld domain through the endpoint path against the synthetic
# planner of "tracefarm serve" (tests/integration/plan_endpoint.sh): chat
# with reasoning_content on 2 and 3 ranks, completions with <think> and
# plain; the farm's plan_valid, plan_optimal and first_error counts against
# the server's. Skipped (exit 77) when the PlanBench files (TF_PLANBENCH,
# tests/unit/planning_prompt.cmake) are missing.
set(TF_PLANBENCH "${PROJECT_SOURCE_DIR}/../shared/data/planbench"
    CACHE PATH "PlanBench JSONL directory for test_plantext_planbench")
add_test(NAME plan_endpoint COMMAND bash ${PROJECT_SOURCE_DIR}/tests/integration/plan_endpoint.sh)
set_tests_properties(plan_endpoint PROPERTIES
  LABELS "integration;mpi;endpoint"
  TIMEOUT 600
  SKIP_RETURN_CODE 77
  ENVIRONMENT "TF_BIN=$<TARGET_FILE:tracefarm>;MPIEXEC=${MPIEXEC_EXECUTABLE};TF_SRC=${PROJECT_SOURCE_DIR};TF_TMP=${PROJECT_BINARY_DIR}/tests/tmp/plan_endpoint;TF_PLANBENCH=${TF_PLANBENCH}")
