#!/usr/bin/env bash
# Source "endpoint" under mpirun against "tracefarm serve": a cached re-run
# sends ZERO requests (the server's /stats) and gives identical outputs; a
# canary API key (api_key_env) is sent as a Bearer header yet appears in no
# output, cache file, run.json, stdout or stderr; the chat API with
# --reasoning-field; price_per_million gives the cost; a wrong key fails at
# once; bad endpoint sections stop the job naming the key. Source "cache"
# re-verifies a cached run with no server at all (a miss is a cache_miss
# item), and "cache_dir": null runs without a cache.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/endpoint_lib.sh"

"$TF_BIN" gen maze --count 24 --rows 8 --cols 8 --generator mix --seed 41 --out a.jsonl
"$TF_BIN" gen maze --count 16 --rows 8 --cols 8 --generator mix --seed 42 --dialect beyond \
    --out b.jsonl
CANARY="sk-canary-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export TF_TEST_EP_KEY="$CANARY"
start_serve keyed 60 --rows 8 --cols 8 --seed 3 --invalid-step-rate 0.25 --reasoning-field \
    --api-key-env TF_TEST_EP_KEY
KP=$PORT

# --- first run: requests; cached re-run: none, same bytes -------------------
E='"samples": 3, "api_key_env": "TF_TEST_EP_KEY", "cache_dir": "cache1", "params": {"seed": 1, "temperature": 1.0, "logprobs": null}'
spec first out1 "$KP" '["a.jsonl"]' 5 "$E"
run_job first 3
check "first run exits 0 (got $ST)" [ "$ST" -eq 0 ]
check "first run: 72 items" [ "$(wc -l < first.items.jsonl)" -eq 72 ]
n1=$(requests "$KP" "$CANARY")
# 72 in all: the preflight's (the first record's sample 0, cached) and 71 by the workers
check "first run: 72 requests sent (server says $n1)" [ "$n1" -eq 72 ]
check "the cache has 72 entries" [ "$(find cache1 -name '*.json' | wc -l)" -eq 72 ]
spec again out2 "$KP" '["a.jsonl"]' 3 "$E"
run_job again 2
check "cached re-run exits 0 (got $ST)" [ "$ST" -eq 0 ]
n2=$(requests "$KP" "$CANARY")
check "cached re-run: zero requests (server says $((n2 - n1)))" [ "$n2" -eq "$n1" ]
check "cached re-run: identical items" cmp -s first.items.jsonl again.items.jsonl
check "cached re-run: identical summary" cmp -s first.summary.json again.summary.json
check "cached re-run: run.json counts 72 hits, 0 requests" python3 - out2/run.json out1/run.json <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))["fetch"]
# the preflight counts too: a hit in the re-run, a request in the first
assert f["requests"] == 0 and f["cache_hits"] == 73 and f["cache_misses"] == 0, f
g = json.load(open(sys.argv[2]))["fetch"]
assert g["requests"] == 72 and g["cache_misses"] == 72 and g["status"] == {"200": 72}, g
assert g["cache_hits"] == 1, g  # the preflight's answer
PY
check "samples: 3 per record, in order" python3 - first.items.jsonl <<'PY'
import json, sys
items = [json.loads(l) for l in open(sys.argv[1])]
assert [i["sample"] for i in items] == [0, 1, 2] * 24
assert [i["line"] for i in items] == [l for l in range(1, 25) for _ in range(3)]
PY

# --- cache_dir null: no cache; source "cache": the first run again, offline --
spec nocache out7 "$KP" '["a.jsonl"]' 5 '"samples": 3, "api_key_env": "TF_TEST_EP_KEY", "cache_dir": null, "params": {"seed": 1, "temperature": 1.0, "logprobs": null}'
run_job nocache 2
check "cache_dir null: exit 0 (got $ST)" [ "$ST" -eq 0 ]
check "cache_dir null: same items as the first run" cmp -s first.items.jsonl nocache.items.jsonl
check "cache_dir null: no cache written" [ ! -e out7/cache ]
n3=$(requests "$KP" "$CANARY")
# without a cache the preflight's answer is not kept: its request is sent twice
check "cache_dir null: 73 requests sent (server says $((n3 - n2)))" [ "$((n3 - n2))" -eq 73 ]
# the cache source builds the very same requests and sends none: no server
E2='"samples": 3, "cache_dir": "cache1", "params": {"seed": 1, "temperature": 1.0, "logprobs": null}'
spec offline out8 9 '["a.jsonl"]' 4 "$E2"
sed -i 's/"source": "endpoint"/"source": "cache"/' offline.json
run_job offline 2
check "source cache: exit 0 (got $ST)" [ "$ST" -eq 0 ]
check "source cache: identical items" cmp -s first.items.jsonl offline.items.jsonl
check "source cache: identical summary" cmp -s first.summary.json offline.summary.json
check "source cache: run.json counts 72 hits, 0 requests" python3 - out8/run.json <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))["fetch"]
assert f["requests"] == 0 and f["cache_hits"] == 72, f
PY
spec offmiss out9 9 '["a.jsonl"]' 4 '"cache_dir": "cache1", "params": {"seed": 99}'
sed -i 's/"source": "endpoint"/"source": "cache"/' offmiss.json
run_job offmiss 0
check "source cache, other requests: every item an error, exit 4 (got $ST)" [ "$ST" -eq 4 ]
check "... 24 cache_miss items" python3 - offmiss.items.jsonl <<'PY'
import json, sys
items = [json.loads(l) for l in open(sys.argv[1])]
assert len(items) == 24, len(items)
for i in items:
    assert i["error_kind"] == "cache_miss" and "not in the response cache" in i["error"], i
    assert i["sample"] == 0, i
