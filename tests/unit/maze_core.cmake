# Maze core: grid, prompts, reference A* (test_maze_astar) and the corpus
# generator (test_gen). Both use the verifier as the judge of A* traces.
tf_unit_test(test_maze_astar LIBS tf_gen tf_verify)
tf_unit_test(test_gen LIBS tf_gen tf_verify)
