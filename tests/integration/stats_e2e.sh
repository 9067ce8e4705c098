#!/usr/bin/env bash
# Grouped statistics end to end under real mpirun: summary.json.zst is
# byte-identical for no mpirun and 1, 2 and 4 ranks with different shard
# sizes; every group_by combination is a group with its key (error items
# included); the overall figures equal scipy's computed from
# items.jsonl.zst; "tracefarm show" prints every group and fails clearly.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3

"$TF_BIN" gen maze --count 500 --rows 8 --cols 9 --generator mix --corrupt mix \
    --corrupt-rate 0.6 --seed 21 --frame-items 32 --out a.jsonl.zst
"$TF_BIN" gen maze --count 120 --rows 8 --cols 9 --generator mix --corrupt mix \
    --seed 22 --out b0.jsonl
# b: tokens on some records, and error items that still have a group
"$PY" - b0.jsonl b.jsonl <<'PY'
import json, sys
out = open(sys.argv[2], "w")
for i, line in enumerate(open(sys.argv[1])):
    r = json.loads(line)
    if i % 3:
        r["completion_tokens"] = 7 * len(r["output"].split()) + i % 5
    if i == 5:
        del r["output"]                      # bad_record in its group
    out.write(json.dumps(r) + "\n")
    if i == 9:
        out.write('{"generator": "wilson", "broken\n')   # bad_json: key [null, null]
PY
rm b0.jsonl

job() { # job NAME SHARD_ITEMS
    cat > "$1.json" <<JSON
{"name": "stats", "domain": "maze", "corpus": ["a.jsonl.zst", "b.jsonl"], "output": "$1",
 "maze": {"rows": 8, "cols": 9}, "shard_items": $2,
 "group_by": ["generator", "corruption"], "stats": {"error_position_bins": 5}}
JSON
}
run() { # run NAME RANKS SHARD_ITEMS
    job "$1" "$3"
    local st
    set +e
    if [ "$2" -eq 0 ]; then
        "$TF_BIN" run "$1.json" > "$1.out"
    else
        mpi "$2" run "$1.json" > "$1.out"
    fi
    st=$?
    set -e
    check "$1 exits 3 (error items; got $st)" [ "$st" -eq 3 ]
    zstd -q -dc "$1/summary.json.zst" > "$1.summary.json"
}
run base 0 100000
run r1 1 7
run r2 2 13
run r4 4 50
run r4s 4 3
for r in r1 r2 r4 r4s; do
    check "$r summary identical" cmp -s base.summary.json "$r.summary.json"
done
check "r4s used many shards" "$PY" -c "import json,sys; assert json.load(open('r4s/run.json'))['shards'] > 20"
check "run prints the groups" grep -q "groups: " base.out

zstd -q -dc base/items.jsonl.zst > items.jsonl
zstd -q -dc a.jsonl.zst > a.jsonl
check "groups and overall agree with scipy" "$PY" - base.summary.json items.jsonl a.jsonl b.jsonl <<'PY'
import json, math, sys, warnings
import numpy as np, scipy.stats as st
warnings.simplefilter("ignore")
s = json.load(open(sys.argv[1]))
items = [json.loads(l) for l in open(sys.argv[2])]
recs = []
for f in sys.argv[3:]:
    for l in open(f):
        try:
            recs.append(json.loads(l))
        except ValueError:
            recs.append(None)
assert len(recs) == len(items) == s["items"] == 621, (len(recs), len(items))
def key(r):
    vals = [r.get(k) if isinstance(r, dict) else None for k in ("generator", "corruption")]
    return json.dumps(vals, separators=(",", ":"))
groups = {}
for r, it in zip(recs, items):
    groups.setdefault(key(r), []).append(it)
