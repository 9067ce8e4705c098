# Maze trace verifier (verify/maze_rules.c): hand-built cases in
# tests/data/maze/ and unit tests (scale, random bytes).
tf_unit_test(test_maze_cases LIBS tf_verify)
if(EXISTS ${PROJECT_SOURCE_DIR}/tests/unit/test_maze_verify.c)
  tf_unit_test(test_maze_verify LIBS tf_verify)
endif()
