# Maze trace verifier (worker/verify/maze_rules.c): hand-built cases in
# tests/data/maze/ and unit tests (scale, random bytes).
tf_unit_test(test_maze_cases LIBS tf_mazeverify tf_mazecore tf_common)
if(EXISTS ${PROJECT_SOURCE_DIR}/tests/unit/test_maze_verify.c)
  tf_unit_test(test_maze_verify LIBS tf_mazeverify tf_mazecore tf_common)
endif()
