#!/usr/bin/env bash
# Input checks up front, and no silent default that changes figures: a
# corpus file that is not JSONL (compressed, binary, pretty-printed JSON,
# CSV), the same file listed twice, an output directory that cannot be used
# stop the job before any work with exit status 2, naming the file (or the
# path given in "output") and what is wrong; an empty corpus is a warning and
# exit status 3; a maze record whose grid size is known neither from the
# record nor from the job is an error item naming the missing size.
. "$(dirname "$0")/lib.sh"

"$TF_BIN" gen maze --count 30 --rows 5 --cols 5 --seed 3 --out good.jsonl
python3 - <<'PY'
import gzip, json, os, bz2, lzma, subprocess
recs = [json.loads(l) for l in open("good.jsonl")]
jl = open("good.jsonl", "rb").read()
open("gz.jsonl", "wb").write(gzip.compress(jl))
open("bz.jsonl", "wb").write(bz2.compress(jl))
open("xz.jsonl", "wb").write(lzma.compress(jl))
open("zst-named-plain.jsonl", "wb").write(subprocess.run(["zstd", "-q", "-c"], input=jl, capture_output=True, check=True).stdout)
json.dump(recs, open("pretty.jsonl", "w"), indent=2)
open("pretty.jsonl.zst", "wb").write(subprocess.run(["zstd", "-q", "-c"], input=json.dumps(recs, indent=1).encode(), capture_output=True, check=True).stdout)
json.dump(recs, open("array.jsonl", "w"))
with open("table.jsonl", "w") as f:
    f.write("id,prompt,output\n")
    for r in recs:
        f.write("%s,%s,%s\n" % (r["id"], r["prompt"], r["output"]))
open("random.jsonl", "wb").write(bytes((i * 7919 >> 3) & 255 for i in range(20000)))
# a Searchformer export: no rows/cols in the records
with open("nosize.jsonl", "w") as f:
    for r in recs[:5]:
        r = dict(r)
        del r["rows"], r["cols"]
        f.write(json.dumps(r) + "\n")
PY
lz4 -q -c good.jsonl > lz4.jsonl 2> /dev/null || printf '\x04\x22\x4d\x18\x64\x40\xa7garbage' > lz4.jsonl

# run_job NAME RANKS SPEC_JSON: the spec in NAME.json, status in NAME.st
run_job() {
    printf '%s\n' "$3" > "$1.json"
    set +e
    if [ "$2" -eq 0 ]; then
        timeout 120 "$TF_BIN" run "$1.json" > "$1.out" 2> "$1.err"
    else
        timeout 120 "$MPIEXEC" --oversubscribe -n "$2" "$TF_BIN" run "$1.json" > "$1.out" 2> "$1.err"
    fi
    echo $? > "$1.st"
    set -e
}
base='"name": "in", "domain": "maze", "maze": {"rows": 5, "cols": 5}'
refused() { # refused NAME RANKS CORPUS_JSON TEXT...: exit 2, stderr has every TEXT, no output
    local name=$1 n=$2 corpus=$3
    shift 3
    run_job "$name" "$n" "{$base, \"corpus\": $corpus, \"output\": \"out-$name\"}"
    check "$name: exit status 2 (got $(cat "$name.st"))" [ "$(cat "$name.st")" -eq 2 ]
    local t
    for t in "$@"; do
        check "$name: the message says '$t'" grep -qF -- "$t" "$name.err"
    done
    check "$name: one message (not one per line of the file)" [ "$(grep -c '^tracefarm:' "$name.err")" -eq 1 ]
    check "$name: nothing done (no output directory)" [ ! -e "out-$name" ]
}

# ---- files that are not JSONL, each the second file of the corpus
refused gzip 2 '["good.jsonl", "gz.jsonl"]' 'corpus[1]: "gz.jsonl" is not JSONL: gzip-compressed data'
refused bzip2 0 '["good.jsonl", "bz.jsonl"]' '"bz.jsonl" is not JSONL: bzip2-compressed data'
refused xz 0 '["good.jsonl", "xz.jsonl"]' '"xz.jsonl" is not JSONL: xz-compressed data'
refused lz4 0 '["good.jsonl", "lz4.jsonl"]' '"lz4.jsonl" is not JSONL: lz4-compressed data'
refused zstd_name 0 '["good.jsonl", "zst-named-plain.jsonl"]' 'zstd-compressed data, but its name does not end in .zst'
refused pretty 2 '["good.jsonl", "pretty.jsonl"]' '"pretty.jsonl" is not JSONL: a JSON array spanning several lines'
refused pretty_zst 0 '["good.jsonl", "pretty.jsonl.zst"]' '"pretty.jsonl.zst" is not JSONL: a JSON array spanning several lines'
refused array 0 '["good.jsonl", "array.jsonl"]' '"array.jsonl" is not JSONL: one JSON array of records on a single line'
refused csv 0 '["good.jsonl", "table.jsonl"]' '"table.jsonl" is not JSONL: text that is not JSON' '(the first begins "id,prompt,output")'
refused binary 0 '["good.jsonl", "random.jsonl"]' '"random.jsonl" is not JSONL: binary data'

