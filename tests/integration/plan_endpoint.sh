#!/usr/bin/env bash
# The blocksworld domain through the endpoint path, end to end, against the
# synthetic planner of "tracefarm serve": the first 40 tasks of each
# PlanBench file (Blocksworld, Mystery, obfuscated), 2 samples each, every
# flaw at a rate (an invalid action, padding, a refusal), under real
# mpirun. Jobs are jobs/blocksworld-endpoint.json with this corpus and
# server, through
#   chat         the chat API, the reasoning in reasoning_content (2 ranks)
#   chat3        the same on 3 ranks and other shards, asked again: the
#                same bytes
#   think        completions with the reasoning in <think>...</think>
#                (2 ranks)
#   completions  completions with no reasoning part (3 ranks): the plan is
#                read from the whole text
# Each run's figures are set against what the server says it answered
# (/stats before and after the run), exactly: plan_valid = the server's
# valid (optimal + padded), plan_optimal = optimal, the first_error
# histogram = the server's (unmet_PRED for the invalid ones, plan_refused
# for refusals), items by mode (valid and optimal, valid and two steps
# longer, first_invalid where a precondition fails, refused).
# Skipped (exit 77) when the PlanBench files are missing (TF_PLANBENCH).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/endpoint_lib.sh"
D=${TF_PLANBENCH:-$TF_SRC/../shared/data/planbench}
FILES=(blocksworld-o1-mini.jsonl mystery_blocksworld-o1-mini.jsonl
    obfuscated_randomized_blocksworld-o1-mini.jsonl)
for f in "${FILES[@]}"; do
    if [ ! -r "$D/$f" ]; then
        echo "SKIP: $D/$f is missing"
        exit 77
    fi
done
N=40
S=2
for f in "${FILES[@]}"; do head -n "$N" "$D/$f" > "$f"; done
PLAN=(--plan-invalid-rate 0.25 --plan-padding-rate 0.25 --plan-refuse-rate 0.1 --seed 7
    --model tracefarm-planner)
start_serve field 60 "${PLAN[@]}" --reasoning-field
FP=$PORT
start_serve think 60 "${PLAN[@]}" --think
TP=$PORT

# mkjob NAME PORT API SHARD_ITEMS: NAME.json from the example job, with
# this corpus, server, API and shards.
mkjob() {
    python3 - "$TF_SRC/jobs/blocksworld-endpoint.json" "$@" "${FILES[@]}" <<'PY'
import json, sys
src, name, port, api, shard = sys.argv[1:6]
job = json.load(open(src))
assert job["domain"] == "blocksworld" and job["source"] == "endpoint", job
assert job["fields"]["prompt"] == "query" and job["group_by"] == ["domain"], job
assert [c.split("/")[-1] for c in job["corpus"]] == sys.argv[6:], job["corpus"]
job.update(corpus=sys.argv[6:], output="out-" + name, shard_items=int(shard))
e = job["endpoint"]
assert e["samples"] == 2 and e["model"] == "tracefarm-planner", e
e.update(base_url="http://127.0.0.1:%s/v1" % port, api=api, concurrency=8, timeout_s=30)
json.dump(job, open(name + ".json", "w"), indent=1)
PY
}
stats() { curl -sf "http://127.0.0.1:$1/stats" > "$2"; }

