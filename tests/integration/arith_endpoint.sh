#!/usr/bin/env bash
# The arith domain through the endpoint path, end to end, against the
# synthetic arith model of "tracefarm serve" (--arith-corpus): the first 300
# GSM8K test problems, 2 samples each, every slip at a rate (carried
# through, silently fixed, wrong final answer) and every style (mix), under
# real mpirun. Jobs are jobs/arith-endpoint.json with this corpus and
# server, through
#   chat         the chat API, the working in reasoning_content (2 ranks)
#   chat3        the same on 3 ranks and other shards, asked again: the
#                same bytes
#   cache        source "cache" over chat's response cache: the same bytes,
#                no request
#   completions  the completions API, no reasoning part (3 ranks)
#   think        completions with the working in <think>...</think> (2 ranks)
#   thinkchat    chat with <think> in content (3 ranks)
# Each run's figures are set against what the server says it injected
# (/stats before and after the run): items with a right answer and no
# wrong step = correct, a right answer and exactly one wrong step = fixed
# (and the summary's correct_answer_false_step), a wrong answer and one
# wrong step = carried, a wrong answer and no wrong step = final, none with
# more; the answer forms = the styles. All exact.
# Skipped (exit 77) when the GSM8K file is missing (TF_GSM8K).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/endpoint_lib.sh"
G=${TF_GSM8K:-$TF_SRC/../shared/data/gsm8k/test.jsonl}
if [ ! -r "$G" ]; then
    echo "SKIP: $G is missing"
    exit 77
fi
N=300
S=2
head -n "$N" "$G" > c.jsonl
ARITH=(--arith-corpus c.jsonl --arith-style mix --arith-carry-rate 0.2 --arith-fix-rate 0.2
    --arith-final-rate 0.15 --seed 11 --model tracefarm-arith)
start_serve field 60 "${ARITH[@]}" --reasoning-field
FP=$PORT
start_serve think 60 "${ARITH[@]}" --think
TP=$PORT

# mkjob NAME PORT API SHARD_ITEMS [SOURCE [CACHE_DIR]]: NAME.json from the
# example job, with this corpus, server, API and shards.
mkjob() {
    python3 - "$TF_SRC/jobs/arith-endpoint.json" "$@" <<'PY'
import json, sys
src, name, port, api, shard = sys.argv[1:6]
job = json.load(open(src))
assert job["domain"] == "arith" and job["source"] == "endpoint", job
assert job["fields"] == {"prompt": "question", "reference": "answer"}, job
assert "{prompt}" in job["endpoint"]["prompt_template"], job
job.update(corpus=["c.jsonl"], output="out-" + name, shard_items=int(shard))
e = job["endpoint"]
e.update(base_url="http://127.0.0.1:%s/v1" % port, api=api, samples=2, concurrency=8,
         timeout_s=30)
if len(sys.argv) > 6:
    job["source"] = sys.argv[6]
    e["cache_dir"] = sys.argv[7]
json.dump(job, open(name + ".json", "w"), indent=1)
PY
}
stats() { curl -sf "http://127.0.0.1:$1/stats" > "$2"; }

