#!/usr/bin/env bash
# Records for every domain (docs/job.md, "fields"; docs/outputs.md, "The
# reasoning part"): the same model outputs, shaped as an OpenAI batch output
# file, a vLLM offline dump (<think> blocks, DeepSeek-R1's shape, a response
# cut inside its reasoning) and an HF chat export (reasoning_content, content
# parts), are read with "fields" settings alone and give the verdicts of the
# flat corpus; items say where the reasoning came from; a missing path is an
# error item naming it. Then the endpoint: "tracefarm serve --reasoning-field"
# against the same server without it, and a server replaying <think> outputs
# against the record source. Real tracefarm, real mpirun, real servers.
. "$(dirname "$0")/lib.sh"
. "$TF_SRC/tests/integration/endpoint_lib.sh"

"$TF_BIN" gen maze --count 60 --rows 6 --cols 6 --generator mix --corrupt mix --corrupt-rate 0.5 \
    --seed 71 --out flat.jsonl
python3 - <<'PY'
import json, re
recs = [json.loads(l) for l in open("flat.jsonl")]

def split(out):
    """The search and the plan of an output: the text before the first plan
    entry is the reasoning, the rest the answer (one whitespace apart, so
    reasoning + newline + answer has the tokens of the output)."""
    m = re.search(r"(^| )plan ", out)
    if not m or m.start() == 0:
        return None, out
    return out[:m.start()], out[m.start() + 1:]

batch, vllm, chat = open("batch.jsonl", "w"), open("vllm.jsonl", "w"), open("chat.jsonl", "w")
for n, r in enumerate(recs):
    reasoning, answer = split(r["output"])
    problem = {"prompt": r["prompt"], "rows": r["rows"], "cols": r["cols"],
               "generator": r["generator"], "reference": r["reference"]}
    # an OpenAI batch output line (vllm run-batch writes the same), the problem joined to it
    msg = {"role": "assistant", "content": answer, "reasoning_content": reasoning}
    line = {"id": "batch_req_%d" % n, "custom_id": r["id"],
            "response": {"status_code": 200, "request_id": "req-%d" % n,
                         "body": {"id": "chatcmpl-%d" % n, "object": "chat.completion",
                                  "created": 1700000000, "model": "maze-r1",
                                  "choices": [{"index": 0, "message": msg, "logprobs": None,
                                               "finish_reason": "stop"}],
                                  "usage": {"prompt_tokens": 50, "completion_tokens": 100 + n,
                                            "total_tokens": 150 + n}}},
            "error": None, "problem": problem}
    if n == 5:  # a failed request: no response
        line["response"] = None
        line["error"] = {"code": "server_error", "message": "The server had an error"}
    batch.write(json.dumps(line) + "\n")
    # a vLLM offline dump (LLM.generate): <think> blocks in the text
    if n % 3 == 0 or reasoning is None:
        text = "<think>\n%s\n</think>\n\n%s" % (reasoning or "", answer)
    elif n % 3 == 1:
        text = "%s\n</think>\n\n%s" % (reasoning, answer)  # R1: <think> was in the prompt
    else:
        text = "<think>\n%s" % reasoning  # cut by max_tokens inside its reasoning
    vllm.write(json.dumps({"request_id": str(n), "prompt": r["prompt"], "rows": r["rows"],
                           "cols": r["cols"], "generator": r["generator"],
                           "reference": r["reference"],
                           "outputs": [{"index": 0, "text": text, "token_ids": [1, 2, 3],
                                        "cumulative_logprob": None,
                                        "finish_reason": "length" if n % 3 == 2 else "stop"}],
                           "finished": True}) + "\n")
    # an HF chat export: system, user (content parts every other record), assistant
    user = r["prompt"] if n % 2 else [{"type": "text", "text": r["prompt"]}]
    msgs = [{"role": "system", "content": "You solve mazes with A*."},
            {"role": "user", "content": user},
            {"role": "assistant", "content": answer, "reasoning_content": reasoning}]
    if n == 9:
        msgs = msgs[:2]  # the model's answer is missing
    chat.write(json.dumps({"id": r["id"], "rows": r["rows"], "cols": r["cols"],
                           "generator": r["generator"], "reference": r["reference"],
                           "messages": msgs}) + "\n")
PY
job() { # job NAME CORPUS GROUP FIELDS [EXTRA]
    cat > "$1.json" <<JSON
{"name": "records", "domain": "maze", "corpus": ["$2"], "output": "out-$1", "shard_items": 15,
 "group_by": ["$3"], "fields": $4 ${5:+, $5}}
JSON
}
job flat flat.jsonl generator '{}'
job batch batch.jsonl problem.generator '{"id": "custom_id", "prompt": "problem.prompt",
 "rows": "problem.rows", "cols": "problem.cols", "reference": "problem.reference",
 "output": "response.body.choices[0].message.content",
 "reasoning": "response.body.choices[0].message.reasoning_content",
 "tokens": "response.body.usage.completion_tokens"}' '"keep_output": true'