# check_run NAME REASONING_FROM: the run's items and summary against the
# server's counts of the run (NAME.before, NAME.after).
check_run() {
    check "$1: exit 0 (got $ST)" [ "$ST" -eq 0 ]
    check "$1: the farm's counts are the server's" python3 - "$1" "$2" "$((3 * N * S))" <<'PY'
import json, sys
from collections import Counter
name, reasoning_from, total = sys.argv[1], sys.argv[2], int(sys.argv[3])
items = [json.loads(l) for l in open(name + ".items.jsonl")]
summary = json.load(open(name + ".summary.json"))
overall = summary["overall"]
b, a = (json.load(open(name + x))["completions"] for x in (".before", ".after"))
assert a["choices"] - b["choices"] == total, (a["choices"], b["choices"])
pb, pa = b["plan"], a["plan"]
mode = {k: pa["by_mode"][k] - pb["by_mode"][k] for k in pa["by_mode"]}
errors = Counter({k: v - pb["first_error"].get(k, 0) for k, v in pa["first_error"].items()})
errors = +errors  # drop zeros
valid, optimal = pa["valid"] - pb["valid"], pa["optimal"] - pb["optimal"]
assert sum(mode.values()) == total, mode
assert mode["unsolvable"] == mode["limit"] == 0, mode  # PlanBench tasks are solvable
assert all(mode[k] > 0 for k in ("optimal", "padded", "invalid", "refused")), mode
assert pa["no_place"] == pb["no_place"], (pa, pb)
assert len(items) == total, len(items)
assert all("error" not in i for i in items), [i for i in items if "error" in i][:1]
# the summary against the server
assert overall["items"] == total and overall["verified"] == total, overall
assert overall["plan_valid"]["count"] == valid == mode["optimal"] + mode["padded"], (overall, mode)
assert overall["plan_optimal"]["count"] == optimal == mode["optimal"], (overall, mode)
assert Counter(overall["first_error"]) == errors, (overall["first_error"], errors)
assert errors["plan_refused"] == mode["refused"], (errors, mode)
assert sum(v for k, v in errors.items() if k.startswith("unmet_")) == mode["invalid"], errors
# the items, by what the server did
cell = Counter()
for i in items:
    if i["plan_optimal"]:
        cell["optimal"] += 1
    elif i["plan_valid"]:
        assert i["plan_len"] == i["optimal_plan_len"] + 2, i
        cell["padded"] += 1
    elif i["first_error"] == "plan_refused":
        assert i["plan_len"] == 0, i
        cell["refused"] += 1
    else:
        assert i["first_error"].startswith("unmet_") and "first_invalid" in i, i
        assert i["plan_len"] in (i["optimal_plan_len"] - 1, i["optimal_plan_len"] + 1), i
        cell["invalid"] += 1
    assert i["optimal_plan_len"] == i["ground_truth_len"], i  # PlanBench's plans are optimal
assert cell == Counter({k: v for k, v in mode.items() if v}), (cell, mode)
got = Counter(i.get("reasoning_from", "none") for i in items)
assert got == Counter({reasoning_from: total}), got
want_len = {"endpoint": "usage_reasoning_tokens", "think": "reasoning_text_estimate",
            "none": "completion_tokens"}[reasoning_from]
assert Counter(i["reasoning_len_from"] for i in items) == Counter({want_len: total})
# reasoning grows with the optimal plan's length
assert overall["length_vs_complexity"]["spearman"] > 0.9, overall["length_vs_complexity"]
groups = {g["key"][0]: g["items"] for g in summary["groups"]}
assert groups == {"blocksworld": 2 * 40, "mystery_blocksworld": 2 * 40,
                  "obfuscated_randomized_blocksworld": 2 * 40}, groups
print(name, "items", total, "server", mode, dict(errors))
PY
}

# --- chat, the reasoning in reasoning_content; again on 3 ranks -------------
mkjob chat "$FP" chat 25
stats "$FP" chat.before
run_job chat 2
stats "$FP" chat.after
check_run chat endpoint
mkjob chat3 "$FP" chat 33
stats "$FP" chat3.before
run_job chat3 3
stats "$FP" chat3.after
check_run chat3 endpoint
check "chat3: items identical to chat's" cmp -s chat.items.jsonl chat3.items.jsonl
check "chat3: summary identical to chat's" cmp -s chat.summary.json chat3.summary.json

# --- completions with <think>; without a reasoning part -----------------------
mkjob think "$TP" completions 30
stats "$TP" think.before
run_job think 2
stats "$TP" think.after
check_run think think
mkjob completions "$FP" completions 45
stats "$FP" completions.before
run_job completions 3
stats "$FP" completions.after
check_run completions none
# the same samples whatever the channel: think and completions asked the
# same requests of servers with the same seed
check "think and completions: the same plans, another channel" python3 - <<'PY'
import json
keep = ("plan", "plan_valid", "plan_optimal", "first_error", "first_invalid")
a = [json.loads(l) for l in open("think.items.jsonl")]
b = [json.loads(l) for l in open("completions.items.jsonl")]
assert [[i.get(k) for k in keep] for i in a] == [[i.get(k) for k in keep] for i in b]
PY
stop "${SERVE_PIDS[0]}"
stop "${SERVE_PIDS[1]}"

done_tests
