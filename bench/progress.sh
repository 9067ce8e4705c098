#!/usr/bin/env bash
# bench/progress.sh: the progress display costs nothing measurable. The same
# offline job runs with progress off (--progress 0, the baseline) and on:
# on a terminal (script(1) gives one: the line is refreshed 4 times a second
# and the lone process updates it as every record is written, the hot path;
# its baseline also runs under script(1)) and as plain lines every second,
# alone and under mpirun; the runs are interleaved, REPS times each, and
# the medians' ratios against their baseline are printed (1.00: no cost).
#   REPS=5 COUNT=60000 bash bench/progress.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
TF=$PWD/build/tracefarm
REPS=${REPS:-5}
COUNT=${COUNT:-60000}
command -v script > /dev/null || { echo "bench: needs script(1) (util-linux)" >&2; exit 1; }
W=$(mktemp -d /tmp/tf-bench-XXXXXX)
trap 'rm -rf "$W"' EXIT
cd "$W"
"$TF" gen maze --count "$COUNT" --rows 12 --cols 12 --generator mix --corrupt mix \
    --corrupt-rate 0.3 --seed 1 --out c.jsonl > /dev/null
cat > job.json <<'JSON'
{"name": "bench", "domain": "maze", "corpus": ["c.jsonl"], "output": "out",
 "maze": {"rows": 12, "cols": 12}, "shard_items": 2000}
JSON

secs() { # secs COMMAND...: wall seconds of one run (outputs removed first)
    rm -rf out
    local t0 t1
    t0=$(date +%s.%N)
    "$@" > /dev/null 2>&1 || true
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc
}
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

: > alone.off; : > alone.ttyoff; : > alone.tty; : > alone.plain; : > mpi.off; : > mpi.plain
for _ in $(seq "$REPS"); do
    secs "$TF" run job.json --progress 0 >> alone.off
    secs script -qec "'$TF' run job.json --progress 0" /dev/null >> alone.ttyoff
    secs script -qec "'$TF' run job.json" /dev/null >> alone.tty
    secs "$TF" run job.json --progress 1 >> alone.plain
    secs mpirun -n 3 "$TF" run job.json --progress 0 >> mpi.off
    secs mpirun -n 3 "$TF" run job.json --progress 1 >> mpi.plain
done
for f in alone.off alone.ttyoff alone.tty alone.plain mpi.off mpi.plain; do
    eval "m_${f/./_}=$(median < "$f")"
done
# shellcheck disable=SC2154  # set by the eval above
python3 - "$m_alone_off" "$m_alone_ttyoff" "$m_alone_tty" "$m_alone_plain" "$m_mpi_off" \
    "$m_mpi_plain" "$COUNT" "$REPS" <<'PY'
import sys
ao, ato, at, ap, mo, mp = map(float, sys.argv[1:7])
print("bench: %s records, median of %s runs each" % (sys.argv[7], sys.argv[8]))
print("bench: one process, terminal: progress off %.2f s, on %.2f s, ratio %.3f" % (ato, at, at / ato))
print("bench: one process, plain:    progress off %.2f s, on %.2f s, ratio %.3f" % (ao, ap, ap / ao))
print("bench: mpirun -n 3, plain:    progress off %.2f s, on %.2f s, ratio %.3f" % (mo, mp, mp / mo))
PY