want_keys = sorted(groups, key=lambda k: k.encode())
got_keys = [json.dumps(g["key"], separators=(",", ":")) for g in s["groups"]]
assert got_keys == want_keys, (got_keys, want_keys)
assert len(want_keys) >= 40 and "[null,null]" in want_keys
assert s["group_by"] == ["generator", "corruption"] and s["groups_overflow"] is False
def close(a, b, what):
    assert (a is None and b is None) or abs(a - b) <= max(1e-12, 1e-9 * abs(b)), (what, a, b)
def check(g, its, name):
    ver = [i for i in its if "error" not in i]
    assert g["items"] == len(its) and g["verified"] == len(ver), name
    assert g["item_errors"] == len(its) - len(ver), name
    for k in ("plan_valid", "plan_optimal", "trace_valid", "trace_valid_strict"):
        assert g[k]["count"] == sum(i[k] for i in ver), (name, k)
    vi = sum(1 for i in ver if i["plan_valid"] and not i["trace_valid"])
    assert g["plan_x_trace"]["valid_plan_invalid_trace"]["count"] == vi, name
    xy = [(i["complexity"], i["trace_len"]) for i in ver if i["complexity"] is not None]
    lvc = g["length_vs_complexity"]
    assert lvc["n"] == len(xy)
    x = np.array([p[0] for p in xy], float); y = np.array([p[1] for p in xy], float)
    def ref(f):
        try:
            v = float(f())
            return None if math.isnan(v) else v
        except ValueError:
            return None
    close(lvc["pearson"], ref(lambda: st.pearsonr(x, y)[0]), name + " pearson")
    close(lvc["spearman"], ref(lambda: st.spearmanr(x, y)[0]) if len(xy) > 1 else None, name + " spearman")
    close(lvc["kendall_tau_b"], ref(lambda: st.kendalltau(x, y, variant="b")[0]) if len(xy) > 1 else None, name + " kendall")
    if len(xy) > 1 and len(set(x)) > 1:
        lr = st.linregress(x, y)
        close(lvc["ols_slope"], lr.slope, name + " slope")
    lens = np.array([i["trace_len"] for i in ver], float)
    if len(ver):
        close(g["trace_len"]["median"], float(np.quantile(lens, 0.5)), name + " median")
        close(g["trace_len"]["p90"], float(np.quantile(lens, 0.9)), name + " p90")
    return len(xy)
n = check(s["overall"], items, "overall")
assert n > 500, n
ov = s["overall"]
assert ov["tokens"]["n"] > 50 and ov["item_error_kinds"] == {"bad_json": 1, "bad_record": 1}, ov["item_error_kinds"]
assert len(ov["first_error_position"]["bins"]) == 5
for g in s["groups"]:
    check(g, groups[json.dumps(g["key"], separators=(",", ":"))], str(g["key"]))
PY

# A pair cap that every group passes: the same bytes on 1 and 4 ranks,
# rank statistics null, moments unchanged.
capped() { # NAME RANKS SHARD_ITEMS
    sed -e 's/"error_position_bins": 5}/"error_position_bins": 5, "max_pairs": 3}/' \
        -e "s/\"output\": \"[a-z0-9]*\"/\"output\": \"$1\"/" -e "s/\"shard_items\": [0-9]*/\"shard_items\": $3/" \
        base.json > "$1.json"
    set +e
    if [ "$2" -eq 0 ]; then "$TF_BIN" run "$1.json" --quiet; else mpi "$2" run "$1.json" --quiet; fi
    set -e
    zstd -q -dc "$1/summary.json.zst" > "$1.summary.json"
}
capped cap0 0 100000
capped cap4 4 9
check "capped summaries identical" cmp -s cap0.summary.json cap4.summary.json
check "capped: tables dropped, moments kept" "$PY" - cap0.summary.json base.summary.json <<'PY'
import json, sys
c, b = (json.load(open(f)) for f in sys.argv[1:3])
assert json.load(open("cap0.json"))["stats"]["max_pairs"] == 3
for gc, gb in [(c["overall"], b["overall"])] + list(zip(c["groups"], b["groups"])):
    assert gc["tables"]["pairs_overflow"] is (gb["tables"]["pairs"] > 3), gc["tables"]
    if gc["tables"]["pairs_overflow"]:
        assert gc["length_vs_complexity"]["spearman"] is None and gc["complexity_bins"] is None
        assert gc["trace_len"]["median"] is None
    assert gc["length_vs_complexity"]["pearson"] == gb["length_vs_complexity"]["pearson"]
    assert gc["trace_len"]["mean"] == gb["trace_len"]["mean"]
    assert gc["trace_valid"] == gb["trace_valid"]
