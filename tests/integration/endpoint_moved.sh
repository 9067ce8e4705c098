#!/usr/bin/env bash
# Endpoint settings that should not go unnoticed, and one that should not
# stop a job: an endpoint.params key no server knows draws one warning (rank 0
# only, naming the nearest known key) and is still sent; extra_params are sent
# without one; a job killed mid-way resumes against a server that moved (a new
# base_url, same model and parameters), says so, and gives the outputs of a
# run that was never interrupted. Another sample count is still another job.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/endpoint_lib.sh"

"$TF_BIN" gen maze --count 60 --rows 8 --cols 8 --generator mix --seed 21 --frame-items 6 \
    --out ep.jsonl.zst
start_serve a 60 --seed 7 --rows 8 --cols 8 --invalid-step-rate 0.3
PORT_A=$PORT
start_serve b 60 --seed 7 --rows 8 --cols 8 --invalid-step-rate 0.3
PORT_B=$PORT
P='"samples": 2, "backoff_ms": 1, "params": {"temperature": 0.7, "seed": 3, "temprature": 0.5, "min_p": 0.05}, "extra_params": {"my_knob": 1}'

# ---- params: warned once, on rank 0, and the run goes on
spec clean out-clean "$PORT_A" '["ep.jsonl.zst"]' 10 "$P"
run_job clean 3
check "clean: exit 0 or 3 (got $ST)" [ "$ST" -eq 0 ] || [ "$ST" -eq 3 ]
check "params typo: one warning naming the nearest key" \
    [ "$(grep -c 'warning: clean.json: key "endpoint.params.temprature" is not a known OpenAI or vLLM sampling parameter (did you mean "temperature"?)' clean.stderr)" -eq 1 ]
check "known params and extra_params draw no warning" \
    bash -c '! grep -E "min_p|my_knob|\"temperature\" is not" clean.stderr'
check "clean: 120 items" [ "$(wc -l < clean.items.jsonl)" -eq 120 ]

# ---- a job killed after 2 shards resumes against the moved server
spec moved out-moved "$PORT_A" '["ep.jsonl.zst"]' 10 "$P"
set +e
TF_TEST_KILL_AT=shard:2 mpi 3 run moved.json --quiet > moved.kill.out 2>&1
kst=$?
set -e
check "moved: the first run was killed (got $kst)" [ "$kst" -ne 0 ] && [ "$kst" -ne 3 ]
before_b=$(requests "$PORT_B")
spec moved out-moved "$PORT_B" '["ep.jsonl.zst"]' 10 "$P"
run_job moved 3
check "moved: the resume finished (got $ST)" [ "$ST" -eq 0 ] || [ "$ST" -eq 3 ]
check "moved: it resumed (not a fresh start)" grep -q "resuming job" moved.stderr
check "moved: it says the base_url moved, from where to where" grep -qF \
    "resuming with a new base_url: \"http://127.0.0.1:$PORT_B/v1\" (the job started with \"http://127.0.0.1:$PORT_A/v1\")" moved.stderr
check "moved: not refused as a different job" bash -c '! grep -q "different job" moved.stderr'
check "moved: the new server answered the rest" [ "$(requests "$PORT_B")" -gt "$before_b" ]
check "moved: items identical to the uninterrupted run" cmp -s moved.items.jsonl clean.items.jsonl
check "moved: summary identical to the uninterrupted run" cmp -s moved.summary.json clean.summary.json

# ---- another sample count is another job
spec other out-moved "$PORT_B" '["ep.jsonl.zst"]' 10 "${P/\"samples\": 2/\"samples\": 3}"
run_job other 0
check "other samples: refused, exit 2 (got $ST)" [ "$ST" -eq 2 ]
check "other samples: the difference named" grep -q 'different job (key "endpoint.samples": 2 before, 3 now)' other.stderr
done_tests
