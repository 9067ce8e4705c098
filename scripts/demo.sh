#!/usr/bin/env bash
# demo.sh: the whole path, from nothing: install, build, start "tracefarm
# serve" (a SYNTHETIC maze model over HTTP, not a real model, with some flawed
# answers and a few server errors), generate a small maze corpus, ask the
# server for every maze from 2 MPI ranks (source "endpoint"), verify every
# answer step by step, print the summary and the fetch figures, stop the
# server. Outputs go to demo-out/ (the job spec is demo-out/job.json). A
# second run is answered by the response cache (demo-out/cache): zero requests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. scripts/env.sh
TF=build/tracefarm
mkdir -p demo-out
rm -f demo-out/serve.port

echo "demo: starting tracefarm serve (synthetic maze model: 30% altered steps, 10% swapped traces, 2% HTTP 500)"
"$TF" serve --port 0 --port-file demo-out/serve.port --idle-exit 120 --rows 10 --cols 10 \
    --seed 7 --invalid-step-rate 0.3 --swap-rate 0.1 --latency-ms 2 --jitter-ms 8 \
    --rate-500 0.02 > demo-out/serve.log 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 200); do
    [ -s demo-out/serve.port ] && break
    sleep 0.05
done
[ -s demo-out/serve.port ] || { echo "demo: the server did not start (demo-out/serve.log)"; exit 1; }
PORT=$(cat demo-out/serve.port)

echo "demo: generating 2000 mazes (10x10, all generators)"
"$TF" gen maze --count 2000 --rows 10 --cols 10 --generator mix --seed 7 --frame-items 100 \
    --out demo-out/corpus.jsonl.zst

cat > demo-out/job.json <<JSON
{
  "name": "maze-endpoint-demo",
  "description": "scripts/demo.sh: ask tracefarm serve (synthetic) for every maze, verify each answer",
  "domain": "maze",
  "corpus": ["demo-out/corpus.jsonl.zst"],
  "output": "demo-out/result-endpoint",
  "source": "endpoint",
  "maze": {"rows": 10, "cols": 10},
  "group_by": ["generator"],
  "shard_items": 250,
  "endpoint": {
    "base_url": "http://127.0.0.1:$PORT/v1",
    "api": "completions",
    "model": "tracefarm-maze-astar",
    "params": {"temperature": 0.7, "seed": 1},
    "concurrency": 16,
    "backoff_ms": 50,
    "cache_dir": "demo-out/cache",
    "price_per_million": {"prompt": 0.15, "completion": 0.6}
  }
}
JSON
rm -rf demo-out/result-endpoint # a fresh result each run (a moved port would not stop a resume); the cache stays
echo "demo: mpirun -n 2 $TF run demo-out/job.json"
mpirun -n 2 "$TF" run demo-out/job.json
python3 - demo-out/result-endpoint/run.json <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))["fetch"]
lat = f["latency_ms"]
print("  fetch: %d requests sent (%d retries), %d cache hits; status %s; latency p50 %s ms, p95 %s ms"
      % (f["requests"], f["retries"], f["cache_hits"], f["status"], lat.get("p50", "-"),
         lat.get("p95", "-")))
PY
echo "demo: per generator: $TF show demo-out/result-endpoint (--json: with the endpoint figures and cost)"
