# valgrind --leak-check=full over whole jobs (label "leak"; exit 77 = skipped
# when valgrind is missing).
tf_script_test(leak LABELS "leak;mpi")
set_tests_properties(leak PROPERTIES SKIP_RETURN_CODE 77)
