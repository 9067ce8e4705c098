# The blocksworld domain on PlanBench's o1-mini results through the farm
# (tests/integration/planbench.sh): agreement with PlanBench's verdicts, the
# disagreements of docs/blocksworld.md, ground truths in prose. Skipped
# (exit 77) when the data (TF_PLANBENCH, tests/unit/planning_*.cmake) is missing.
set(TF_PLANBENCH "${PROJECT_SOURCE_DIR}/../shared/data/planbench"
    CACHE PATH "PlanBench o1-mini results (JSONL) for the planning tests")
tf_script_test(planbench LABELS "integration;mpi")
set_property(TEST planbench APPEND PROPERTY ENVIRONMENT "TF_PLANBENCH=${TF_PLANBENCH}")
set_tests_properties(planbench PROPERTIES SKIP_RETURN_CODE 77)