PY

# --- chat with reasoning in reasoning_content, and prices --------------------
C='"api": "chat", "samples": 2, "api_key_env": "TF_TEST_EP_KEY", "price_per_million": {"prompt": 0.5, "completion": 2}'
spec chat out3 "$KP" '["a.jsonl", "b.jsonl"]' 6 "$C"
run_job chat 3
check "chat exits 0 (got $ST)" [ "$ST" -eq 0 ]
check "chat: reasoning verified, tokens and cost" python3 - chat.items.jsonl chat.summary.json <<'PY'
import json, sys
items = [json.loads(l) for l in open(sys.argv[1])]
assert len(items) == 80, len(items)
assert all("error" not in i for i in items)
# the trace is in reasoning_content: traces are verified (not empty)
assert all(i["trace_len"] > 0 and i["plan_valid"] for i in items), items[0]
assert all(i["reasoning_tokens"] > 0 for i in items), items[0]
assert 0 < sum(i["trace_valid"] for i in items) < 80
s = json.load(open(sys.argv[2]))["overall"]
e = s["endpoint"]
p = sum(i["prompt_tokens"] for i in items)
c = sum(i["completion_tokens"] for i in items)
r = sum(i["reasoning_tokens"] for i in items)
assert (e["prompt_tokens"], e["completion_tokens"], e["reasoning_tokens"]) == (p, c, r), e
cost = e["cost"]
assert abs(cost["prompt"] - p / 1e6 * 0.5) < 1e-12 and abs(cost["completion"] - c / 1e6 * 2) < 1e-12, cost
assert abs(cost["total"] - (cost["prompt"] + cost["completion"])) < 1e-12, cost
PY

# --- a prompt template: words around the maze, a record field, braces -------
T='"prompt_template": "Solve {{this}} maze. {field:prompt}", "api_key_env": "TF_TEST_EP_KEY"'
spec tmpl out5 "$KP" '["a.jsonl"]' 100 "$T"
run_job tmpl 0
check "template exits 0 (got $ST)" [ "$ST" -eq 0 ]
check "template: 24 verified items, other requests than {prompt}" python3 - tmpl.items.jsonl out5/run.json <<'PY'
import json, sys
items = [json.loads(l) for l in open(sys.argv[1])]
assert len(items) == 24 and all(i["plan_valid"] for i in items), items[0]
f = json.load(open(sys.argv[2]))["fetch"]
assert f["requests"] == 24 and f["cache_hits"] == 1, f  # the preflight's, then its cache hit
PY
spec tmiss out6 "$KP" '["a.jsonl"]' 100 '"prompt_template": "{field:nope} {prompt}", "api_key_env": "TF_TEST_EP_KEY"'
run_job tmiss 0
check "template with a missing field: every item an error, exit 4 (got $ST)" [ "$ST" -eq 4 ]
check "... 24 bad_record items naming the field" python3 - tmiss.items.jsonl <<'PY'
import json, sys
items = [json.loads(l) for l in open(sys.argv[1])]
assert len(items) == 24 and "sample" not in items[0], items[0]
for i in items:
    assert i["error_kind"] == "bad_record" and 'missing field "nope"' in i["error"], i
PY

# --- the canary key is nowhere ------------------------------------------------
for d in out1 out2 out3; do
    for f in items.jsonl summary.json; do zstd -q -dc "$d/$f.zst" > "$d.$f.txt"; done
done
check "the key was required (401 without it)" \
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$KP/v1/models")" = 401 ]
check "canary in no output, cache, run.json, stdout or stderr" \
    sh -c "! grep -rqF '$CANARY' out1 out2 out3 cache1 ./*.txt ./*.stdout ./*.stderr ./*.json"

