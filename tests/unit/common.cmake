tf_unit_test(test_stats LIBS tf_common)
tf_unit_test(test_common LIBS tf_common)
