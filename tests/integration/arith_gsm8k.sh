#!/usr/bin/env bash
# The arith domain on real data, through the farm: jobs/arith-gsm8k.json (the
# GSM8K test split's reference solutions read as model outputs), run by the
# real tracefarm under real mpirun (2 ranks) and without mpirun, outputs
# byte-identical, its figures checked against a recount in Python that does
# not use the farm (answers read from "####", complexity counted from the
# annotations character by character, the named cell counted from the
# items, Pearson and Wilson recomputed). Then three corpora derived here
# from the same file, each with the original reference:
#   injected  one intermediate result R becomes R + 1 from where it is
#             computed on (its annotation, its shown result, every later use):
#             every changed item has a wrong step;
#   fixed     only that step's result changes, the final answer is kept:
#             every changed item is a correct answer resting on a false step,
#             and the summary's correct_answer_false_step counts them;
#   answer    only the "#### N" line changes (N + 1): every answer is wrong,
#             the steps are those of the original run.
# Skipped (exit 77) when the GSM8K file is missing (TF_GSM8K, default
# ../shared/data/gsm8k/test.jsonl beside the repository).
. "$(dirname "$0")/lib.sh"
G=${TF_GSM8K:-$TF_SRC/../shared/data/gsm8k/test.jsonl}
if [ ! -r "$G" ]; then
    echo "SKIP: $G is missing"
    exit 77
fi
G=$(cd "$(dirname "$G")" && pwd)/$(basename "$G")

# The example job itself, writing here; and one job per derived corpus.
python3 - "$TF_SRC/jobs/arith-gsm8k.json" "$G" <<'PY'
import json, sys
job = json.load(open(sys.argv[1]))
assert job["domain"] == "arith" and job["source"] == "record", job
assert job["fields"] == {"prompt": "question", "reference": "answer", "output": "answer"}, job
job["corpus"] = [sys.argv[2]]
for name, corpus, fields in [("gsm8k", sys.argv[2], job["fields"]),
                             ("injected", "injected.jsonl", None), ("fixed", "fixed.jsonl", None),
                             ("answer", "answer.jsonl", None)]:
    j = dict(job, corpus=[corpus], output="out-" + name, shard_items=100)
    if fields is None:
        j["fields"] = {"prompt": "question", "reference": "answer", "output": "output"}
    json.dump(j, open(name + ".json", "w"))
PY

python3 - "$G" <<'PY'
import json, re, sys

def whole_at(s, i, tok):
    """Is s[i:] starting with tok a whole number (not part of a longer one)?"""
    if not s.startswith(tok, i):
        return False
    b = s[i - 1] if i else " "
    a = s[i + len(tok)] if i + len(tok) < len(s) else " "
    a2 = s[i + len(tok) + 1] if i + len(tok) + 1 < len(s) else " "
    if b.isdigit() or b in ".,":
        return False
    if a.isdigit() or (a in ".," and a2.isdigit()):
        return False
    return True

def grouped(ip):
    out = ""
    for k, ch in enumerate(ip):
        out += ch
        left = len(ip) - 1 - k
        if left and left % 3 == 0:
            out += ","
    return out

NUM = re.compile(r"^-?(\d+(\.\d+)?|\.\d+)$")

