# Journal and resume, signals, stragglers (docs/resume.md); leak check.
# tf_script_test comes from farm.cmake (fragments are included in sorted
# order, so it is defined by now).
tf_script_test(kill_resume LABELS "integration;mpi;resume")
tf_script_test(signals LABELS "integration;mpi;resume")
tf_script_test(straggler LABELS "integration;mpi;resume")
