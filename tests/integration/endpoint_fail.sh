#!/usr/bin/env bash
# An endpoint job that cannot work fails fast, against real "tracefarm
# serve" servers and a closed port (docs/endpoint.md, "Failing fast"):
# - the preflight stops the job before any work, exit 2, naming the endpoint
#   and the cause: no connection, an unresolved host, TLS, 401 without and
#   with a wrong key, 404 for an unknown model (the served one named) and
#   for a base URL without /v1 (suggested), 400 on the job's parameters;
#   nothing is written, one request is sent; transient failures
#   (--fail-first) are retried and the job goes on; a passed preflight's
#   answer is cached, so the worker does not pay for it again;
# - --no-preflight: the circuit breaker stops a job whose attempts keep
#   failing with one permanent cause (a closed port alone; 401 on one of two
#   replicas under mpirun, where the healthy worker's shards are journaled
#   and the tripped one is not) or too often (--rate-500 and
#   breaker_failure_rate): exit 75, the cause named, and the job resumes to
#   outputs identical to an undisturbed run;
# - tracefarm run --check prints the shard count and the first request
#   without the key, runs the preflight, and writes no journal or output.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/endpoint_lib.sh"

"$TF_BIN" gen maze --count 40 --rows 8 --cols 8 --generator mix --seed 51 --out a.jsonl
A='["a.jsonl"]'
FAST='"backoff_ms": 1, "backoff_max_ms": 5'

# a port nothing listens on: bind one, note it, close it
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
completions() { # completions PORT [KEY]: completion requests answered (0 if no server)
    requests "$@" 2>/dev/null || echo 0
}
nothing_done() { # nothing_done OUT: no journal, no outputs
    [ ! -e "$1/.tracefarm-journal" ] && [ ! -e "$1/items.jsonl.zst" ] && [ ! -e "$1/run.json" ]
}

# --- the preflight ------------------------------------------------------------
# refused NAME PATTERN...: NAME.json stops at the preflight, exit 2, in under
# 10 s, its message matching every PATTERN (grep -E), nothing written
refused() {
    local name=$1 out t0 t1
    shift
    out=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['output'])" "$name.json")
    t0=$(date +%s)
    run_job "$name" 0
    t1=$(date +%s)
    check "$name: the preflight stops the job, exit 2 (got $ST)" [ "$ST" -eq 2 ]
    check "$name: within 10 s ($((t1 - t0)) s)" [ $((t1 - t0)) -lt 10 ]
    local p
    for p in "$@"; do
        check "$name: the message says '$p'" grep -qE -- "$p" "$name.stderr"
    done
    check "$name: says how to skip the check" grep -q -- "--no-preflight" "$name.stderr"
    check "$name: nothing done" nothing_done "$out"
}

