# tracefarm serve (serve/): the synthetic maze model and the replay table as
# functions, and the HTTP server for real on 127.0.0.1 (the test re-executes
# itself as "test_serve serve ARGS...", which runs tf_serve_main) with libcurl.
tf_unit_test(test_serve LIBS tf_serve tf_verify PkgConfig::CURL LABELS "unit;serve")
# The arith side of tracefarm serve as functions: the corpus loader, finding
# the question in a prompt, the model (test_serve_arith); and every problem
# of the GSM8K test split in every style with every injection, rescanned
# (test_serve_arith_gsm8k; skipped, exit 77, when the file is missing; the
# cache variable TF_GSM8K of tests/unit/arith.cmake names it).
tf_unit_test(test_serve_arith LIBS tf_serve LABELS "unit;serve")
add_test(NAME test_serve_arith_gsm8k COMMAND test_serve_arith ${TF_GSM8K})
set_tests_properties(test_serve_arith_gsm8k PROPERTIES LABELS "unit;serve" TIMEOUT 300
                     SKIP_RETURN_CODE 77)
# The planner model of tracefarm serve as functions (test_serve_plan):
# hand-made Blocksworld problems in every mode, read back and simulated;
# and every PlanBench prompt in every mode (test_serve_plan_planbench;
# skipped, exit 77, when the files are missing).
set(TF_PLANBENCH "${PROJECT_SOURCE_DIR}/../shared/data/planbench"
    CACHE PATH "PlanBench JSONL directory for test_plantext_planbench")
tf_unit_test(test_serve_plan LIBS tf_serve LABELS "unit;serve")
add_test(NAME test_serve_plan_planbench COMMAND test_serve_plan ${TF_PLANBENCH})
set_tests_properties(test_serve_plan_planbench PROPERTIES LABELS "unit;serve" TIMEOUT 300
                     SKIP_RETURN_CODE 77)
