# jobs/slurm/maze.sbatch under a real one-node Slurm (installs slurm-wlm and
# munge with apt when missing; exit 77 = skipped when Slurm cannot run here).
tf_script_test(slurm LABELS "integration;mpi;slurm")
set_tests_properties(slurm PROPERTIES SKIP_RETURN_CODE 77 RUN_SERIAL TRUE)
