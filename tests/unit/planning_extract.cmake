# Plans read from a model's answer text (planning/extract.c, plantext.h).
# test_plantext_plan: hand-written cases of every form, the choice of the
# plan's block, refusals, caps and hostile texts; test_plantext_plan_data:
# the 1,500 o1-mini answers of the shared PlanBench data against
# PlanBench's extraction and verdicts (skipped, exit 77, when the data is
# missing).
set(TF_PLANBENCH "${PROJECT_SOURCE_DIR}/../shared/data/planbench"
    CACHE PATH "PlanBench JSONL directory for test_plantext_planbench")
tf_unit_test(test_plantext_plan LIBS tf_planning)
tf_unit_test(test_plantext_plan_data LIBS tf_planning ARGS ${TF_PLANBENCH})
set_tests_properties(test_plantext_plan_data PROPERTIES SKIP_RETURN_CODE 77)