CLOSED=$(free_port)
spec down down "$CLOSED" "$A" 10 "\"samples\": 4, $FAST"
refused down "POST http://127.0.0.1:$CLOSED/v1/completions" "server running"
check "down: curl's cause is said once" [ "$(grep -o "Couldn't connect to server" down.stderr | wc -l)" -eq 1 ]

spec tls tls "$CLOSED" "$A" 10 "$FAST"
start_serve plain 60 --rows 8 --cols 8
sed -i "s|http://127.0.0.1:$CLOSED/v1|https://127.0.0.1:$PORT/v1|" tls.json
refused tls "POST https://127.0.0.1:$PORT/v1/completions" "TLS"
stop "$PID"

# an unresolvable name, only where the resolver answers at once (a
# resolver that cannot be reached times out, which is transient)
if timeout 3 getent hosts tracefarm-test.invalid > /dev/null 2>&1 || [ $? -ne 124 ]; then
    spec dns dns "$CLOSED" "$A" 10 "\"connect_timeout_s\": 5, $FAST"
    sed -i "s|http://127.0.0.1:$CLOSED/v1|http://tracefarm-test.invalid/v1|" dns.json
    refused dns "tracefarm-test.invalid" "does not resolve"
else
    echo "note: the resolver does not answer; the DNS case is skipped"
fi

export TF_TEST_FAIL_KEY=sk-right-key TF_TEST_FAIL_WRONG=sk-wrong-key
start_serve strict 60 --rows 8 --cols 8 --api-key sk-right-key --strict-model
SP=$PORT
spec nokey nokey "$SP" "$A" 10 "$FAST"
refused nokey "HTTP 401" "endpoint.api_key_env"
check "nokey: one request" [ "$(completions "$SP" sk-right-key)" -eq 1 ]
spec badkey badkey "$SP" "$A" 10 "\"api_key_env\": \"TF_TEST_FAIL_WRONG\", $FAST"
refused badkey "HTTP 401" "refused the API key" "TF_TEST_FAIL_WRONG"
spec emptykey emptykey "$SP" "$A" 10 "\"api_key_env\": \"TF_TEST_FAIL_EMPTY\", $FAST"
TF_TEST_FAIL_EMPTY="" refused emptykey "HTTP 401" "sent none" '\$TF_TEST_FAIL_EMPTY, named by endpoint.api_key_env, is empty'
spec model model "$SP" "$A" 10 "\"api_key_env\": \"TF_TEST_FAIL_KEY\", $FAST"
sed -i 's/"tracefarm-maze-astar"/"gpt-nope"/' model.json
refused model "HTTP 404" 'unknown model "gpt-nope"' 'serves "tracefarm-maze-astar"'
spec nov1 nov1 "$SP" "$A" 10 "\"api_key_env\": \"TF_TEST_FAIL_KEY\", $FAST"
sed -i "s|:$SP/v1\"|:$SP\"|" nov1.json
refused nov1 "POST http://127.0.0.1:$SP/completions: HTTP 404" \
    "did you mean \"http://127.0.0.1:$SP/v1\""
spec params params "$SP" "$A" 10 "\"api_key_env\": \"TF_TEST_FAIL_KEY\", \"params\": {\"temperature\": 5}, $FAST"
refused params "HTTP 400" "temperature" "endpoint.params"
n0=$(completions "$SP" sk-right-key)
# one request each (nov1's went to /completions, which is not counted here)
check "the preflights sent one completion each, no more (server: $n0)" [ "$n0" -eq 5 ]
check "the key is never printed" sh -c "! grep -q 'sk-right-key\|sk-wrong-key' ./*.stderr ./*.stdout"

# a passed preflight: its answer is the worker's cache hit, paid once
spec good good "$SP" "$A" 10 "\"api_key_env\": \"TF_TEST_FAIL_KEY\", \"samples\": 2, $FAST"
run_job good 2
check "good: exit 0 (got $ST)" [ "$ST" -eq 0 ]
check "good: 80 requests for 80 samples, the preflight's included" \
    [ "$(( $(completions "$SP" sk-right-key) - n0 ))" -eq 80 ]
check "good: the first record's sample 0 is a cache hit; run.json counts the preflight" python3 - good/run.json <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))["fetch"]
assert f["cache_hits"] == 1 and f["requests"] == 80 and f["ok"] == 81, f
PY
stop "$PID"

# transient failures: retried as usual, and the job goes on
start_serve flaky 60 --rows 8 --cols 8 --fail-first 2
spec flaky flaky "$PORT" "$A" 10 "\"max_attempts\": 3, $FAST"
run_job flaky 0
check "flaky: a preflight that needs retries passes, exit 0 (got $ST)" [ "$ST" -eq 0 ]
check "flaky: items identical to the good run's first samples" python3 - flaky.items.jsonl good.items.jsonl <<'PY'
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2]) if json.loads(l)["sample"] == 0]
key = lambda i: (i["line"], i["trace_valid"], i["plan_valid"], i.get("trace_len"))
assert len(a) == 40 and [key(i) for i in a] == [key(i) for i in b]
PY
spec flaky2 flaky2 "$PORT" "$A" 10 "\"max_attempts\": 1, $FAST"
sed -i 's/"tracefarm-maze-astar"/"other-model"/' flaky2.json
run_job flaky2 0
check "flaky2: a preflight that fails transiently goes on, exit 4 (every item an error; got $ST)" [ "$ST" -eq 4 ]
check "flaky2: ... and says so" grep -q "HTTP 500.*may pass, so the job goes on" flaky2.stderr
stop "$PID"