job vllm vllm.jsonl generator '{"output": "outputs[0].text"}'
job chat chat.jsonl generator '{"messages": "messages"}'
for j in flat:0 batch:3 vllm:0 chat:3; do # NAME:EXIT (3: one error item each)
    run_job "${j%:*}" 2
    check "${j%:*}: exit ${j#*:} (got $ST)" [ "$ST" -eq "${j#*:}" ]
done

check "the three shapes give the flat corpus's verdicts; reasoning_from; missing paths named" \
    python3 - <<'PY'
import json
def items(name):
    return [json.loads(l) for l in open(name + ".items.jsonl")]
flat, batch, vllm, chat = items("flat"), items("batch"), items("vllm"), items("chat")
assert len(flat) == len(batch) == len(vllm) == len(chat) == 60
PARTS = ("reasoning_from", "reasoning_trace_len", "answer_trace_len", "first_error_part",
         "answer_contradicts_reasoning")
def verdict(i):
    return {k: v for k, v in i.items()
            if k not in ("file", "id", "group", "output", "reasoning") + PARTS}
def has_parts(i, frm):
    assert i["reasoning_from"] == frm, i
    assert i["reasoning_trace_len"] + i["answer_trace_len"] == i["trace_len"], i
    assert i["first_error_part"] in (None, "reasoning", "answer", "end"), i
    assert (i["first_error_part"] is None) == i["trace_valid"], i
    assert i["answer_contradicts_reasoning"] is None, i  # no plan in the reasoning
flat_by_line = {i["line"]: i for i in flat}
src = [json.loads(l) for l in open("flat.jsonl")]
seen = {"field": 0, "think": 0, "messages": 0}
for n, (f, b, v, c) in enumerate(zip(flat, batch, vllm, chat)):
    assert "error" not in f, f
    assert not any(k in f for k in PARTS), f  # an output without reasoning: items as before
    # batch: the verdict, with the line's id and token count
    if n == 5:
        assert b["error_kind"] == "bad_record", b
        assert b["error"] == 'batch.jsonl:6: missing field "response.body.choices[0].message.content"', b
        assert b["id"] == f["id"] and b["group"] == {"problem.generator": f["group"]["generator"]}, b
    else:
        assert verdict(b) == verdict(f) and b["id"] == f["id"], (b, f)
        assert b["group"] == {"problem.generator": f["group"]["generator"]}, b
        if "reasoning_from" in b:
            has_parts(b, "field")
            seen["field"] += 1
            # keep_output: the two channels as the line gave them
            assert b["reasoning"] + " " + b["output"] == src[n]["output"], (b, src[n])
        else:
            assert b["output"] == src[n]["output"] and "reasoning" not in b, b
    # vllm: <think> blocks; a third of them cut inside the reasoning
    if n % 3 == 2 and src[n]["output"].find(" plan ") > 0:
        assert v["plan_error"] == "plan_syntax_error" and v["plan_len"] == 0, v
        assert v["answer_trace_len"] == 0 and not v["plan_valid"], v
    else:
        assert verdict(v) == verdict(f) and "id" not in v, (n, v, f)
    has_parts(v, "think")
    seen["think"] += 1
    # chat: reasoning_content of the assistant message
    if n == 9:
        assert c["error"] == 'chat.jsonl:10: field "messages" has no "assistant" message', c
        continue
    assert verdict(c) == verdict(f) and c["id"] == f["id"], (c, f)
    if "reasoning_from" in c:
        has_parts(c, "messages")
        seen["messages"] += 1
assert all(k > 20 for k in seen.values()), seen
PY

check "batch: the token statistics count the line's usage" python3 - <<'PY'
import json
s = json.load(open("batch.summary.json"))["overall"]
assert s["tokens"]["n"] == 59 and s["tokens"]["min"] == 100 and s["tokens"]["max"] == 159, s["tokens"]
PY

# ---- the endpoint: reasoning_content against the whole text, and <think> replayed
"$TF_BIN" gen maze --count 30 --rows 8 --cols 8 --generator mix --seed 72 --out ep.jsonl
start_serve whole 60 --seed 6 --rows 8 --cols 8 --invalid-step-rate 0.4 --wrong-plan-rate 0.2
P1=$PORT
start_serve split 60 --seed 6 --rows 8 --cols 8 --invalid-step-rate 0.4 --wrong-plan-rate 0.2 \
    --reasoning-field
P2=$PORT
spec whole out-whole "$P1" '["ep.jsonl"]' 10 '"api": "chat", "samples": 2, "backoff_ms": 1'
spec split out-split "$P2" '["ep.jsonl"]' 10 '"api": "chat", "samples": 2, "backoff_ms": 1'
run_job whole 2
check "endpoint, whole text: exit 0 (got $ST)" [ "$ST" -eq 0 ]
run_job split 2
check "endpoint, --reasoning-field: exit 0 (got $ST)" [ "$ST" -eq 0 ]
check "reasoning_content + content: the verdicts of the whole text, reasoning_from endpoint" \
    python3 - <<'PY'
