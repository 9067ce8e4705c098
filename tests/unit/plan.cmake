# Shard planning (coordinator/plan.c): frame grouping, several files, the
# pinned plan hash. Writes its files under TF_TEST_TMP (prefix plan_).
tf_unit_test(test_plan LIBS tf_farm)
