#!/usr/bin/env bash
# bench/arith.sh: the arith job's time grows linearly with the length of the
# outputs. Two corpora of the same records (one per GSM8K test problem) whose
# outputs are GSM8K reference solutions concatenated: K of them each (1x, the
# baseline) and 4K (4x); and the same records with empty outputs (0x), which
# measures what a run costs whatever the outputs (start-up, reading the
# records, writing the items). The same job runs on the three, interleaved,
# REPS times each; the medians are printed with the ratio 4x / 1x, and the
# same net of the 0x time (4: linear). Also the 1x run under mpirun -n 3
# against the same baseline. Not in CTest.
#   REPS=5 K=32 bash bench/arith.sh        (GSM8K=PATH for another copy)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
TF=$PWD/build/tracefarm
REPS=${REPS:-5}
K=${K:-32}
G=${GSM8K:-$PWD/../shared/data/gsm8k/test.jsonl}
[ -r "$G" ] || { echo "bench: $G is missing" >&2; exit 1; }
W=$(mktemp -d /tmp/tf-bench-XXXXXX)
trap 'rm -rf "$W"' EXIT
cd "$W"
python3 - "$G" "$K" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
k = int(sys.argv[2])
for name, m in (("x0", 0), ("x1", k), ("x4", 4 * k)):
    with open(name + ".jsonl", "w") as f:
        for n, r in enumerate(recs):
            parts = [recs[(n + j) % len(recs)]["answer"] for j in range(m)]
            f.write(json.dumps({"id": n, "question": r["question"],
                                "reference": parts[-1] if parts else r["answer"],
                                "output": "\n\n".join(parts)}) + "\n")
PY
for c in x0 x1 x4; do
    cat > "$c.json" <<JSON
{"name": "bench-$c", "domain": "arith", "corpus": ["$c.jsonl"], "output": "out",
 "fields": {"prompt": "question"}, "shard_items": 200}
JSON
done

secs() { # secs COMMAND...: wall seconds of one run (outputs removed first)
    rm -rf out
    local t0 t1
    t0=$(date +%s.%N)
    "$@" > /dev/null 2>&1 || true
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc
}
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

: > x0.t; : > x1.t; : > x4.t; : > x1mpi.t
for _ in $(seq "$REPS"); do
    secs "$TF" run x0.json --progress 0 >> x0.t
    secs "$TF" run x1.json --progress 0 >> x1.t
    secs "$TF" run x4.json --progress 0 >> x4.t
    secs mpirun -n 3 "$TF" run x1.json --progress 0 >> x1mpi.t
done
rm -rf out
"$TF" run x4.json --progress 0 > /dev/null 2>&1 || true
steps=$(zstd -q -dc out/items.jsonl.zst | python3 -c "
import json, sys
n = s = 0
for l in sys.stdin:
    i = json.loads(l); n += 1; s += i.get('steps', 0)
print(n, s)")
# shellcheck disable=SC2086  # $steps is two numbers
python3 - "$(median < x0.t)" "$(median < x1.t)" "$(median < x4.t)" "$(median < x1mpi.t)" "$REPS" "$K" \
    "$(stat -c %s x1.jsonl)" "$(stat -c %s x4.jsonl)" $steps <<'PY'
import sys
t0, t1, t4, tm = map(float, sys.argv[1:5])
reps, k, b1, b4, n, steps = sys.argv[5], int(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8]), \
    int(sys.argv[9]), int(sys.argv[10])
print("bench: %d records; outputs of %d GSM8K solutions (1x, %.1f MB) and %d (4x, %.1f MB); "
      "median of %s runs each" % (n, k, b1 / 1e6, 4 * k, b4 / 1e6, reps))
print("bench: 4x corpus: %d steps found and judged in %.2f s (%.0f steps/s)" % (steps, t4, steps / t4))
print("bench: one process: 0x %.2f s, 1x %.2f s, 4x %.2f s" % (t0, t1, t4))
print("bench: ratio 4x / 1x %.2f; net of 0x %.2f (4: linear)" % (t4 / t1, (t4 - t0) / (t1 - t0)))
print("bench: 1x under mpirun -n 3 (2 workers): %.2f s, ratio to one process %.2f" % (tm, tm / t1))
PY