import json
w = [json.loads(l) for l in open("whole.items.jsonl")]
s = [json.loads(l) for l in open("split.items.jsonl")]
assert len(w) == len(s) == 60
PARTS = ("reasoning_from", "reasoning_trace_len", "answer_trace_len", "first_error_part",
         "answer_contradicts_reasoning", "reasoning_tokens")
split = 0
for a, b in zip(w, s):
    assert not any(k in a for k in PARTS[:-1]), a
    assert {k: v for k, v in a.items() if k not in PARTS} == \
           {k: v for k, v in b.items() if k not in PARTS}, (a, b)
    if "reasoning_from" in b:
        split += 1
        assert b["reasoning_from"] == "endpoint" and b["reasoning_tokens"] > 0, b
        assert b["reasoning_trace_len"] + b["answer_trace_len"] == b["trace_len"], b
        assert b["answer_trace_len"] == 0, b  # the server puts the whole search in the reasoning
assert split > 40, split
PY

# a server replaying the flat corpus's outputs in <think> blocks: the record
# source's verdicts, through the endpoint, then through the cache
python3 - <<'PY'
import json
with open("think-replay.jsonl", "w") as f:
    for l in open("flat.jsonl"):
        r = json.loads(l)
        out = r["output"]
        k = out.find(" plan ")
        text = ("<think>%s</think>\n%s" % (out[:k], out[k + 1:])) if k > 0 else out
        f.write(json.dumps({"prompt": r["prompt"], "output": text}) + "\n")
PY
start_serve replay 60 --replay think-replay.jsonl
spec think out-think "$PORT" '["flat.jsonl"]' 15 '"backoff_ms": 1'
sed -i 's/"rows": 8, "cols": 8/"rows": 6, "cols": 6/' think.json
run_job think 2
check "endpoint, <think> replayed: exit 0 (got $ST)" [ "$ST" -eq 0 ]
sed 's/"source": "endpoint"/"source": "cache"/; s/out-think/out-thinkc/' think.json > thinkc.json
sed -i 's#"endpoint": {#"endpoint": {"cache_dir": "out-think/cache", #' thinkc.json
run_job thinkc 0
check "<think> through the endpoint: the flat verdicts, reasoning_from think; the cache the same" \
    python3 - <<'PY'
import json
f = [json.loads(l) for l in open("flat.items.jsonl")]
t = [json.loads(l) for l in open("think.items.jsonl")]
c = [json.loads(l) for l in open("thinkc.items.jsonl")]
assert len(f) == len(t) == 60 and c == t
EP = ("sample", "finish_reason", "truncated", "prompt_tokens", "completion_tokens",
      "reasoning_tokens", "reasoning_from", "reasoning_trace_len", "answer_trace_len",
      "first_error_part", "answer_contradicts_reasoning")
think = 0
for a, b in zip(f, t):
    assert {k: v for k, v in a.items() if k not in EP} == \
           {k: v for k, v in b.items() if k not in EP}, (a, b)
    if "reasoning_from" in b:
        think += 1
        assert b["reasoning_from"] == "think", b
assert think > 40, think
PY
# the maze's flag: an answer part that contradicts the reasoning's plan is
# counted in the summary (per group) and shown at the end of the run
python3 - "$TF_SRC/tests/data/maze" <<'PY'
import json, sys
with open("flag.jsonl", "w") as f:
    for k, name in enumerate(["searchformer-think-plan-contradicts", "searchformer-think-plan-agrees",
                              "searchformer-think-plan-contradicts"]):
        c = json.load(open(f"{sys.argv[1]}/{name}.json"))
        f.write(json.dumps({"id": f"f{k}", "kind": name.rsplit("-", 1)[1], "rows": c["rows"], "cols": c["cols"],
                            "prompt": c["prompt"], "output": c["output"]}) + "\n")
PY
job flag flag.jsonl kind '{}'
"$TF_BIN" run flag.json > flag.stdout 2> flag.stderr
check "flag: the end of the run names the flag" grep -Eq "answer_contradicts_reasoning +2 +66.67 %" flag.stdout
check "flag: counted in the summary, overall and per group" python3 - <<'PY'
import json, subprocess
s = json.loads(subprocess.run(["zstd", "-qdc", "out-flag/summary.json.zst"], capture_output=True, check=True).stdout)
items = [json.loads(l) for l in subprocess.run(["zstd", "-qdc", "out-flag/items.jsonl.zst"], capture_output=True, check=True).stdout.splitlines()]
n = sum(1 for i in items if i.get("answer_contradicts_reasoning") is True)
assert n == 2, items
assert s["overall"]["flags"]["answer_contradicts_reasoning"]["count"] == n, s["overall"]["flags"]
by = {g["key"][0]: g["flags"]["answer_contradicts_reasoning"]["count"] for g in s["groups"]}
assert by == {"contradicts": 2, "agrees": 0}, by
PY

done_tests