assert c["overall"]["tables"]["pairs_overflow"]
PY

# tracefarm show: every group key in the table, --json is the summary
set +e
"$TF_BIN" show base > show.txt; st1=$?
"$TF_BIN" show base --json > show.json; st2=$?
"$TF_BIN" show no-such-dir > /dev/null 2> missing.err; st3=$?
mkdir -p corrupt && echo garbage > corrupt/summary.json.zst
"$TF_BIN" show corrupt > /dev/null 2> corrupt.err; st4=$?
"$TF_BIN" show > /dev/null 2>&1; st5=$?
set -e
check "show exits 0" [ "$st1" -eq 0 ]
check "show --json exits 0" [ "$st2" -eq 0 ]
check "show --json is the summary" cmp -s show.json base.summary.json
check "show lists every group" "$PY" - base.summary.json show.txt <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
text = open(sys.argv[2]).read()
assert "(overall)" in text
for g in s["groups"]:
    k = json.dumps(g["key"], separators=(",", ":"))
    assert k in text, k
assert max(len(l) for l in text.splitlines()) <= 120
PY
check "show: missing dir exits 2" [ "$st3" -eq 2 ]
check "show: missing dir named" grep -q "no-such-dir/summary.json.zst" missing.err
check "show: corrupt exits 1" [ "$st4" -eq 1 ]
check "show: corrupt named" grep -q "corrupt/summary.json.zst" corrupt.err
check "show without OUT exits 2" [ "$st5" -eq 2 ]
# a domain whose answer is called "answer": show finds its keys by that noun
mkdir -p noun
sed 's/plan_/answer_/g; s/_plan_/_answer_/g' base.summary.json | zstd -q -o noun/summary.json.zst
"$TF_BIN" show noun > noun.txt
check "show: the answer's noun names the column" grep -q "answer%" noun.txt
check "show: the figures under it" "$PY" - base.summary.json noun.txt <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
row = [l for l in open(sys.argv[2]) if l.startswith("(overall)")][0].split()
assert row[1] == "%d" % s["overall"]["verified"], row
assert row[2] == "%d" % s["overall"]["item_errors"], row
assert row[3] == "%.2f" % (100 * s["overall"]["plan_valid"]["rate"]), row
PY

# bad group_by / stats stop the job naming the key
bad_spec() { # NAME PATTERN EXTRA
    printf '{"name": "x", "domain": "maze", "corpus": ["b.jsonl"], "output": "out-%s", %s}\n' "$1" "$3" > "$1.json"
    set +e
    "$TF_BIN" run "$1.json" > /dev/null 2> "$1.err"
    local st=$?
    set -e
    check "$1: exit 2 (got $st)" [ "$st" -eq 2 ]
    check "$1: names $2" grep -qF -- "$2" "$1.err"
    check "$1: no output" [ ! -e "out-$1" ]
}
bad_spec gb_type '"group_by"' '"group_by": "generator"'
bad_spec gb_elem 'group_by[1]' '"group_by": ["generator", 3]'
bad_spec st_key '"stats.bogus"' '"stats": {"bogus": 1}'
bad_spec st_bins '"stats.complexity_bins"' '"stats": {"complexity_bins": [5, 5]}'
bad_spec st_type '"stats"' '"stats": [1]'
done_tests
