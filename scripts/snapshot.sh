#!/usr/bin/env bash
# snapshot.sh: run representative jobs and keep their decompressed outputs,
# so that a redesign can show its outputs did not change:
#
#   bash scripts/snapshot.sh DIR [TRACEFARM]    (default TRACEFARM: build/tracefarm)
#   diff -r OLD_DIR NEW_DIR                     (nothing printed: byte-identical)
#
# Jobs (each writes DIR/NAME.items.jsonl and DIR/NAME.summary.json):
#   offline-sf       searchformer dialect, every generator and corruption, plus
#                    hostile lines (bad JSON, wrong types, a long line, bytes
#                    that are not UTF-8, \u0000) and malformed model output
#                    after an earlier error, grouped, 3 ranks
#   offline-beyond   beyond dialect, corruptions, a truncated zstd file, 2 ranks
#   resumed          offline-sf killed after 3 journaled shards, then resumed
#   endpoint         tracefarm serve with flawed answers and HTTP faults
#                    (500, cut bodies, HTML), 2 samples, grouped, 3 ranks
#   endpoint-chat    chat API, reasoning in its own field, a prompt template
#   endpoint-failed  every attempt refused (500) or no server at all
#   endpoint-resumed endpoint killed after 2 journaled shards, then resumed
# Corpora come from "tracefarm gen", so they are the same for every binary
# that generates the same bytes. Everything else goes to DIR/work.
set -euo pipefail
[ $# -ge 1 ] || { sed -n 2,20p "$0"; exit 2; }
SRC=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$1"
OUT=$(cd "$1" && pwd)
TF=$(cd "$(dirname "${2:-$SRC/build/tracefarm}")" && pwd)/$(basename "${2:-build/tracefarm}")
. "$SRC/scripts/env.sh"
W=$OUT/work
rm -rf "$W"
mkdir -p "$W"
cd "$W"
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT

mpi() { mpirun --oversubscribe -n "$@"; }
keep() { # keep NAME OUTPUT_DIR
    zstd -q -dc "$2/items.jsonl.zst" > "$OUT/$1.items.jsonl"
    zstd -q -dc "$2/summary.json.zst" > "$OUT/$1.summary.json"
}
run() { # run NAME RANKS: the job NAME.json, exit status 0, 3 or 4 (finished) expected
    local st=0
    if [ "$2" -eq 0 ]; then "$TF" run "$1.json" --quiet || st=$?; else mpi "$2" "$TF" run "$1.json" --quiet || st=$?; fi
    [ "$st" -eq 0 ] || [ "$st" -eq 3 ] || [ "$st" -eq 4 ] || { echo "snapshot: $1 exited $st" >&2; exit 1; }
}
serve() { # serve NAME ARGS...: sets PORT
    local name=$1
    shift
    "$TF" serve --port 0 --port-file "$name.port" --idle-exit 120 --rows 8 --cols 8 "$@" \
        > "$name.log" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 200); do [ -s "$name.port" ] && break; sleep 0.05; done
    PORT=$(cat "$name.port")
}

# ---- corpora
"$TF" gen maze --count 900 --rows 8 --cols 8 --generator mix --corrupt mix --corrupt-rate 0.6 \
    --seed 11 --frame-items 50 --out sf.jsonl.zst
"$TF" gen maze --count 300 --rows 8 --cols 8 --generator searchformer --seed 12 --out sf2.jsonl
python3 - <<'PY'
import json
good = json.loads(open("sf2.jsonl").readline())
lines = [
    '{"id": "broken", "prompt": ',                            # bad JSON
    '[1, 2, 3]',                                              # not an object
    '{"id": 7}',                                              # no prompt
    json.dumps(dict(good, id="num-prompt", prompt=5)),        # wrong type
    json.dumps(dict(good, id="rows", rows=0)),                # bad rows
    json.dumps(dict(good, id="long", pad="x" * 5000)),       # over max_line_bytes
    json.dumps(dict(good, id="nul")).replace('"nul"', '"n\\u0000l"'),
    json.dumps(dict(good, id="trail")) + "}",                 # trailing data
    json.dumps(dict(good, id="offgrid", prompt="start 0 0 goal 99 99")),
    json.dumps(dict(good, id=["not", "an", "id"], generator={"nested": [1, 2]})),
    "   ",
    json.dumps(dict(good, id="noref", reference=None)),
    # real-model shapes: a semantic error, then a plan step with a cost
    # where a coordinate belongs / a second "solution" (the reference
    # verdict's first error is the syntax error, published precedence)
    json.dumps({"id": "plan-cN", "prompt": "start 0 0 goal 2 2",
                "output": "create 0 0 c0 c4 close 0 0 c0 c4 create 2 2 c1 c3 create 1 0 c1 c3 "
                          "close 1 0 c1 c3 plan 0 0 plan c1 0 plan 2 0"}),
    json.dumps({"id": "second-solution",
                "text": "query start 0 0 goal 2 2 reasoning close 0 0 c0 c4 create 2 2 c1 c3 "
                        "solution plan 0 0 solution plan 1 0 end"}),
]
with open("hostile.jsonl", "wb") as f:
    for l in lines:
        f.write(l.encode() + b"\n")
    f.write(b'{"id": "utf8", "prompt": "\xff\xfe"}\n')
    f.write(b'{"id": "after", "prompt": "start 0 0 goal 1 1", "output": "plan 0 0 plan 1 0 plan 1 1"}\n')
