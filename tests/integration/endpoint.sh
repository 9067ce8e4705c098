#!/usr/bin/env bash
# Source "endpoint" under mpirun against "tracefarm serve": outputs are
# byte-identical for no mpirun, 1 and 3 ranks, different shard_items, and
# with faults (latency, jitter, 429 with Retry-After, 500, hangs past the
# client timeout, truncated and non-JSON bodies) when retries succeed; with
# each fault at rate 1 every sample is a fetch_failed item (items = records
# x samples), never an empty answer.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/endpoint_lib.sh"

"$TF_BIN" gen maze --count 30 --rows 8 --cols 8 --generator mix --seed 31 --out a.jsonl
"$TF_BIN" gen maze --count 20 --rows 8 --cols 8 --generator mix --seed 32 --dialect beyond \
    --frame-items 4 --out b.jsonl.zst
# prompt-only records: the output field is not needed (and ignored)
python3 - <<'PY'
import json
with open("a.jsonl") as f, open("p.jsonl", "w") as o:
    for line in f:
        r = json.loads(line)
        del r["output"]
        o.write(json.dumps(r) + "\n")
PY
CORPUS='["p.jsonl", "b.jsonl.zst"]'
N=50
MODEL=(--rows 8 --cols 8 --seed 9 --invalid-step-rate 0.3 --swap-rate 0.1 --wrong-plan-rate 0.1)

# --- no faults: the reference outputs, then 1 and 3 ranks ------------------
start_serve clean 60 "${MODEL[@]}"
CLEAN=$PORT
spec base base "$CLEAN" "$CORPUS" 100000 '"samples": 2, "params": {"seed": 4, "temperature": 0.7}'
run_job base 0
check "base exits 0 (got $ST)" [ "$ST" -eq 0 ]
check "base: records x samples items" [ "$(wc -l < base.items.jsonl)" -eq $((N * 2)) ]
check "base: items in record order, both samples" python3 - base.items.jsonl <<'PY'
import json, sys
items = [json.loads(l) for l in open(sys.argv[1])]
assert [i["index"] for i in items] == list(range(len(items)))
assert [i["sample"] for i in items] == [0, 1] * (len(items) // 2)
assert [(i["file"], i["line"]) for i in items[::2]] == [(i["file"], i["line"]) for i in items[1::2]]
assert [i["line"] for i in items if i["file"] == "p.jsonl"][::2] == list(range(1, 31))
assert all("error" not in i for i in items), [i for i in items if "error" in i][:1]
assert {i["dialect"] for i in items} == {"searchformer", "beyond"}
for i in items:
    for k in ("finish_reason", "truncated", "prompt_tokens", "completion_tokens", "reasoning_tokens"):
        assert k in i, (k, i)
    assert i["finish_reason"] == "stop" and i["truncated"] is False and i["prompt_tokens"] > 0
    for k in ("latency", "latency_ms", "from_cache", "attempts"):
        assert k not in i, (k, i)
# the flaws of the server show up, and samples of one record differ
assert 0 < sum(i["trace_valid"] for i in items) < len(items)
assert 0 < sum(i["plan_valid"] for i in items) < len(items)
PY
spec r1 r1 "$CLEAN" "$CORPUS" 7 '"samples": 2, "params": {"seed": 4, "temperature": 0.7}'
run_job r1 1
check "r1 exits 0 (got $ST)" [ "$ST" -eq 0 ]
spec r3 r3 "$CLEAN" "$CORPUS" 5 '"samples": 2, "concurrency": 3, "params": {"seed": 4, "temperature": 0.7}'
run_job r3 3
check "r3 exits 0 (got $ST)" [ "$ST" -eq 0 ]
# concurrency 1: a window of 4 records
spec r2w r2w "$CLEAN" "$CORPUS" 100000 '"samples": 2, "concurrency": 1, "params": {"seed": 4, "temperature": 0.7}'
run_job r2w 2
check "r2w exits 0 (got $ST)" [ "$ST" -eq 0 ]
# one sample per record: the reference of the small-window run with faults below
spec one one "$CLEAN" "$CORPUS" 100000 '"params": {"seed": 4, "temperature": 0.7}'
run_job one 0
check "one exits 0 (got $ST)" [ "$ST" -eq 0 ]
for r in r1 r3 r2w; do
    check "$r items identical" cmp -s base.items.jsonl "$r.items.jsonl"
    check "$r summary identical" cmp -s base.summary.json "$r.summary.json"
done
# the preflight asked for the first record's sample 0 before any shard (and
# cached it): the workers send the other 99 and find that one in the cache
check "r3 used 3 ranks and several shards; run.json has the fetch report" python3 - r3/run.json <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["ranks"] == 3 and r["shards"] > 5, r
f = r["fetch"]
# run.json counts the preflight's request too; its answer is the first
# record's sample 0, which its worker finds in the cache
assert f["requests"] == 100 and f["retries"] == 0 and f["status"] == {"200": 100}, f
assert f["cache_misses"] == 100 and f["cache_hits"] == 1 and f["failed"] == 0, f
for k in ("p50", "p95", "p99"):
    assert f["latency_ms"][k] > 0, f
assert f["requests_per_second"] > 0 and f["tokens_per_second"] > 0, f
PY
check "summary: endpoint accounting per group" python3 - base.summary.json base.items.jsonl <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
items = [json.loads(l) for l in open(sys.argv[2])]
e = s["overall"]["endpoint"]
assert e["samples"] == 100 and e["fetch_failures"] == 0 and e["cost"] is None, e
assert e["prompt_tokens"] == sum(i["prompt_tokens"] for i in items), e
assert e["completion_tokens"] == sum(i["completion_tokens"] for i in items), e
assert s["overall"]["tokens"]["n"] == 100, s["overall"]["tokens"]
assert sum(g["endpoint"]["samples"] for g in s["groups"]) == 100
PY
# a different params.seed gives other samples (the seed is part of the request)
spec seed2 seed2 "$CLEAN" "$CORPUS" 100000 '"samples": 2, "params": {"seed": 5, "temperature": 0.7}'
run_job seed2 0
check "another params.seed: other outputs" sh -c "! cmp -s base.items.jsonl seed2.items.jsonl"
stop "${SERVE_PIDS[0]}"

# --- every fault type at moderate rates, retries succeed: same bytes -------
start_serve faulty 60 "${MODEL[@]}" --latency-ms 2 --jitter-ms 15 --rate-429 0.1 --retry-after 1 \
    --rate-500 0.1 --rate-hang 0.03 --hang-ms 5000 --rate-truncated 0.05 --rate-nonjson 0.05
spec faulty faulty "$PORT" "$CORPUS" 9 '"samples": 2, "concurrency": 4, "params": {"seed": 4, "temperature": 0.7},
  "timeout_s": 0.5, "max_attempts": 15, "backoff_ms": 5, "backoff_max_ms": 40'
run_job faulty 3
check "faulty exits 0 (got $ST)" [ "$ST" -eq 0 ]
check "faulty items identical" cmp -s base.items.jsonl faulty.items.jsonl
check "faulty summary identical" cmp -s base.summary.json faulty.summary.json
check "faulty: retries, 429, 500 and timeouts in run.json" python3 - faulty/run.json <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))["fetch"]
st = f["status"]
assert f["cache_hits"] == 1, f  # the preflight's answer
assert f["retries"] > 0 and f["requests"] == 100 + f["retries"], f  # the preflight's included
assert st.get("429", 0) > 0 and st.get("500", 0) > 0, st
assert f["failed"] == 0 and f["ok"] == 101, f
PY
# a window of 16 records on 2 in flight: a hung or retried record holds the
# window full while later ones finish, then everything completes at once
spec win win "$PORT" "$CORPUS" 100000 '"concurrency": 2, "params": {"seed": 4, "temperature": 0.7},
  "timeout_s": 0.3, "max_attempts": 15, "backoff_ms": 5, "backoff_max_ms": 40'
