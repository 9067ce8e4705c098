#!/usr/bin/env bash
# A bad job spec stops before any work (no output directory is made), with
# exit status 2 and a message naming the key or the path; the minimal spec
# of the documentation works.
. "$(dirname "$0")/lib.sh"

"$TF_BIN" gen maze --count 20 --rows 10 --cols 10 --seed 5 --out c.jsonl.zst

expect_spec_error() { # NAME PATTERN SPEC [RANKS]
    local name=$1 pat=$2 spec=$3 ranks=${4:-0}
    printf '%s\n' "$spec" > "$name.json"
    set +e
    if [ "$ranks" -eq 0 ]; then
        "$TF_BIN" run "$name.json" > "$name.out" 2> "$name.err"
    else
        mpi "$ranks" run "$name.json" > "$name.out" 2> "$name.err"
    fi
    local st=$?
    set -e
    check "$name: exit 2 (got $st)" [ "$st" -eq 2 ]
    check "$name: message names '$pat'" grep -qF -- "$pat" "$name.err"
    check "$name: no output made" [ ! -e "out-$name" ]
}
base='"name": "x", "domain": "maze", "source": "record"'
expect_spec_error unknown_key '"mazes"' "{$base, \"corpus\": [\"c.jsonl.zst\"], \"output\": \"out-unknown_key\", \"mazes\": {}}"
expect_spec_error wrong_type '"maze.rows"' "{$base, \"corpus\": [\"c.jsonl.zst\"], \"output\": \"out-wrong_type\", \"maze\": {\"rows\": \"ten\"}}"
expect_spec_error missing_file '"nope.jsonl"' "{$base, \"corpus\": [\"nope.jsonl\"], \"output\": \"out-missing_file\"}" 2
expect_spec_error no_match '"none-*.jsonl"' "{$base, \"corpus\": [\"none-*.jsonl\"], \"output\": \"out-no_match\"}"
expect_spec_error missing_output '"output"' "{$base, \"corpus\": [\"c.jsonl.zst\"]}"
expect_spec_error bad_json 'bad_json.json:2:' "{$base,
  \"corpus\": [\"c.jsonl.zst\"] \"output\": \"out-bad_json\"}"
expect_spec_error bad_domain '"sudoku"' "{\"name\": \"x\", \"domain\": \"sudoku\", \"corpus\": [\"c.jsonl.zst\"], \"output\": \"out-bad_domain\"}"
expect_spec_error bad_field '"fields.promt"' "{$base, \"corpus\": [\"c.jsonl.zst\"], \"output\": \"out-bad_field\", \"fields\": {\"promt\": \"p\"}}"
expect_spec_error bad_shard '"shard_items"' "{$base, \"corpus\": [\"c.jsonl.zst\"], \"output\": \"out-bad_shard\", \"shard_items\": 0}"
expect_spec_error bad_source '"source"' "{\"name\": \"x\", \"domain\": \"maze\", \"source\": \"oracle\", \"corpus\": [\"c.jsonl.zst\"], \"output\": \"out-bad_source\"}"
expect_spec_error bad_dialect '"maze.dialect"' "{$base, \"corpus\": [\"c.jsonl.zst\"], \"output\": \"out-bad_dialect\", \"maze\": {\"dialect\": \"klingon\"}}" 2
expect_spec_error typo '(did you mean "shard_items"?)' "{$base, \"corpus\": [\"c.jsonl.zst\"], \"output\": \"out-typo\", \"shard_item\": 5}"
expect_spec_error bad_path '"fields.prompt"' "{$base, \"corpus\": [\"c.jsonl.zst\"], \"output\": \"out-bad_path\", \"fields\": {\"prompt\": \"a..b\"}}"
expect_spec_error bad_group_path '"group_by[1]"' "{$base, \"corpus\": [\"c.jsonl.zst\"], \"output\": \"out-bad_group_path\", \"group_by\": [\"generator\", \"x[\"]}"
expect_spec_error duplicate_key '"maze.rows"' "{$base, \"corpus\": [\"c.jsonl.zst\"], \"output\": \"out-duplicate_key\", \"maze\": {\"rows\": 10, \"rows\": 12}}"
set +e
"$TF_BIN" run does-not-exist.json 2> nofile.err
st=$?
set -e
check "missing spec file: exit 2" [ "$st" -eq 2 ]
check "missing spec file named" grep -q "does-not-exist.json" nofile.err

# The minimal spec from the documentation works as written.
cat > min.json <<'JSON'
{"name": "x", "domain": "maze", "corpus": ["c.jsonl.zst"], "output": "out", "source": "record", "maze": {"rows": 10, "cols": 10}}
JSON
set +e
"$TF_BIN" run min.json > min.out
st=$?
set -e
check "minimal spec: exit 0 (got $st)" [ "$st" -eq 0 ]
check "minimal spec: summary printed" grep -q "plan valid" min.out
check "minimal spec: 20 items" [ "$(zstd -q -dc out/items.jsonl.zst | wc -l)" -eq 20 ]
# tracefarm spec prints every key from the tables that check them; each is
# documented in docs/job.md
"$TF_BIN" spec > spec.md
check "spec: the sections" grep -q '^## "endpoint"' spec.md
check "spec: every key is in docs/job.md" python3 - spec.md "$TF_SRC/docs/job.md" <<'PY'
import re, sys
keys = re.findall(r"^\| `([^`]+)` \|", open(sys.argv[1]).read(), re.M)
doc = open(sys.argv[2]).read()
assert len(keys) > 30, keys
missing = [k for k in keys if "`%s`" % k.split(".")[-1] not in doc]
assert not missing, missing
PY
# the known endpoint.params keys (the others draw a warning) are listed in
# docs/endpoint.md, all of them
check "spec: the known params" grep -q '^## "endpoint.params": the keys servers know' spec.md
check "spec: every known params key is in docs/endpoint.md" python3 - spec.md "$TF_SRC/docs/endpoint.md" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
part = text.split('## "endpoint.params"', 1)[1]
keys = re.findall(r"^- `([^`]+)`$", part, re.M)
doc = open(sys.argv[2]).read().split("### Sampling parameters: the known keys", 1)[1].split("###", 1)[0]
assert len(keys) > 40, keys
missing = [k for k in keys if "`%s`" % k not in doc]
assert not missing, missing
PY
# usage errors
set +e
"$TF_BIN" run > /dev/null 2>&1; st1=$?
"$TF_BIN" frobnicate > /dev/null 2>&1; st2=$?
help=$("$TF_BIN" run --help); st3=$?
[[ "$help" == *"usage: tracefarm run"* ]] || st3=1
set -e
check "run without spec: 2" [ "$st1" -eq 2 ]
check "unknown command: 2" [ "$st2" -eq 2 ]
check "run --help" [ "$st3" -eq 0 ]
done_tests