# check_run NAME PORT REASONING_FROM: the run's items and summary against
# the server's counts of the run (NAME.before, NAME.after).
check_run() {
    check "$1: exit 0 (got $ST)" [ "$ST" -eq 0 ]
    check "$1: the farm's counts are the server's" python3 - "$1" "$3" "$((N * S))" <<'PY'
import json, sys
from collections import Counter
name, reasoning_from, total = sys.argv[1], sys.argv[2], int(sys.argv[3])
items = [json.loads(l) for l in open(name + ".items.jsonl")]
summary = json.load(open(name + ".summary.json"))["overall"]
b, a = (json.load(open(name + x))["completions"] for x in (".before", ".after"))
mode = {k: a["arith"]["by_mode"][k] - b["arith"]["by_mode"][k] for k in a["arith"]["by_mode"]}
style = {k: a["arith"]["by_style"][k] - b["arith"]["by_style"][k] for k in a["arith"]["by_style"]}
assert a["choices"] - b["choices"] == total, (a["choices"], b["choices"])
assert a["arith"]["reference_wrong"] == b["arith"]["reference_wrong"], a["arith"]
assert a["arith"]["unknown_question"] == b["arith"]["unknown_question"], a["arith"]
assert len(items) == total, len(items)
assert [i["sample"] for i in items] == [0, 1] * (total // 2)
assert all("error" not in i for i in items), [i for i in items if "error" in i][:1]
# what the farm found, by (answer right, wrong steps)
cell = Counter((i["answer_correct"], i["steps_wrong"]) for i in items)
farm = {"correct": cell[(True, 0)], "fixed": cell[(True, 1)],
        "carried": cell[(False, 1)], "final": cell[(False, 0)]}
assert sum(farm.values()) == total, cell  # nothing else: no item with two wrong steps
assert farm == mode, (farm, mode)
assert all(v > 0 for v in mode.values()), mode
method = Counter(i["answer_method"] for i in items)
assert method == Counter({"hash": style["gsm8k"], "answer_is": style["prose"],
                          "boxed": style["boxed"]}), (method, style)
assert all(style.values()), style
# the summary says the same
assert summary["items"] == total and summary["verified"] == total, summary
assert summary["correct_answer_false_step"]["count"] == mode["fixed"], summary
assert summary["answer_valid"]["count"] == mode["correct"] + mode["fixed"], summary
assert summary["trace_valid"]["count"] == mode["correct"] + mode["final"], summary
assert summary["answer_x_trace"]["invalid_answer_invalid_trace"]["count"] == mode["carried"]
# the reasoning part: where it came from; the slips are in it, the answer
# part is the final answer's sentence alone
got = Counter(i.get("reasoning_from", "none") for i in items)
assert got == Counter({reasoning_from: total}), got
if reasoning_from != "none":
    assert all(i["answer_steps"] == 0 for i in items)
    assert all(i["first_error_part"] == "reasoning" for i in items if i["steps_wrong"]), items
    assert all(i["reasoning_steps_wrong"] == i["steps_wrong"] for i in items)
print(name, "items", total, "server", mode, style)
PY
}

# --- chat, the working in reasoning_content; again on 3 ranks -----------------
mkjob chat "$FP" chat 40
stats "$FP" chat.before
run_job chat 2
stats "$FP" chat.after
check_run chat "$FP" endpoint
mkjob chat3 "$FP" chat 70
stats "$FP" chat3.before
run_job chat3 3
stats "$FP" chat3.after
check_run chat3 "$FP" endpoint
check "chat3: the server was asked again" python3 -c "
import json, sys
b, a = (json.load(open('chat3' + x))['completions'] for x in ('.before', '.after'))
assert a['choices'] - b['choices'] == $((N * S))"
check "chat3: items identical to chat's" cmp -s chat.items.jsonl chat3.items.jsonl
check "chat3: summary identical to chat's" cmp -s chat.summary.json chat3.summary.json

# --- source cache: chat's responses again, nothing sent ----------------------
mkjob cache "$FP" chat 55 cache out-chat/cache
stats "$FP" cache.before
run_job cache 2
stats "$FP" cache.after
check "cache: exit 0 (got $ST)" [ "$ST" -eq 0 ]
check "cache: no request" python3 -c "
import json
b, a = (json.load(open('cache' + x)) for x in ('.before', '.after'))
for k in ('/v1/completions', '/v1/chat/completions'):
    assert a['by_endpoint'][k] == b['by_endpoint'][k], (a, b)
assert a['completions'] == b['completions'], (a, b)"
check "cache: items identical to chat's" cmp -s chat.items.jsonl cache.items.jsonl
check "cache: summary identical to chat's" cmp -s chat.summary.json cache.summary.json

# --- completions: no reasoning part; with <think> ------------------------------
mkjob completions "$FP" completions 60
stats "$FP" completions.before
run_job completions 3
stats "$FP" completions.after
check_run completions "$FP" none
mkjob think "$TP" completions 45
stats "$TP" think.before
run_job think 2
stats "$TP" think.after
check_run think "$TP" think
mkjob thinkchat "$TP" chat 80
stats "$TP" thinkchat.before
run_job thinkchat 3
stats "$TP" thinkchat.after
check_run thinkchat "$TP" think
# the same samples whatever the channel: completions and think asked the
# same requests (the same prompts and seeds) of servers with the same seed
check "completions and think: the same verdicts, another channel" python3 - <<'PY'
import json
keep = ("answer", "answer_correct", "steps", "steps_wrong", "first_error", "first_error_text")
a = [json.loads(l) for l in open("completions.items.jsonl")]
b = [json.loads(l) for l in open("think.items.jsonl")]
assert [[i[k] for k in keep] for i in a] == [[i[k] for k in keep] for i in b]
PY
stop "${SERVE_PIDS[0]}"
stop "${SERVE_PIDS[1]}"

done_tests
