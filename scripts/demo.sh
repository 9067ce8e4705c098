#!/usr/bin/env bash
# demo.sh: the built-in default job, from nothing: install, build, generate a
# small maze corpus (correct traces and the corruptions studies use), verify
# it with 2 MPI ranks, print the summary. Outputs go to demo-out/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. scripts/env.sh
TF=build/tracefarm
mkdir -p demo-out
echo "demo: generating 2000 mazes (10x10, all generators, 1 in 2 corrupted)"
"$TF" gen maze --count 2000 --rows 10 --cols 10 --generator mix --corrupt mix \
    --corrupt-rate 0.5 --seed 7 --frame-items 100 --out demo-out/corpus.jsonl.zst
echo "demo: mpirun -n 2 $TF run jobs/maze-offline.json"
mpirun -n 2 "$TF" run jobs/maze-offline.json