# --- the circuit breaker (--no-preflight) ------------------------------------
# a closed port alone: stopped after 20 attempts, resumable once a server
# listens there
CP=$(free_port)
spec refuse refuse "$CP" "$A" 10 "\"max_attempts\": 5, \"concurrency\": 4, $FAST"
t0=$(date +%s)
run_job refuse 0 --no-preflight
t1=$(date +%s)
check "refuse: the breaker stops the job, exit 75 (got $ST)" [ "$ST" -eq 75 ]
check "refuse: at once ($((t1 - t0)) s)" [ $((t1 - t0)) -lt 10 ]
check "refuse: names the cause" \
    grep -q "stopped: the last 20 attempts at http://127.0.0.1:$CP/v1 failed with no connection" refuse.stderr
check "refuse: says how to resume" grep -q "run the same job again to resume (exit status 75)" refuse.stderr
check "refuse: no shard journaled, not ended" \
    sh -c "! grep -q '^done \|^end ' refuse/.tracefarm-journal"
start_serve late 60 --rows 8 --cols 8 --port "$CP"
run_job refuse 0 --no-preflight
check "refuse: resumed, exit 0 (got $ST)" [ "$ST" -eq 0 ]
spec same same "$PORT" "$A" 10 "$FAST"
run_job same 0
check "refuse: identical to an undisturbed run" cmp -s refuse.items.jsonl same.items.jsonl
stop "$PID"

# two replicas, the second wants a key that is not sent: its worker trips,
# the other one's shards are journaled; the tripped shard is not
start_serve open 60 --rows 8 --cols 8
OP=$PORT
OPID=$PID
KEYPORT=$(free_port)
start_serve keyed 60 --rows 8 --cols 8 --api-key sk-right-key --port "$KEYPORT"
KPID=$PID
cat > rep.json <<JSON
{"name": "ep", "domain": "maze", "corpus": $A, "output": "rep", "source": "endpoint",
 "maze": {"rows": 8, "cols": 8}, "shard_items": 5, "group_by": ["generator"],
 "endpoint": {"base_url": ["http://127.0.0.1:$OP/v1", "http://127.0.0.1:$KEYPORT/v1"],
              "model": "tracefarm-maze-astar", "samples": 4, "breaker_consecutive": 8, $FAST}}
JSON
run_job rep 3 --no-preflight
check "rep: the breaker of rank 2 stops the job, exit 75 (got $ST)" [ "$ST" -eq 75 ]
check "rep: names HTTP 401, the replica and the rank" \
    grep -q "stopped: .*the last 8 attempts at http://127.0.0.1:$KEYPORT/v1 failed with HTTP 401.*(rank 2)" rep.stderr
check "rep: the tripped shard is not journaled; rank 1's are" python3 - rep/.tracefarm-journal <<'PY'
import sys
recs = [l.split() for l in open(sys.argv[1]).read().splitlines()[1:]]
assert not [r for r in recs if r[0] == "end"], recs
ranks = {int(r[3]) for r in recs if r[0] == "done"}
assert ranks <= {1}, recs  # nothing from rank 2, whose every attempt failed
PY
# the keyed replica comes back without a key on the same port: resume
stop "$KPID"
start_serve keyed2 60 --rows 8 --cols 8 --port "$KEYPORT"
run_job rep 3 --no-preflight
check "rep: resumed, exit 0 (got $ST)" [ "$ST" -eq 0 ]
check "rep: 160 items, none failed" python3 - rep.items.jsonl <<'PY'
import json, sys
items = [json.loads(l) for l in open(sys.argv[1])]
assert len(items) == 160 and not [i for i in items if "error" in i], len(items)
PY
stop "$PID"
stop "$OPID"

# the failure rate: 70% of attempts fail with 500 (transient, retried),
# breaker_failure_rate 0.5 over 10 attempts stops the job
start_serve rate 60 --rows 8 --cols 8 --rate-500 0.7 --seed 3
spec rate rate "$PORT" "$A" 10 "\"max_attempts\": 10, \"breaker_failure_rate\": 0.5, \"breaker_window\": 10, $FAST"
run_job rate 0
check "rate: exit 75 (got $ST)" [ "$ST" -eq 75 ]
check "rate: names the rate" \
    grep -qE "stopped: ([5-9]|10) of the last 10 attempts at http://127.0.0.1:$PORT/v1 failed .*HTTP 500.*breaker_failure_rate is 0.5" rate.stderr
