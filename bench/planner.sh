#!/usr/bin/env bash
# bench/planner.sh: what the breadth-first planner (planning/strips.c) costs
# on random Blocksworld problems (random towers; the goal a random full
# arrangement), to document the bound TF_STRIPS_DEFAULT_MAX_STATES: per
# problem the result, the plan's length, the states stored, the time and
# the peak memory (RSS of the whole process, /usr/bin/time). Builds its own
# optimised driver (bench/planner.c with planning/*.c, common/err.c and common/buf.c, cc
# -O2), so needs no CMake build. Seed 0 is an unsolvable goal, (on a a):
# the planner then stores every reachable state (A000262(n) + n A000262(n-1):
# 125, 866, 7057, 65990, 695417 and 8145730 for 4 to 9 blocks) or stops at
# the bound. Not in CTest.
#   SIZES="4 5 6 7 8" SEEDS=3 bash bench/planner.sh     (MAX=N for another bound)
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${SIZES:-4 5 6 7 8}
SEEDS=${SEEDS:-3}
MAX=${MAX:-}
[ -x /usr/bin/time ] || { echo "bench: needs /usr/bin/time (GNU time)" >&2; exit 1; }
W=$(mktemp -d /tmp/tf-bench-XXXXXX)
trap 'rm -rf "$W"' EXIT
${CC:-cc} -std=c11 -O2 -DNDEBUG -D_GNU_SOURCE -I include -o "$W/planner" bench/planner.c \
    planning/*.c common/err.c common/buf.c
printf "%7s %5s %-10s %6s %10s %8s %9s\n" blocks seed result length states seconds peak_MiB
for n in $SIZES; do
    for s in $(seq 0 "$SEEDS"); do
        # shellcheck disable=SC2086  # MAX is empty or one number
        /usr/bin/time -f "%M" -o "$W/rss" "$W/planner" "$n" "$s" $MAX > "$W/out"
        read -r bn bs res len states secs < "$W/out"
        kb=$(tail -1 "$W/rss")
        printf "%7s %5s %-10s %6s %10s %8s %9.1f\n" "$bn" "$bs" "$res" "$len" "$states" "$secs" \
            "$(echo "$kb / 1024" | bc -l)"
    done
done
