#!/usr/bin/env bash
# tracefarm serve end to end: generate a maze corpus, ask the synthetic model
# for every prompt over HTTP (curl for the plain checks, python3 for the
# corpus loop), verify the answers with "tracefarm run", and check the
# verdicts the server's options promise: all strictly valid and optimal with
# every rate 0, every trace invalid yet every plan valid with
# --invalid-step-rate 1. Also: identical bytes on a re-run, --api-key-env,
# /stats, --stats-file, SIGTERM. Every server has --idle-exit and is killed
# by the EXIT trap, so nothing is left running.
#
# The server binary is "$TF_BIN serve" once tracefarm dispatches "serve";
# until then the test_serve executable (TF_SERVE_FALLBACK), which runs the
# same tf_serve_main. Servers start with start_serve (lib.sh).
. "$(dirname "$0")/lib.sh"

# shellcheck disable=SC2034  # SERVE is read by start_serve (lib.sh)
"$TF_BIN" serve --help >/dev/null 2>&1 || SERVE=("${TF_SERVE_FALLBACK:?}" serve)
command -v curl >/dev/null || { echo "curl is not installed (scripts/setup.sh installs it)"; exit 1; }
trap kill_servers EXIT

stop() { # stop PID: SIGTERM and wait (10 s at most); returns its status
    local pid=$1
    kill -TERM "$pid"
    for _ in $(seq 200); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    wait "$pid"
}

"$TF_BIN" gen maze --count 60 --rows 8 --cols 8 --generator mix --seed 21 --out sf.jsonl
"$TF_BIN" gen maze --count 40 --rows 8 --cols 8 --generator mix --seed 22 --dialect beyond \
    --out by.jsonl

# ask DIALECT PORT IN OUT [KEY]: one request per record (completions for
# searchformer, chat for beyond), written as a corpus with the served output
ask() {
    python3 - "$@" <<'PY'
import json, sys, urllib.request
dialect, port, src, dst = sys.argv[1:5]
key = sys.argv[5] if len(sys.argv) > 5 else None
out = open(dst, "w")
for i, line in enumerate(open(src)):
    r = json.loads(line)
    if dialect == "searchformer":
        path, body = "/v1/completions", {"prompt": r["prompt"], "seed": i, "max_tokens": 100000}
    else:
        q = r["text"].split(" reasoning ")[0]
        path = "/v1/chat/completions"
        body = {"messages": [{"role": "user", "content": q}], "seed": i}
    req = urllib.request.Request("http://127.0.0.1:%s%s" % (port, path),
                                 data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    if key:
        req.add_header("Authorization", "Bearer " + key)
    resp = json.load(urllib.request.urlopen(req, timeout=10))
    ch = resp["choices"][0]
    assert ch["finish_reason"] == "stop", ch
    if dialect == "searchformer":
        rec = {"id": r["id"], "prompt": r["prompt"], "output": ch["text"],
               "reference": r["reference"]}
    else:
        rec = {"id": r["id"], "text": q + " " + ch["message"]["content"],
               "reference": r["reference"]}
    out.write(json.dumps(rec) + "\n")
PY
}

verify() { # verify NAME CORPUS: run the farm on it; items in NAME.items.jsonl
    cat > "$1.json" <<JSON
{"name": "$1", "domain": "maze", "corpus": ["$2"], "output": "$1",
 "source": "record", "maze": {"rows": 8, "cols": 8}}
JSON
    "$TF_BIN" run "$1.json" --quiet
    zstd -q -dc "$1/items.jsonl.zst" > "$1.items.jsonl"
}

expect() { # expect ITEMS COUNT TRACE_STRICT PLAN_VALID PLAN_OPTIMAL(any|true|false)
    python3 - "$@" <<'PY'
import json, sys
items = [json.loads(l) for l in open(sys.argv[1])]
n, strict, plan, opt = int(sys.argv[2]), sys.argv[3] == "true", sys.argv[4] == "true", sys.argv[5]
assert len(items) == n, len(items)
for it in items:
    assert it["trace_valid_strict"] == strict, it
    assert it["plan_valid"] == plan, it
    if opt != "any":
        assert it["plan_optimal"] == (opt == "true"), it
PY
}

# --- all rates 0: every answer strictly valid with an optimal plan ---------
export TF_TEST_SERVE_KEY=sk-integration-canary-42
start_serve clean 120 --rows 8 --cols 8 --seed 5 --api-key-env TF_TEST_SERVE_KEY \
    --stats-file clean.stats.json --verbose
CLEAN=$PID
check "listening line" grep -qx "listening on http://127.0.0.1:$PORT" clean.out
check "401 without the key" \
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/v1/models")" = 401 ]
check "/v1/models with the key" sh -c "curl -sf -H 'Authorization: Bearer $TF_TEST_SERVE_KEY' \
    http://127.0.0.1:$PORT/v1/models | grep -q '\"id\":\"tracefarm-maze-astar\"'"
