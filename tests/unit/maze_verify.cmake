# Maze trace verifier (verify/maze_rules.c): invariants, scale, random
# bytes, every A* variant, and the coverage of the cases in tests/data/maze/
# (test_cases checks their expectations).
tf_unit_test(test_maze_verify LIBS tf_verify)
