# PlanBench prompts read into planning tasks, plans and prompts written
# (planning/prompt.c, plantext.h). test_plantext_prompt: hand-written cases
# of each vocabulary and hostile prompts; test_plantext_planbench: the 1,500
# prompts of the shared PlanBench data beside the repository (skipped, exit
# 77, when it is missing).
set(TF_PLANBENCH "${PROJECT_SOURCE_DIR}/../shared/data/planbench"
    CACHE PATH "PlanBench JSONL directory for test_plantext_planbench")
tf_unit_test(test_plantext_planbench LIBS tf_planning ARGS ${TF_PLANBENCH})
set_tests_properties(test_plantext_planbench PROPERTIES SKIP_RETURN_CODE 77)
