# Records for every domain (tests/integration/records.sh): an OpenAI batch
# output file, a vLLM offline dump and an HF chat export read with "fields"
# alone, <think> blocks, reasoning fields and chat messages; the endpoint's
# reasoning_content (a real "tracefarm serve --reasoning-field") and <think>
# outputs replayed by a real server, through the cache too. Real mpirun.
tf_script_test(records LABELS "integration;mpi;endpoint")
