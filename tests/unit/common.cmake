tf_unit_test(test_stats LIBS tf_stats)
tf_unit_test(test_common LIBS tf_common)