# --- a wrong key: the preflight stops the job; without it, 401 is not retried
export TF_TEST_EP_WRONG=sk-wrong
spec wrong out4 "$KP" '["b.jsonl"]' 100 '"api_key_env": "TF_TEST_EP_WRONG", "max_attempts": 4'
n4=$(requests "$KP" "$CANARY")
run_job wrong 2
check "wrong key: the preflight stops the job, exit 2 (got $ST)" [ "$ST" -eq 2 ]
check "... naming HTTP 401 and the variable" grep -q "preflight: POST .*: HTTP 401: .*TF_TEST_EP_WRONG" wrong.stderr
check "... after one request" [ "$(requests "$KP" "$CANARY")" -eq $((n4 + 1)) ]
check "... nothing done" [ ! -e out4/.tracefarm-journal ]
# 16 samples, fewer than breaker_consecutive (20): every one is an item
run_job wrong 2 --no-preflight
check "wrong key, --no-preflight: every item an error, exit 4 (got $ST)" [ "$ST" -eq 4 ]
check "wrong key: 16 fetch_failed after 1 attempt, HTTP 401" python3 - wrong.items.jsonl <<'PY'
import json, sys
items = [json.loads(l) for l in open(sys.argv[1])]
assert len(items) == 16
for i in items:
    assert i["error_kind"] == "fetch_failed" and "after 1 attempt (last status: HTTP 401)" in i["error"], i
PY
stop "$PID"

# --- bad endpoint sections stop before any work (exit 2, naming the key) ----
bad() { # bad NAME PATTERN ENDPOINT_JSON
    printf '{"name": "x", "domain": "maze", "corpus": ["a.jsonl"], "output": "out-%s", "source": "endpoint", "endpoint": %s}\n' "$1" "$3" > "$1.json"
    set +e
    mpi 2 run "$1.json" > "$1.out" 2> "$1.err"
    local st=$?
    set -e
    check "$1: exit 2 (got $st)" [ "$st" -eq 2 ]
    check "$1: names $2" grep -qF -- "$2" "$1.err"
    check "$1: nothing done" [ ! -e "out-$1" ]
}
U='"base_url": "http://127.0.0.1:9/v1", "model": "m"'
bad unknown '"endpoint.temprature"' "{$U, \"temprature\": 1}"
bad no_model '"endpoint.model"' '{"base_url": "http://127.0.0.1:9/v1"}'
bad no_url '"endpoint.base_url"' '{"model": "m"}'
bad bad_url '"endpoint.base_url"' '{"base_url": ["ftp://x"], "model": "m"}'
bad bad_api '"endpoint.api"' "{$U, \"api\": \"embeddings\"}"
bad bad_samples '"endpoint.samples"' "{$U, \"samples\": 0}"
bad bad_temp '"endpoint.params.temperature"' "{$U, \"params\": {\"temperature\": \"hot\"}}"
bad reserved '"endpoint.params.n"' "{$U, \"params\": {\"n\": 4}}"
bad template '"endpoint.prompt_template"' "{$U, \"prompt_template\": \"solve {maze}\"}"
bad unset_env 'TF_TEST_EP_UNSET' "{$U, \"api_key_env\": \"TF_TEST_EP_UNSET\"}"
bad prices '"endpoint.price_per_million"' "{$U, \"price_per_million\": {\"prompt\": 1}}"
bad no_section '"endpoint"' 'null'
bad typo '(did you mean "concurrency"?)' "{$U, \"concurency\": 4}"
bad bad_cache_dir '"endpoint.cache_dir"' "{$U, \"cache_dir\": 5}"
printf '{"name": "x", "domain": "maze", "corpus": ["a.jsonl"], "output": "out-rec", "source": "record", "endpoint": {%s}}\n' "$U" > rec.json
set +e
"$TF_BIN" run rec.json > rec.out 2> rec.err
st=$?
set -e
check "endpoint section with source record: exit 2" [ "$st" -eq 2 ]
check "... naming it" grep -qF '"endpoint"' rec.err
printf '{"name": "x", "domain": "maze", "corpus": ["a.jsonl"], "output": "out-nc", "source": "cache", "endpoint": {%s, "cache_dir": null}}\n' "$U" > nc.json
set +e
"$TF_BIN" run nc.json > nc.out 2> nc.err
st=$?
set -e
check "source cache without a cache: exit 2" [ "$st" -eq 2 ]
check "... naming endpoint.cache_dir" grep -qF '"endpoint.cache_dir"' nc.err

done_tests