run_job win 2
check "win exits 0 (got $ST)" [ "$ST" -eq 0 ]
check "win items identical to one" cmp -s one.items.jsonl win.items.jsonl
stop "$PID"

# --- each fault at rate 1: every sample fails, each one an item -------------
head -n 4 a.jsonl > small.jsonl
# every item an error: more than warn_share, so exit 4 and a warning naming
# the last status, which the summary counts (fetch_failures_by_status)
fault() { # fault NAME "SERVER ARGS" "ENDPOINT EXTRA" REASON_WORD LAST_STATUS
    start_serve "$1" 60 --rows 8 --cols 8 $2
    spec "$1" "out-$1" "$PORT" '["small.jsonl"]' 2 "\"samples\": 3, \"max_attempts\": 2, \"backoff_ms\": 1, \"backoff_max_ms\": 5${3:+, $3}"
    run_job "$1" 2
    local named="HTTP $5"
    [ "$5" != 0 ] || named="no response"
    check "$1: exit 4 (got $ST)" [ "$ST" -eq 4 ]
    check "$1: a warning names the share, the kind and the last status" grep -qF "tracefarm: warning: 12 of 12 items (100.00 %) could not be verified (fetch_failed 12; fetch failures by last status: $named 12), more than warn_share 0.1" "$1.stderr"
    check "$1: 12 fetch_failed items naming '$4', last status $5" python3 - "$1.items.jsonl" "$1.summary.json" "$4" "$5" <<'PY'
import json, sys
items = [json.loads(l) for l in open(sys.argv[1])]
assert len(items) == 12, len(items)
assert [i["sample"] for i in items] == [0, 1, 2] * 4
assert [i["line"] for i in items] == [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]
for i in items:
    assert i["error_kind"] == "fetch_failed", i
    assert i["error"].startswith("small.jsonl:%d: fetch failed after 2 attempts" % i["line"]), i
    assert sys.argv[3] in i["error"], i
    assert "trace_valid" not in i
s = json.load(open(sys.argv[2]))["overall"]
assert s["items"] == 12 and s["item_errors"] == 12 and s["verified"] == 0, s
assert s["item_error_kinds"] == {"fetch_failed": 12}, s
assert s["endpoint"]["samples"] == 12 and s["endpoint"]["fetch_failures"] == 12, s
assert s["endpoint"]["fetch_failures_by_status"] == {sys.argv[4]: 12}, s["endpoint"]
named = "no response" if sys.argv[4] == "0" else "HTTP " + sys.argv[4]
assert all("(last status: %s)" % named in i["error"] for i in items), items[0]
PY
    stop "$PID"
}
fault f429 "--rate-429 1 --retry-after 0" "" "HTTP 429" 429
fault f500 "--rate-500 1" "" "HTTP 500" 500
fault fhang "--rate-hang 1 --hang-ms 3000" '"timeout_s": 0.3' "Timeout" 0
fault ftrunc "--rate-truncated 1" "" "truncated" 200
fault fnonjson "--rate-nonjson 1" "" "malformed body" 200
check "hang: no response status" grep -q "last status: no response" fhang.items.jsonl
check "429: last status named" grep -q "last status: HTTP 429" f429.items.jsonl

done_tests