# ---- the same file twice, however it is spelled
mkdir -p sub
cp good.jsonl sub/a.jsonl
cp good.jsonl sub/b.jsonl
ln -sf a.jsonl sub/link.jsonl
refused twice 2 '["sub/a.jsonl", "sub/b.jsonl", "./sub/../sub/a.jsonl"]' \
    'corpus[0] "sub/a.jsonl" and corpus[2] "./sub/../sub/a.jsonl" are the same file' "$PWD/sub/a.jsonl"
refused twice_glob 0 '["sub/b.jsonl", "sub/[ab].jsonl"]' \
    'corpus[0] "sub/b.jsonl" and corpus[1] ("sub/[ab].jsonl" matches "sub/b.jsonl") are the same file'
refused twice_link 0 '["sub/link.jsonl", "sub/a.jsonl"]' 'corpus[0] "sub/link.jsonl" and corpus[1] "sub/a.jsonl" are the same file'

# ---- output directory problems name the path as given, exit 2
echo x > taken
run_job out_file 2 "{$base, \"corpus\": [\"good.jsonl\"], \"output\": \"taken\"}"
check "output is a file: exit 2 (got $(cat out_file.st))" [ "$(cat out_file.st)" -eq 2 ]
check "output is a file: named" grep -qF 'key "output": "taken" exists and is not a directory' out_file.err
run_job out_under_file 0 "{$base, \"corpus\": [\"good.jsonl\"], \"output\": \"taken/out\"}"
check "output under a file: exit 2 (got $(cat out_under_file.st))" [ "$(cat out_under_file.st)" -eq 2 ]
check "output under a file: named as given" grep -qF 'cannot create the directory "taken/out"' out_under_file.err
check "no message about an internal path" bash -c '! grep -q tracefarm-parts out_under_file.err out_file.err'
# not writable: root ignores permissions, so run as user nobody
mkdir -p ro/locked
cp good.jsonl ro/good.jsonl
chmod 777 ro
chmod 555 ro/locked
as_user=()
if [ "$(id -u)" -eq 0 ]; then
    if command -v runuser > /dev/null; then as_user=(runuser -u nobody --); else as_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups --); fi
fi
for out in locked locked/new; do
    printf '{%s, "corpus": ["good.jsonl"], "output": "%s"}\n' "$base" "$out" > ro/job.json
    set +e
    (cd ro && timeout 60 "${as_user[@]}" "$TF_BIN" run job.json > ro.out 2> ro.err)
    st=$?
    set -e
    check "output $out not writable: exit 2 (got $st)" [ "$st" -eq 2 ]
    check "output $out not writable: the path as given" grep -qF "\"$out\"" ro/ro.err
    cat ro/ro.err
done
chmod -R u+rwX ro

# ---- an empty corpus: outputs written, a warning, exit 3
: > empty.jsonl
printf '\n  \n\n' > blank.jsonl
printf '' | zstd -q -c > empty.jsonl.zst
run_job empty 2 "{$base, \"corpus\": [\"empty.jsonl\", \"blank.jsonl\", \"empty.jsonl.zst\"], \"output\": \"out-empty\"}"
check "empty corpus: exit 3 (got $(cat empty.st))" [ "$(cat empty.st)" -eq 3 ]
check "empty corpus: a warning" grep -qF "warning: the corpus holds no records (3 files" empty.err
check "empty corpus: outputs written, 0 items" [ "$(zstd -q -dc out-empty/items.jsonl.zst | wc -l)" -eq 0 ]

# ---- no guessed grid size: without rows/cols in the record or the job,
# every record is an error item naming the missing size; with the job's
# size the same records verify
run_job nosize 2 '{"name": "in", "domain": "maze", "corpus": ["nosize.jsonl"], "output": "out-nosize"}'
check "no size: every item an error, exit 4 (got $(cat nosize.st))" [ "$(cat nosize.st)" -eq 4 ]
check "no size: every record an error item naming the missing size" python3 - <<'PY'
import json, subprocess
items = [json.loads(l) for l in subprocess.run(["zstd", "-q", "-dc", "out-nosize/items.jsonl.zst"], capture_output=True, check=True).stdout.splitlines()]
assert len(items) == 5, items
for i in items:
    assert i.get("error_kind") == "bad_record", i
    assert i["error"].endswith('grid size unknown: missing field "rows" and no "maze.rows" in the job'), i
PY
run_job sized 2 '{"name": "in", "domain": "maze", "corpus": ["nosize.jsonl"], "output": "out-sized", "maze": {"rows": 5, "cols": 5}}'
check "size from the job: exit 0 (got $(cat sized.st))" [ "$(cat sized.st)" -eq 0 ]
check "size from the job: every plan optimal and every trace strictly valid" python3 - <<'PY'
import json, subprocess
s = json.loads(subprocess.run(["zstd", "-q", "-dc", "out-sized/summary.json.zst"], capture_output=True, check=True).stdout)["overall"]
assert s["items"] == 5 and s["plan_optimal"]["count"] == 5 and s["trace_valid_strict"]["count"] == 5, s
PY
done_tests
