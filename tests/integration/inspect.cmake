# Inspecting items (tests/integration/inspect_items.sh): group values in
# items, keep_output (record, endpoint and cache sources), run --limit
# against a corpus cut by hand, with kills and resumes. Real mpirun and a
# real "tracefarm serve".
tf_script_test(inspect_items LABELS "integration;mpi")