def pick(s):
    """The annotation to change (the middle one, or the next whose result is
    a plain number): (where its result starts, the result), or None."""
    anns = [m for m in re.finditer(r"<<([^>]*)>>", s)]
    n = len(anns)
    for j in range(n):
        m = anns[(n // 2 + j) % n]
        body = m.group(1)
        if "=" not in body:
            continue
        r = body[body.index("=") + 1:]
        if NUM.match(r) and len(r.lstrip("-").split(".")[0]) <= 40:
            at = m.start(1) + body.index("=") + 1
            return at, r
    return None

def plus_one(r):
    neg = r.startswith("-")
    mag = r[1:] if neg else r
    ip, _, frac = mag.partition(".")
    ip2 = str(int(ip or "0") + 1)
    return ip, ip2, ("." + frac if frac else ""), neg

def inject(s):
    """R + 1 from its "=R>>" on: everywhere R stands as a whole number, plain
    or grouped by commas (test_arith_gsm8k's injection)."""
    p = pick(s)
    if not p:
        return None
    at, r = p
    ip, ip2, frac, neg = plus_one(r)
    r1, r2 = ip + frac, ip2 + frac
    g, g2 = grouped(ip) + frac, grouped(ip2) + frac
    start = at + (1 if neg else 0)
    out, i = s[:start], start
    while i < len(s):
        if g != r1 and whole_at(s, i, g):
            out += g2
            i += len(g)
        elif whole_at(s, i, r1):
            out += r2
            i += len(r1)
        else:
            out += s[i]
            i += 1
    return out

def fix(s):
    """Only the step's result: R + 1 in "=R>>" and in the shown result right
    after ">>"; the rest of the text (later uses, "#### N") unchanged."""
    p = pick(s)
    if not p:
        return None
    at, r = p
    ip, ip2, frac, neg = plus_one(r)
    r2 = ("-" if neg else "") + ip2 + frac
    end = at + len(r) + 2  # past ">>"
    assert s[at:end] == r + ">>"
    out = s[:at] + r2 + ">>"
    shown = s[end:]
    for cand in (r, ("-" if neg else "") + grouped(ip) + frac):
        if shown.startswith(cand) and whole_at(s, end, cand):
            return out + r2 + shown[len(cand):]
    return out + shown

def wrong_answer(s):
    m = re.search(r"#### *([-\d,\.]+)\s*$", s)
    n = m.group(1).replace(",", "")
    k = str(int(n) + 1) if re.fullmatch(r"-?\d+", n) else n + "1"
    return s[:m.start(1)] + k + s[m.end(1):]

recs = [json.loads(l) for l in open(sys.argv[1])]
changed = {"injected": [], "fixed": []}
with open("injected.jsonl", "w") as fi, open("fixed.jsonl", "w") as ff, \
        open("answer.jsonl", "w") as fa:
    for n, r in enumerate(recs):
        for name, fn, fh in (("injected", inject, fi), ("fixed", fix, ff)):
            t = fn(r["answer"])
            if t is not None:
                changed[name].append(n)
            fh.write(json.dumps(dict(r, output=t if t is not None else r["answer"])) + "\n")
        fa.write(json.dumps(dict(r, output=wrong_answer(r["answer"]))) + "\n")
json.dump(changed, open("changed.json", "w"))
assert len(changed["injected"]) == len(changed["fixed"]) == 1301, {k: len(v) for k, v in changed.items()}
PY

run() { # run NAME: without mpirun and under mpirun -n 2; identical outputs
    local st
    set +e
    "$TF_BIN" run "$1.json" --progress 0 > "$1.out" 2>&1
    st=$?
    set -e
    check "$1: exit 0 without mpirun (got $st)" [ "$st" -eq 0 ]
    zstd -q -dc "out-$1/items.jsonl.zst" > "$1.items.jsonl"
    zstd -q -dc "out-$1/summary.json.zst" > "$1.summary.json"
    sed "s/\"out-$1\"/\"out-$1-mpi\"/" "$1.json" > "$1-mpi.json"
    set +e
    mpi 2 run "$1-mpi.json" --quiet > "$1-mpi.out" 2>&1
    st=$?
    set -e
    check "$1: exit 0 under mpirun -n 2 (got $st)" [ "$st" -eq 0 ]
    check "$1: items identical with 2 ranks" cmp -s "$1.items.jsonl" \
        <(zstd -q -dc "out-$1-mpi/items.jsonl.zst")
    check "$1: summary identical with 2 ranks" cmp -s "$1.summary.json" \
        <(zstd -q -dc "out-$1-mpi/summary.json.zst")
}
for j in gsm8k injected fixed answer; do run "$j"; done

check "gsm8k: the figures, recounted without the farm" python3 - "$G" <<'PY'
import json, math, re, sys
from fractions import Fraction
recs = [json.loads(l) for l in open(sys.argv[1])]
items = [json.loads(l) for l in open("gsm8k.items.jsonl")]
summ = json.load(open("gsm8k.summary.json"))
o = summ["overall"]
assert len(items) == len(recs) == 1319 and summ["domain"] == "arith"
assert all("error" not in i for i in items)

def fmt(q):
    """tf_arith_format: an integer, a terminating decimal, else a fraction."""
    if q.denominator == 1:
        return str(q.numerator)
    d, twos, fives = q.denominator, 0, 0
    while d % 2 == 0: d //= 2; twos += 1
    while d % 5 == 0: d //= 5; fives += 1
    if d != 1:
        return "%d/%d" % (q.numerator, q.denominator)
    places = max(twos, fives)
    v = abs(q) * 10 ** places
    s = str(v.numerator).rjust(places + 1, "0")
    s = s[:-places] + "." + s[-places:]
    return ("-" if q < 0 else "") + s.rstrip("0").rstrip(".")

def complexity(a):
    anns = re.findall(r"<<(.*?)>>", a)
    if not anns:
        return None
    ops = 0
    for body in anns:
        lhs = body.split("=")[0]
        for k, ch in enumerate(lhs):
            if ch in "*/":
                ops += 1
            elif ch in "+-" and k > 0 and (lhs[k - 1].isdigit() or lhs[k - 1] == ")"):
                ops += 1
    return ops

for r, i in zip(recs, items):
    want = fmt(Fraction(re.search(r"#### *(.*)$", r["answer"]).group(1).replace(",", "")))
    assert i["answer"] == want and i["reference_answer"] == want, (i, want)
    assert i["answer_correct"] is True and i["answer_method"] == "hash", i
    assert i["complexity"] == complexity(r["answer"]), (i["index"], i["complexity"])
    # every annotation is one written step (a lone one, or with its prose)
    assert i["steps"] >= len(re.findall(r"<<.*?>>", r["answer"])), i
    assert i["steps"] == i["steps_checked"] + i["steps_unparsed"], i
    assert i["trace_valid"] == (i["steps_wrong"] == 0), i
    assert not any(k in i for k in ("reasoning_from", "reasoning_steps")), i
    assert not i["answer_by_last_number"] and not i["no_answer"] and not i["no_reference"]
# every annotation evaluates right (Python's exact fractions)
for r in recs:
    for body in re.findall(r"<<(.*?)>>", r["answer"]):
        lhs, rhs = body.split("=")[0], body.split("=")[-1]
        if re.fullmatch(r"[\d\.\+\-\*/\(\) ]+", lhs) and re.fullmatch(r"-?[\d\.]+", rhs):
            v = eval(re.sub(r"(\d+(\.\d+)?|\.\d+)", r"Fraction('\1')", lhs))
            assert v == Fraction(rhs), body
# the summary against the items
def rate(c, n):
    return c / n
cell = [i for i in items if i["answer_correct"] and i["steps_wrong"] >= 1]
named = o["correct_answer_false_step"]
assert named["count"] == len(cell) == o["answer_x_trace"]["valid_answer_invalid_trace"]["count"]
z = 1.959963984540054
n, k = len(items), len(cell)
p = k / n
c = (p + z * z / (2 * n)) / (1 + z * z / n)
h = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
assert abs(named["ci95"][0] - (c - h)) < 1e-12 and abs(named["ci95"][1] - (c + h)) < 1e-12, named
assert o["answer_valid"]["count"] == o["answer_optimal"]["count"] == 1319
assert o["trace_valid"]["count"] == sum(i["trace_valid"] for i in items)
assert o["trace_valid_strict"]["count"] == sum(i["trace_valid_strict"] for i in items)
assert all(f["count"] == 0 for f in o["flags"].values()) and len(o["flags"]) == 4, o["flags"]
assert o["trace_len"]["n"] == 1319 and o["trace_len"]["mean"] * 1319 == sum(i["steps"] for i in items)
pairs = [(i["complexity"], i["steps"]) for i in items if i["complexity"] is not None]
lv = o["length_vs_complexity"]
assert lv["n"] == len(pairs) == 1301, lv
mx = sum(x for x, _ in pairs) / len(pairs)
my = sum(y for _, y in pairs) / len(pairs)
sxy = sum((x - mx) * (y - my) for x, y in pairs)
sxx = sum((x - mx) ** 2 for x, _ in pairs)
syy = sum((y - my) ** 2 for _, y in pairs)
assert abs(lv["pearson"] - sxy / math.sqrt(sxx * syy)) < 1e-9, lv
codes = {}
for i in items:
    if i["first_error"]:
        codes[i["first_error"]] = codes.get(i["first_error"], 0) + 1
assert o["first_error"] == dict(sorted(codes.items())), o["first_error"]
print("gsm8k: %d items, %d steps (%d checked, %d wrong, %d unparsed), %d answers correct, "
      "correct_answer_false_step %d (problems %s), pearson %.4f" % (
          len(items), sum(i["steps"] for i in items), sum(i["steps_checked"] for i in items),
          sum(i["steps_wrong"] for i in items), sum(i["steps_unparsed"] for i in items),
          sum(i["answer_correct"] for i in items), len(cell), [i["index"] for i in cell],
          lv["pearson"]))
PY

check "injected: every changed item has a wrong step" python3 - <<'PY'
import json
base = [json.loads(l) for l in open("gsm8k.items.jsonl")]
items = [json.loads(l) for l in open("injected.items.jsonl")]
changed = json.load(open("changed.json"))["injected"]
assert len(items) == 1319 and len(changed) == 1301
for n in changed:
    i = items[n]
    # (problem 501's slip and the injected one fall on one written step: the
    # prose and the annotation that both go wrong there count once)
    assert i["steps_wrong"] >= max(1, base[n]["steps_wrong"]), (n, i)
    assert not i["trace_valid"] and i["first_error"] in ("wrong_result", "prose_mismatch"), i
def same(a, b):
    return {k: v for k, v in a.items() if k != "file"} == {k: v for k, v in b.items() if k != "file"}
for n in set(range(1319)) - set(changed):
    assert same(items[n], base[n]), n
PY

check "fixed: every changed item is a correct answer on a false step, and the summary counts them" \
    python3 - <<'PY'
import json
base = [json.loads(l) for l in open("gsm8k.items.jsonl")]
items = [json.loads(l) for l in open("fixed.items.jsonl")]
o = json.load(open("fixed.summary.json"))["overall"]
changed = json.load(open("changed.json"))["fixed"]
for n in changed:
    i = items[n]
    assert i["answer_correct"] is True and i["steps_wrong"] >= 1 and not i["trace_valid"], (n, i)
    assert i["answer"] == base[n]["answer"], i
cell = [i for i in items if i["answer_correct"] and i["steps_wrong"] >= 1]
assert set(changed) <= {i["index"] for i in cell}
assert o["correct_answer_false_step"]["count"] == len(cell) >= 1301, o["correct_answer_false_step"]
assert o["answer_valid"]["count"] == 1319
PY

check "answer: every answer wrong, the steps those of the original" python3 - <<'PY'
import json
STEPS = ("steps", "steps_checked", "steps_wrong", "steps_unparsed", "trace_valid",
         "trace_valid_strict", "first_error", "first_error_step", "first_error_offset",
         "first_error_text", "strict_first_error", "complexity")
base = [json.loads(l) for l in open("gsm8k.items.jsonl")]
items = [json.loads(l) for l in open("answer.items.jsonl")]
o = json.load(open("answer.summary.json"))["overall"]
for b, i in zip(base, items):
    assert i["answer_correct"] is False and i["answer"] != i["reference_answer"], i
    assert all(i[k] == b[k] for k in STEPS), (b, i)
x = o["answer_x_trace"]
assert o["answer_valid"]["count"] == 0 and o["correct_answer_false_step"]["count"] == 0
assert x["invalid_answer_valid_trace"]["count"] == sum(b["trace_valid"] for b in base) == 1316, x
PY

# The end of the run names the cell, with its count; show prints it too.
check "the run prints correct_answer_false_step" grep -Eq "correct_answer_false_step +3 " gsm8k.out
"$TF_BIN" show out-gsm8k > show.out 2>&1 || true
check "show prints correct_answer_false_step" grep -Eq "correct_answer_false_step +3 " show.out
done_tests
