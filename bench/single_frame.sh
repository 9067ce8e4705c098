#!/usr/bin/env bash
# bench/single_frame.sh: a single-frame .zst of several GB still works, in
# bounded memory. The same records are run as a multi-frame file (the
# baseline, which shards) and as one single frame (one shard), under 2 ranks;
# prints throughput and the peak RSS of each, and their ratios.
#   GB=3 bash bench/single_frame.sh      (default 3 GB uncompressed)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
TF=$PWD/build/tracefarm
GB=${GB:-3}
W=$(mktemp -d /tmp/tf-bench-XXXXXX)
trap 'rm -rf "$W"' EXIT
cd "$W"
"$TF" gen maze --count 20000 --rows 20 --cols 20 --generator mix --corrupt mix \
    --corrupt-rate 0.3 --seed 1 --out unit.jsonl
unit=$(stat -c %s unit.jsonl)
reps=$(( (GB * 1024 * 1024 * 1024 + unit - 1) / unit ))
echo "bench: $reps copies of $((unit / 1048576)) MiB = $((reps * unit / 1048576)) MiB uncompressed"
# single frame: zstd of a stream (no size known up front, one frame)
for _ in $(seq "$reps"); do cat unit.jsonl; done | zstd -q -1 -c > single.jsonl.zst
# multi-frame baseline: one frame per copy
for _ in $(seq "$reps"); do zstd -q -1 -c unit.jsonl; done > multi.jsonl.zst
ls -l single.jsonl.zst multi.jsonl.zst
run() { # NAME FILE
    cat > "$1.json" <<JSON
{"name": "bench", "domain": "maze", "corpus": ["$2"], "output": "out-$1", "maze": {"rows": 20, "cols": 20}, "shard_items": 20000}
JSON
    /usr/bin/time -f "%e %M" -o "$1.time" mpirun -n 2 "$TF" run "$1.json" --quiet
    read -r secs kb < "$1.time"
    echo "$1: $secs s, peak RSS of the largest rank $((kb / 1024)) MiB"
}
run multi multi.jsonl.zst
run single single.jsonl.zst
# same records, so the same summary but for the file name
if cmp <(zstd -dc out-multi/summary.json.zst | sed 's/multi.jsonl.zst/X/') \
    <(zstd -dc out-single/summary.json.zst | sed 's/single.jsonl.zst/X/'); then
    echo "bench: summaries agree"
else
    echo "bench: summaries DIFFER" >&2
    exit 1
fi
read -r ms mk < multi.time
read -r ss sk < single.time
python3 -c "print('bench: single/multi time ratio %.2f, RSS ratio %.2f' % ($ss/$ms, $sk/$mk))"