spec norate norate "$PORT" "$A" 10 "\"max_attempts\": 30, $FAST"
run_job norate 0
check "rate: 70 % is below the default rate (0.9): the retries get through, exit 0 (got $ST)" [ "$ST" -eq 0 ]
stop "$PID"
# a server that fails every attempt (transient 500s): the default rate rule
# stops the job after one window of attempts instead of failing the corpus
start_serve down 60 --rows 8 --cols 8 --rate-500 1
spec down down "$PORT" "$A" 10 "\"max_attempts\": 3, $FAST"
run_job down 0
check "down: the default rate rule stops it, exit 75 (got $ST)" [ "$ST" -eq 75 ]
check "down: names the default rate" \
    grep -qE "stopped: 100 of the last 100 attempts at http://127.0.0.1:$PORT/v1 failed .*HTTP 500.*breaker_failure_rate is 0.9" down.stderr
check "down: the server saw one window and the preflight, no more" \
    [ "$(requests "$PORT")" -le 110 ]
stop "$PID"

# --- tracefarm run --check ------------------------------------------------------
start_serve chk 60 --rows 8 --cols 8 --api-key sk-right-key
spec chk chk "$PORT" "$A" 7 "\"api_key_env\": \"TF_TEST_FAIL_KEY\", \"samples\": 3, $FAST"
set +e
"$TF_BIN" run --check chk.json > chk.out 2> chk.err
st=$?
set -e
check "check: exit 0 (got $st)" [ "$st" -eq 0 ]
check "check: the shard count" grep -qE '"endpoint"; 1 corpus file in [0-9]+ shards' chk.out
check "check: the first request's URL" grep -q "^  POST http://127.0.0.1:$PORT/v1/completions$" chk.out
check "check: its body" python3 - chk.out <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
body = json.loads([l for l in lines if l.startswith("  {")][0])
assert body["model"] == "tracefarm-maze-astar" and body["prompt"].startswith("start ") and "seed" in body, body
PY
check "check: the key's variable, never the key" \
    sh -c "grep -q 'Bearer \$TF_TEST_FAIL_KEY (the key is not shown)' chk.out && ! grep -q sk-right-key chk.out chk.err"
check "check: the preflight passed" grep -q "preflight: http://127.0.0.1:$PORT/v1/completions: ok (HTTP 200" chk.out
check "check: no journal, no outputs" nothing_done chk
check "check: one request" [ "$(completions "$PORT" sk-right-key)" -eq 1 ]
set +e
TF_TEST_FAIL_KEY=sk-wrong-key "$TF_BIN" run --check chk.json > chk2.out 2> chk2.err
st=$?
"$TF_BIN" run --check --no-preflight chk.json > chk3.out 2> chk3.err
st3=$?
set -e
check "check: a wrong key, exit 2 (got $st)" [ "$st" -eq 2 ]
check "check: ... though the cache holds the answer" grep -q "asking the server anyway" chk2.out
check "check: ... naming HTTP 401" grep -q "preflight: POST .*HTTP 401" chk2.err
check "check --no-preflight: exit 0, the request shown (got $st3)" \
    sh -c "[ $st3 -eq 0 ] && grep -q '^  POST ' chk3.out"
check "check --no-preflight: nothing sent" [ "$(completions "$PORT" sk-right-key)" -eq 2 ]
stop "$PID"
printf '{"name": "x", "domain": "maze", "corpus": ["a.jsonl"], "output": "chk-rec", "maze": {"rows": 8, "cols": 8}}\n' > rec.json
set +e
"$TF_BIN" run --check rec.json > rec.out 2> rec.err
st=$?
printf '{"name": "x", "domain": "maze", "corpus": ["a.jsonl"], "output": "chk-bad", "maze": {"rows": 0}}\n' > bad.json
"$TF_BIN" run --check bad.json > bad.out 2> bad.err
st2=$?
set -e
check "check, source record: exit 0, no request (got $st)" \
    sh -c "[ $st -eq 0 ] && grep -q 'no request is sent' rec.out"
check "check, source record: no output directory" [ ! -e chk-rec ]
check "check, a bad spec: exit 2 naming the key (got $st2)" \
    sh -c "[ $st2 -eq 2 ] && grep -q 'maze.rows' bad.err"

done_tests