check "ask searchformer" ask searchformer "$PORT" sf.jsonl sf.served.jsonl "$TF_TEST_SERVE_KEY"
check "ask beyond" ask beyond "$PORT" by.jsonl by.served.jsonl "$TF_TEST_SERVE_KEY"
check "ask again" ask searchformer "$PORT" sf.jsonl sf.again.jsonl "$TF_TEST_SERVE_KEY"
check "same requests, same answers" cmp -s sf.served.jsonl sf.again.jsonl
stats=$(curl -s -H "Authorization: Bearer $TF_TEST_SERVE_KEY" "http://127.0.0.1:$PORT/stats")
check "stats count the 160 completions" python3 -c "
import json, sys
s = json.loads(sys.argv[1])
assert s['completions']['ok'] == 160, s
assert s['by_endpoint']['/v1/completions'] == 120 and s['by_endpoint']['/v1/chat/completions'] == 40, s
assert s['by_status']['401'] == 1 and s['by_status']['200'] == 161, s
" "$stats"
set +e
stop "$CLEAN"
st=$?
set -e
check "SIGTERM exits 0 (got $st)" [ "$st" -eq 0 ]
check "stats file written" python3 -c "
import json; s = json.load(open('clean.stats.json')); assert s['requests'] == 163, s"
check "the key is never printed" sh -c "! grep -q '$TF_TEST_SERVE_KEY' clean.out clean.err"
check "verbose: one line per request" [ "$(grep -c '^tracefarm serve: [A-Z]* /' clean.err)" -eq 163 ]

check "farm verifies searchformer answers" verify sf-clean sf.served.jsonl
check "searchformer: all strictly valid, optimal" expect sf-clean.items.jsonl 60 true true true
check "farm verifies beyond answers" verify by-clean by.served.jsonl
check "beyond: all strictly valid, optimal" expect by-clean.items.jsonl 40 true true true

# --- --invalid-step-rate 1: every trace invalid, every plan valid -----------
start_serve flawed 120 --rows 8 --cols 8 --seed 5 --invalid-step-rate 1
FLAWED=$PID
check "ask searchformer (flawed)" ask searchformer "$PORT" sf.jsonl sf.flawed.jsonl
check "ask beyond (flawed)" ask beyond "$PORT" by.jsonl by.flawed.jsonl
set +e
stop "$FLAWED"
set -e
check "farm verifies flawed searchformer" verify sf-flawed sf.flawed.jsonl
check "searchformer: all strictly invalid, plans valid" expect sf-flawed.items.jsonl 60 false true any
check "farm verifies flawed beyond" verify by-flawed by.flawed.jsonl
check "beyond: all strictly invalid, plans valid" expect by-flawed.items.jsonl 40 false true any

# --- --idle-exit: the server leaves by itself -------------------------------
start_serve idle 0.5
IDLE=$PID
sleep 2
check "--idle-exit: the server has exited" sh -c "! kill -0 $IDLE 2>/dev/null"

done_tests