PY
"$TF" gen maze --count 400 --rows 8 --cols 8 --generator mix --dialect beyond --corrupt mix \
    --seed 13 --frame-items 40 --out by.jsonl.zst
"$TF" gen maze --count 200 --rows 8 --cols 8 --generator dfs --dialect beyond --seed 14 \
    --frame-items 30 --out cut.jsonl.zst
head -c $(( $(stat -c %s cut.jsonl.zst) * 2 / 3 )) cut.jsonl.zst > cut2.jsonl.zst
"$TF" gen maze --count 120 --rows 8 --cols 8 --generator mix --seed 15 --frame-items 20 \
    --out ep.jsonl.zst

# ---- offline
job() { # job NAME OUTPUT CORPUS_JSON EXTRA
    cat > "$1.json" <<JSON
{"name": "$1", "domain": "maze", "corpus": $3, "output": "$2", "maze": {"rows": 8, "cols": 8},
 "max_line_bytes": 4096 $4}
JSON
}
job offline-sf o-sf '["sf.jsonl.zst", "sf2.jsonl", "hostile.jsonl"]' \
    ', "shard_items": 37, "group_by": ["generator", "corruption"]'
run offline-sf 3
keep offline-sf o-sf
job offline-beyond o-by '["by.jsonl.zst", "cut2.jsonl.zst"]' ', "shard_items": 50, "group_by": ["generator"]'
run offline-beyond 2
keep offline-beyond o-by
job resumed o-res '["sf.jsonl.zst", "sf2.jsonl", "hostile.jsonl"]' \
    ', "shard_items": 37, "group_by": ["generator", "corruption"]'
TF_TEST_KILL_AT=shard:3 "$TF" run resumed.json --quiet 2>/dev/null && { echo "snapshot: no kill" >&2; exit 1; }
run resumed 2
keep resumed o-res

# ---- endpoint
ep_job() { # ep_job NAME OUTPUT PORT EXTRA
    cat > "$1.json" <<JSON
{"name": "$1", "domain": "maze", "corpus": ["ep.jsonl.zst"], "output": "$2", "source": "endpoint",
 "maze": {"rows": 8, "cols": 8}, "shard_items": 25, "group_by": ["generator"],
 "endpoint": {"base_url": "http://127.0.0.1:$3/v1", "model": "tracefarm-maze-astar",
              "backoff_ms": 1, "backoff_max_ms": 5, "concurrency": 8 $4}}
JSON
}
serve faulty --seed 3 --invalid-step-rate 0.3 --swap-rate 0.1 --length-noise-rate 0.1 \
    --wrong-plan-rate 0.1 --rate-500 0.1 --rate-truncated 0.05 --rate-nonjson 0.05
ep_job endpoint o-ep "$PORT" ', "samples": 2, "max_attempts": 10, "params": {"temperature": 0.7, "seed": 5}'
run endpoint 3
keep endpoint o-ep
ep_job endpoint-resumed o-ep-res "$PORT" ', "samples": 2, "max_attempts": 10, "params": {"temperature": 0.7, "seed": 5}'
TF_TEST_KILL_AT=shard:2 "$TF" run endpoint-resumed.json --quiet 2>/dev/null && { echo "snapshot: no kill" >&2; exit 1; }
run endpoint-resumed 2
keep endpoint-resumed o-ep-res
serve chat --seed 4 --reasoning-field --invalid-step-rate 0.5
ep_job endpoint-chat o-chat "$PORT" ', "api": "chat", "prompt_template": "Solve ({field:generator}): {prompt} {{ok}}"'
run endpoint-chat 0
keep endpoint-chat o-chat
serve refuse --fail-first 100
ep_job endpoint-failed o-fail "$PORT" ', "max_attempts": 2, "breaker_failure_rate": 0'
run endpoint-failed 2
keep endpoint-failed o-fail
echo "snapshot: $(ls "$OUT"/*.jsonl | wc -l) jobs in $OUT"
