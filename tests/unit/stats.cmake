# Statistics (stats/). test_stats itself is
# registered in common.cmake; test_stats_num checks the exact arithmetic
# and order statistics. stats_driver is not a test: it feeds facts from a
# JSONL file to the module for tests/integration/stats_scipy.py.
tf_unit_test(test_stats_num LIBS tf_stats)
add_executable(stats_driver ${PROJECT_SOURCE_DIR}/tests/unit/stats_driver.c)
target_link_libraries(stats_driver PRIVATE tf_stats)
