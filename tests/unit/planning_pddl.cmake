# The planning module (planning/): test_strips the simulator and the
# breadth-first planner on Blocksworld (against a brute-force search of its
# own), test_pddl the PDDL reader (domains, problems, plans, caps, refusals).
tf_unit_test(test_strips LIBS tf_planning)
tf_unit_test(test_pddl LIBS tf_planning)
