#!/usr/bin/env bash
# Hostile input never crashes or hangs the farm, and loses nothing silently:
# every corpus record ends as exactly one item (verified, or an error item
# naming the reason, file and line), and the outputs are byte-identical for
# any rank count and shard size, also on damaged input. One section per kind
# of bad input; docs/hostile-input.md says what each becomes.
#
. "$(dirname "$0")/lib.sh"

# run_job NAME RANKS ARGS...: tracefarm run under mpirun (RANKS 0: no mpirun),
# bounded in time so that a hang is a failure; the status goes to NAME.st.
run_job() {
    local name=$1 n=$2
    shift 2
    set +e
    if [ "$n" -eq 0 ]; then
        timeout 300 "$TF_BIN" run "$@" > "$name.out" 2> "$name.err"
    else
        timeout 300 "$MPIEXEC" --oversubscribe -n "$n" "$TF_BIN" run "$@" > "$name.out" 2> "$name.err"
    fi
    echo $? > "$name.st"
    set -e
}
status() { cat "$1.st"; }
# unpack OUT: decompress OUT's items and summary next to it
unpack() {
    zstd -q -dcf "$1/items.jsonl.zst" > "$1.items.jsonl" 2> /dev/null || : > "$1.items.jsonl"
    zstd -q -dcf "$1/summary.json.zst" > "$1.summary.json" 2> /dev/null || : > "$1.summary.json"
}
same_outputs() { # same_outputs A B: decompressed items and summary identical
    cmp -s "$1.items.jsonl" "$2.items.jsonl" && cmp -s "$1.summary.json" "$2.summary.json"
}

# Helpers for the checks: items are read as bytes (invalid UTF-8 survives as
# surrogate escapes); expectations are lists of {file, line, kind, ...}.
cat > hlib.py <<'PY'
import json, subprocess

def items(path):
    with open(path, "rb") as f:
        return [json.loads(l.decode("utf-8", "surrogateescape")) for l in f]

def summary(path):
    with open(path, "rb") as f:
        return json.loads(f.read().decode("utf-8", "surrogateescape"))

def match(w, h):
    where = "%s:%s (%s)" % (w["file"], w["line"], w.get("case", "?"))
    out = []
    if h.get("line") != w["line"]:
        out.append("%s: item at line %s" % (where, h.get("line")))
    err = h.get("error", "")
    if w["kind"] == "ok":
        if "error" in h:
            out.append("%s: error item %r" % (where, err[:300]))
    else:
        if h.get("error_kind") != w["kind"]:
            out.append("%s: error_kind %r (%r), want %s" % (where, h.get("error_kind"), err[:200], w["kind"]))
        if not err.startswith("%s:%d: " % (w["file"], w["line"])):
            out.append("%s: error %r does not start with file:line" % (where, err[:200]))
        for s in w.get("has", []):
            if s not in err:
                out.append("%s: error %r lacks %r" % (where, err[:300], s))
    for k, v in w.get("fields", {}).items():
        if h.get(k, "<missing>") != v:
            out.append("%s: %s = %r, want %r" % (where, k, h.get(k, "<missing>"), v))
    if "id" in w and h.get("id") != w["id"]:
        out.append("%s: id %r, want %r" % (where, h.get("id"), w["id"]))
    if w.get("noid") and "id" in h:
        out.append("%s: id %r, want none" % (where, h["id"]))
    return out

def check(its, expect, files=None):
    """Items of each expected file, in order, against the expectation."""
    fails = []
    order = []
    for e in expect:
        if e["file"] not in order:
            order.append(e["file"])
    for f in files or order:
        want = [e for e in expect if e["file"] == f]
        have = [i for i in its if i["file"] == f]
        if len(want) != len(have):
            fails.append("%s: %d items, want %d" % (f, len(have), len(want)))
        for w, h in zip(want, have):
            fails += match(w, h)
    return fails

def report(fails):
    for f in fails[:30]:
        print("  " + f)
    if len(fails) > 30:
        print("  ... %d more" % (len(fails) - 30))
    return 1 if fails else 0

def consistent(its, summ):
    """indexes 0..n-1 in order; the summary counts what the items say"""
    fails = []
    if [i["index"] for i in its] != list(range(len(its))):
        fails.append("indexes are not 0..n-1 in order")
    o = summ.get("overall", {})
    errs = [i for i in its if "error" in i]
    kinds = {}
    for i in errs:
        kinds[i["error_kind"]] = kinds.get(i["error_kind"], 0) + 1
    if o.get("items") != len(its) or o.get("item_errors") != len(errs):
        fails.append("summary items %s/%s, items file %d/%d" % (o.get("items"), o.get("item_errors"), len(its), len(errs)))
    if o.get("item_error_kinds", {}) != kinds:
        fails.append("summary error kinds %s, items %s" % (o.get("item_error_kinds"), kinds))
    return fails

def zframe(data, check=True):
    """one zstd frame written by the zstd tool"""
    return subprocess.run(["zstd", "-q", "-c", "--check" if check else "--no-check"],
                          input=data, capture_output=True, check=True).stdout

def header_size(f):
    fhd = f[4]
    single = (fhd >> 5) & 1
    fcs = [0, 2, 4, 8][fhd >> 6] if fhd >> 6 else single
    return 5 + (0 if single else 1) + [0, 1, 2, 4][fhd & 3] + fcs

def zstd_expect(name, frames):
    """Expected items of a zstd file whose frames are (offset, text, damage):
    damage None, or the text of its error when the frame's text was decoded
    whole and then failed (a flipped checksum) or it decoded nothing (cut
    off, not zstd). Per docs/corpus.md the lost part counts as one byte that
    is not a newline: it joins the line in progress, or starts one, and the
    partial line after it is part of that line."""
    virt, marks = bytearray(), []
    for off, text, damage in frames:
        virt += text
        if damage is not None:
            marks.append((len(virt), off, damage))
            virt += b"X"
    out, line, i, m = [], 0, 0, 0
    while i < len(virt):
        j = virt.find(b"\n", i)
        j = len(virt) if j < 0 else j
        line += 1
        k = []
        while m < len(marks) and marks[m][0] < j:
            k.append(marks[m])
            m += 1
        for _, off, damage in k:
            has = [name + ": ", damage]
            if not damage.startswith("truncated"):
                has.append("(frame at byte %d)" % off)
            out.append(dict(file=name, line=line, kind="read_error", case="damage", has=has))
        if not k and virt[i:j].strip():
            out.append(dict(file=name, line=line, kind="ok", case="record",
                            id=json.loads(bytes(virt[i:j]))["id"]))
        i = j + 1
    return out
PY

# ---------------------------------------------------------------------------
# 1. Line-level hostility in one plain file: malformed JSON, wrong types for
#    every field the maze domain reads, deep nesting, invalid UTF-8, NUL
#    bytes, coordinates far out of range, blank and over-long lines. A good
#    record sits between every two bad lines and must still be verified.
# ---------------------------------------------------------------------------
"$TF_BIN" gen maze --count 40 --rows 5 --cols 5 --seed 3 --out good.jsonl
"$TF_BIN" gen maze --count 4 --rows 5 --cols 5 --seed 4 --dialect beyond --out goodb.jsonl
python3 - <<'PY'
import json, sys
sys.path.insert(0, ".")
goods = [l.rstrip(b"\n") for l in open("good.jsonl", "rb")]
beyond = json.loads(open("goodb.jsonl", "rb").readline())
P = "start 0 0 goal 1 0"
O = "create 0 0 c0 c1 close 0 0 c0 c1 create 1 0 c1 c0 create 0 1 c1 c2 close 1 0 c1 c0 plan 0 0 plan 1 0"
BASE = {"id": "hand", "rows": 5, "cols": 5, "prompt": P, "output": O}
def rec(**kw):
    r = dict(BASE)
    for k, v in kw.items():
        if v is DROP:
            r.pop(k, None)
        else:
            r[k] = v
    return json.dumps(r, separators=(",", ":")).encode()
DROP = object()
lines, expect = [], []
g = 0
def add(case, line, kind, **e):
    global g
    lines.append(line)
    if kind is not None:
        expect.append(dict(file="records.jsonl", line=len(lines), kind=kind, case=case, **e))
    # a good record after every case
    rid = json.loads(goods[g % len(goods)])["id"]
    lines.append(goods[g % len(goods)])
    expect.append(dict(file="records.jsonl", line=len(lines), kind="ok", case="good after " + case,
                       id=rid, fields={"trace_valid": True, "plan_valid": True}))
    g += 1
def syntax(case, line, has):
    add(case, line, "bad_json", has=has)
def badrec(case, line, *has):
    add(case, line, "bad_record", has=list(has))
def okrec(case, line, **fields):
    add(case, line, "ok", fields=fields)

okrec("hand-made record", rec(), trace_valid=True, plan_valid=True, trace_len=5)
# malformed JSON
syntax("unterminated", b'{"id": "broken", "prompt": "start 0 0', ["malformed JSON near column"])
syntax("trailing brace", b'{"id": "x"}}', ["trailing data at column 12"])
syntax("trailing comma", b'{"id": "x", }', ["malformed JSON near column"])
syntax("single quotes", b"{'id': 1}", ["malformed JSON near column"])
syntax("two strings", b'{"prompt": "a" "b"}', ["malformed JSON"])
syntax("only a brace", b"{", ["malformed JSON"])
syntax("truncated record", rec()[:-30], ["malformed JSON"])
syntax("lone surrogate escape", rec(output="\ud800" + O), ["malformed JSON"])
for v in (b"[1, 2, 3]", b'"a string"', b"null", b"42", b"true"):
    badrec("not an object " + v.decode(), v, "record is not a JSON object")
badrec("empty object", b"{}", 'missing field "prompt"')
badrec("no output", rec(output=DROP), 'missing field "output"')
# wrong types for every field the maze domain reads
for v in (5, None, [1], {}, True, 1.5):
    badrec("prompt %r" % (v,), rec(prompt=v), 'field "prompt" must be a string')
    badrec("output %r" % (v,), rec(output=v), 'field "output" must be a string')
    b = dict(beyond)
    b["text"] = v
    badrec("text %r" % (v,), json.dumps(b).encode(), 'field "text" must be a string')
for f in ("rows", "cols"):
    for v in ("5", -1, 0, 1.5, 1e300, [5], {}, True, None, 4097, 2**31, 2**64):
        badrec("%s %r" % (f, v), rec(**{f: v}), 'field "%s" must be an integer from 1 to 4096' % f)
badrec("grid 4096x4096", rec(rows=4096, cols=4096), "bad maze problem: grid 4096x4096")
# reference: a non-string is ignored and the farm's own A* gives the complexity
for v in (7, None, [], {}, False):
    okrec("reference %r" % (v,), rec(reference=v), trace_valid=True, complexity_source="astar", complexity=5)
okrec("reference string", rec(reference=O), complexity_source="reference", complexity=5)
# id: strings and numbers are copied, other types are not
for v in ({}, [1], None, True):
    add("id %r" % (v,), rec(id=v), "ok", fields={"trace_valid": True}, noid=True)
add("id number", rec(id=12.5), "ok", id=12.5)
# deep nesting: cJSON's limit is 1000 levels; deeper is malformed, not a crash
syntax("100000 [", b"[" * 100000, ["malformed JSON near column 1001"])
syntax("50000 {", b'{"a":' * 50000, ["malformed JSON near column 5001"])
syntax("100000 [ in a field", rec()[:-1] + b',"x":' + b"[" * 100000 + b"]" * 100000 + b"}", ["malformed JSON"])
okrec("500 levels in a field", rec()[:-1] + b',"x":' + b"[" * 500 + b"]" * 500 + b"}", trace_valid=True)
# invalid UTF-8 anywhere in a line: JSON text is UTF-8 (RFC 8259), so the
# record is malformed JSON, and no invalid byte reaches the outputs
syntax("invalid UTF-8 in output", rec(output="X" + O).replace(b'"X', b'"\xff\xfe\xc3( '),
       ["invalid UTF-8 at column"])
syntax("invalid UTF-8 in a coordinate", rec().replace(b"create 1 0", b"create 1\xc3 0"),
       ["invalid UTF-8 at column"])
syntax("invalid UTF-8 in prompt", rec().replace(b'"start', b'"\xc0\xafstart'), ["invalid UTF-8 at column"])
syntax("invalid UTF-8 before the object", b"\xff" + rec(), ["invalid UTF-8 at column 1"])
syntax("invalid UTF-8 after the object", rec() + b"\xff", ["invalid UTF-8 at column"])
syntax("overlong UTF-8 only", b"\xc0\x80\xed\xa0\x80", ["invalid UTF-8 at column 1"])
syntax("surrogate in UTF-8", rec(id="s-X").replace(b"s-X", b"s-\xed\xa0\x80"), ["invalid UTF-8 at column"])
syntax("invalid UTF-8 in id", rec(id="bad-utf8-\udcff").replace(b"\\udcff", b"\xff"), ["invalid UTF-8 at column"])
okrec("valid multi-byte UTF-8 in id", rec(id="caf\u00e9-\u2713-\U0001f600"), trace_valid=True)
# NUL: a raw NUL byte anywhere is malformed JSON (control characters must
# be escaped); an escaped \u0000 is refused, since it would cut the string
# (and the trace after it) short
syntax("NUL between tokens", rec().replace(b'{"id"', b'{\x00"id"'), ["NUL byte at column 2"])
syntax("NUL after the object", rec() + b"\x00", ["NUL byte at column"])
syntax("only NUL", b"\x00", ["NUL byte at column 1"])
syntax("NUL then record", b"\x00\x00x" + rec(), ["NUL byte at column 1"])
syntax("raw NUL in output", rec().replace(b'"create 0 0', b'"cre\x00ate 0 0'), ["NUL byte at column"])
syntax("escaped NUL in output", rec(output=O + "\u0000 close 9 9 c1 c1"), ["\\u0000 (NUL) at column"])
syntax("escaped NUL in id", rec(id="a\u0000b"), ["\\u0000 (NUL)"])
okrec("escaped backslash before u0000", rec(id="a\\u0000b"), trace_valid=True)
# coordinates far out of range: the problem is refused, the trace is judged
for v in ("99999999999", "-5", "2147483648", "2147483647", "-2147483649", "18446744073709551616"):
    badrec("start x " + v, rec(prompt="start %s 0 goal 1 0" % v), "bad maze problem", "is off the 5x5 grid")
    badrec("wall " + v, rec(prompt=P + " wall 3 %s" % v), "bad maze problem", "is off the 5x5 grid")
for v, code in (("-5", "invalid_coordinates"), ("2147483647", "invalid_coordinates"),
                ("-2147483648", "invalid_coordinates"), ("2147483648", "operation_syntax_error"),
                ("99999999999", "operation_syntax_error"), ("-2147483649", "operation_syntax_error")):
    okrec("create x " + v, rec(output=O.replace("create 1 0", "create %s 0" % v)),
          trace_valid=False, first_error=code, trace_len=5)
for v, code in (("-5", "illegal_move"), ("2147483647", "illegal_move"), ("99999999999", "plan_syntax_error"),
                ("2147483648", "plan_syntax_error")):
    okrec("plan y " + v, rec(output=O.replace("plan 1 0", "plan 1 %s" % v)), plan_valid=False, plan_error=code)
okrec("cost c99999999999", rec(output=O.replace("c1 c0", "c99999999999 c0", 1)),
      trace_valid=False, first_error="operation_syntax_error")
okrec("cost c-1", rec(output=O.replace("c1 c0", "c-1 c0", 1)), trace_valid=False, first_error="operation_syntax_error")
# blank lines are counted, never items; CRLF is a line end
add("empty line", b"", None)
add("whitespace line", b" \t \x0b\x0c ", None)
add("CR line", b"\r", None)
okrec("CRLF record", rec() + b"\r", trace_valid=True)
# over-long lines (this job's max_line_bytes is 262144)
CAP = 262144
add("300 KB line", b'{"id":"long","prompt":"' + b"x" * 300000 + b'"}', "line_too_long",
    has=["max_line_bytes (%d)" % CAP], noid=True)
add("1 MB record", rec(output=O + " bos" * 250000), "line_too_long", has=["max_line_bytes (%d)" % CAP])
add("300 KB of spaces", b" " * 300000, "line_too_long", has=["max_line_bytes (%d)" % CAP])
add("one byte over", rec(pad="p" * (CAP + 1 - len(rec()) - 9)), "line_too_long")
add("at the cap exactly", rec(pad="p" * (CAP - len(rec()) - 9)), "ok", fields={"trace_valid": True})
add("at the cap with CR", rec(pad="p" * (CAP - len(rec()) - 9)) + b"\r", "ok")
assert len(rec(pad="p" * (CAP - len(rec()) - 9))) == CAP
with open("records.jsonl", "wb") as f:
    f.write(b"\n".join(lines) + b"\n")
json.dump(expect, open("records.expect.json", "w"))
PY

job_records() { # job_records NAME SHARD_ITEMS
    cat > "$1.json" <<JSON
{"name": "hostile", "domain": "maze", "corpus": ["records.jsonl"], "output": "$1",
 "maze": {"rows": 5, "cols": 5}, "max_line_bytes": 262144, "shard_items": $2}
JSON
}
job_records rec1 100000
job_records rec3 2
job_records rec2 7
run_job rec1 0 rec1.json
run_job rec3 3 rec3.json
run_job rec2 2 rec2.json
for r in rec1 rec3 rec2; do
    check "$r: mostly error items, exit status 4 (got $(status $r))" [ "$(status $r)" -eq 4 ]
    unpack $r
done
check "records: every case gives its item, and good records around it are verified" \
    python3 - rec1.items.jsonl rec1.summary.json <<'PY'
import json, sys
sys.path.insert(0, ".")
import hlib
its = hlib.items(sys.argv[1])
exp = json.load(open("records.expect.json"))
fails = hlib.check(its, exp) + hlib.consistent(its, hlib.summary(sys.argv[2]))
print("records: %d items, %d expected" % (len(its), len(exp)))
sys.exit(hlib.report(fails))
PY
check "records: the shards of 3 ranks read 2 ran on more than 10 shards" python3 - rec3/run.json <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["ranks"] == 3 and r["shards"] > 10, (r["ranks"], r["shards"])
PY
check "records: 1 process == 3 ranks (shard_items 2)" same_outputs rec1 rec3
check "records: 1 process == 2 ranks (shard_items 7)" same_outputs rec1 rec2
check "records: items.jsonl.zst is valid UTF-8" \
    python3 -c "open('rec1.items.jsonl', encoding='utf-8', errors='strict').read()"

# ---------------------------------------------------------------------------
# 2. Huge lines at the default cap (64 MiB): a 65 MiB line, plain and in
#    zstd (a few KB compressed), is one line_too_long item; its neighbours
#    are verified; memory stays near the cap.
# ---------------------------------------------------------------------------
head -2 good.jsonl > huge.jsonl
python3 - <<'PY'
with open("huge.jsonl", "ab") as f:
    f.write(b'{"id":"huge","prompt":"' + b"x" * (65 << 20) + b'"}\n')
    f.write(open("good.jsonl", "rb").readlines()[2])
PY
zstd -q -1 -c huge.jsonl > huge.jsonl.zst
cat > huge.json <<'JSON'
{"name": "huge", "domain": "maze", "corpus": ["huge.jsonl", "huge.jsonl.zst"], "output": "huge",
 "maze": {"rows": 5, "cols": 5}}
JSON
t0=$(date +%s.%N)
if [ -x /usr/bin/time ]; then # peak RSS too
    set +e
    /usr/bin/time -f "%M" -o huge.rss timeout 300 "$TF_BIN" run huge.json --quiet > huge.out 2> huge.err
    echo $? > huge.st
    set -e
else
    run_job huge 0 huge.json --quiet
fi
t1=$(date +%s.%N)
unpack huge
check "huge: mostly error items, exit status 4 (got $(status huge))" [ "$(status huge)" -eq 4 ]
check "huge: a 65 MiB line is one line_too_long item, plain and zstd" python3 - huge.items.jsonl huge.summary.json <<'PY'
import json, sys
sys.path.insert(0, ".")
import hlib
goods = [json.loads(l)["id"] for l in open("good.jsonl")][:3]
exp = []
for f in ("huge.jsonl", "huge.jsonl.zst"):
    exp += [dict(file=f, line=1, kind="ok", id=goods[0]), dict(file=f, line=2, kind="ok", id=goods[1]),
            dict(file=f, line=3, kind="line_too_long", has=["max_line_bytes (67108864)"]),
            dict(file=f, line=4, kind="ok", id=goods[2])]
its = hlib.items(sys.argv[1])
sys.exit(hlib.report(hlib.check(its, exp) + hlib.consistent(its, hlib.summary(sys.argv[2]))))
PY
secs=$(python3 -c "print(round($t1 - $t0, 1))")
echo "huge: 2 x 65 MiB lines read in ${secs} s"
check "huge: fast (${secs} s < 60 s)" python3 -c "import sys; sys.exit(0 if $t1 - $t0 < 60 else 1)"
if [ -s huge.rss ]; then
    rss=$(tail -1 huge.rss)
    echo "huge: peak RSS ${rss} kB"
    # the line buffer holds at most max_line_bytes + 1 (64 MiB): bounded
    # (AddressSanitizer's shadow memory and quarantine do not count)
    if [[ "$(ldd "$TF_BIN" 2> /dev/null)" == *libasan* ]]; then
        echo "huge: AddressSanitizer build: peak RSS not checked"
    else
        check "huge: peak RSS ${rss} kB < 160 MiB" [ "$rss" -lt $((160 * 1024)) ]
    fi
fi
rm -f huge.jsonl

# ---------------------------------------------------------------------------
# 3. Damaged zstd: flipped checksums in the middle of line-aligned frames
#    (two adjacent) and of frames that cut lines anywhere, a flipped payload
#    byte, a truncated file, junk after the last frame, a .zst that is not
#    zstd, and an empty .zst. Each damaged frame is one read_error item naming
#    the file and offsets; reading resumes at the next frame.
# ---------------------------------------------------------------------------
"$TF_BIN" gen maze --count 90 --rows 5 --cols 5 --seed 21 --out zsrc.jsonl
python3 - <<'PY'
import json, sys
sys.path.insert(0, ".")
import hlib
recs = open("zsrc.jsonl", "rb").read().splitlines(keepends=True)
expect, notes = [], {}
def write(name, frames, tail=b""):
    data = b"".join(f for _, f, _ in frames) + tail
    open(name, "wb").write(data)
def build(name, parts, damage):
    """parts: texts; damage: {index: "checksum" | "payload"}"""
    out, off = [], 0
    for i, t in enumerate(parts):
        f = bytearray(hlib.zframe(t))
        d = damage.get(i)
        if d == "checksum":
            f[-1] ^= 0xFF
        elif d == "payload":
            h = hlib.header_size(f)
            f[h + 3 + (len(f) - h - 7) // 2] ^= 0x10
        out.append((off, bytes(f), d))
        off += len(f)
    write(name, out)
    return out
# line-aligned frames of 3 records; checksums of frames 3, 4 and 9 flipped
parts = [b"".join(recs[i:i + 3]) for i in range(0, 36, 3)]
fr = build("z_aligned.jsonl.zst", parts, {3: "checksum", 4: "checksum", 9: "checksum"})
expect += hlib.zstd_expect("z_aligned.jsonl.zst", [(o, t, "doesn't match checksum" if d else None)
                                                   for (o, _, d), t in zip(fr, parts)])
# frames that cut lines anywhere (700 bytes each, some without a newline)
text = b"".join(recs[36:60])
parts = [text[i:i + 700] for i in range(0, len(text), 700)]
nonl = [i for i, p in enumerate(parts) if b"\n" not in p and len(parts) // 3 < i < len(parts) - 2]
dmg = {len(parts) // 3: "checksum", 2 * len(parts) // 3: "checksum"}
if nonl:
    dmg[nonl[0]] = "checksum"
fr = build("z_cut.jsonl.zst", parts, dmg)
expect += hlib.zstd_expect("z_cut.jsonl.zst", [(o, t, "doesn't match checksum" if d else None)
                                               for (o, _, d), t in zip(fr, parts)])
notes["z_cut"] = sorted(dmg)
# a flipped payload byte in frame 4 of 8: what the frame yields before the
# error is the decoder's business; the frames after it must be read
parts = [b"".join(recs[i:i + 3]) for i in range(60, 84, 3)]
assert len(parts) == 8 and all(p.count(b"\n") == 3 for p in parts)
fr = build("z_payload.jsonl.zst", parts, {4: "payload"})
notes["z_payload"] = dict(first=[json.loads(r)["id"] for r in recs[60:72]],
                          last=[json.loads(r)["id"] for r in recs[76:84]], frame=fr[4][0])
# truncated inside the last of 5 frames
parts = [b"".join(recs[i:i + 3]) for i in range(0, 15, 3)]
fr = build("z_trunc.jsonl.zst", parts, {})
size = sum(len(f) for _, f, _ in fr)
open("z_trunc.jsonl.zst", "r+b").truncate(fr[-1][0] + len(fr[-1][1]) // 2)
expect += hlib.zstd_expect("z_trunc.jsonl.zst", [(o, t, None) for (o, _, _), t in zip(fr[:-1], parts[:-1])]
                           + [(fr[-1][0], b"", "truncated zstd frame at byte %d" % fr[-1][0])])
# junk after the last frame
parts = [b"".join(recs[i:i + 3]) for i in range(15, 24, 3)]
fr = build("z_junk.jsonl.zst", parts, {})
end = sum(len(f) for _, f, _ in fr)
open("z_junk.jsonl.zst", "ab").write(b"this is not a zstd frame\n")
expect += hlib.zstd_expect("z_junk.jsonl.zst", [(o, t, None) for (o, _, _), t in zip(fr, parts)]
                           + [(end, b"", "corrupt zstd data at byte")])
# not zstd at all; empty
open("z_notzstd.jsonl.zst", "wb").write(b"".join(recs[:3]))
expect += hlib.zstd_expect("z_notzstd.jsonl.zst", [(0, b"", "corrupt zstd data at byte")])
open("z_empty.jsonl.zst", "wb").close()
json.dump(expect, open("zstd.expect.json", "w"))
json.dump(notes, open("zstd.notes.json", "w"))
PY
job_zstd() { # job_zstd NAME SHARD_ITEMS
    cat > "$1.json" <<JSON
{"name": "hostile-zstd", "domain": "maze", "output": "$1", "maze": {"rows": 5, "cols": 5},
 "corpus": ["z_aligned.jsonl.zst", "z_cut.jsonl.zst", "z_payload.jsonl.zst", "z_empty.jsonl.zst",
            "z_trunc.jsonl.zst", "z_junk.jsonl.zst", "z_notzstd.jsonl.zst"], "shard_items": $2}
JSON
}
job_zstd zst1 100000
job_zstd zst3 1
job_zstd zst2 4
run_job zst1 0 zst1.json
run_job zst3 3 zst3.json
run_job zst2 2 zst2.json
for r in zst1 zst3 zst2; do
    check "$r: exit status 3 (got $(status $r))" [ "$(status $r)" -eq 3 ]
    unpack $r
done
cat > zexact.py <<'PY'
import json, sys
sys.path.insert(0, ".")
import hlib
r = sys.argv[1]
its = hlib.items(r + ".items.jsonl")
fails = hlib.check(its, json.load(open("zstd.expect.json")), sys.argv[2:])
fails += hlib.consistent(its, hlib.summary(r + ".summary.json"))
if fails:
    print(r + ":")
sys.exit(hlib.report(fails))
PY
zcheck() { python3 zexact.py "$@"; } # zcheck RUN FILES...: exact expectations for these files
zcheck_all() { # zcheck_all FILES...: zcheck in every run
    local r st=0
    for r in zst1 zst3 zst2; do
        zcheck $r "$@" || st=1
    done
    return $st
}
# damage at the end of a file behaves the same under every split
for r in zst1 zst3 zst2; do
    check "$r: truncated, junk-ended, not-zstd and empty .zst give the expected items" \
        zcheck $r z_trunc.jsonl.zst z_junk.jsonl.zst z_notzstd.jsonl.zst z_empty.jsonl.zst
    check "$r: every read_error names its file, byte and frame; records before damage verified" \
        python3 - $r <<'PY'
import json, re, sys
sys.path.insert(0, ".")
import hlib
its = hlib.items(sys.argv[1] + ".items.jsonl")
fails = []
for i in its:
    if i.get("error_kind") == "read_error":
        if not re.match(r"^%s:\d+: %s: (corrupt zstd data at byte \d+ \(frame at byte \d+\): .+|truncated zstd frame at byte \d+)$"
                        % (re.escape(i["file"]), re.escape(i["file"])), i["error"]):
            fails.append("bad read_error text: %r" % i["error"])
    elif "error" in i:
        fails.append("unexpected error item %r" % i["error"])
for f in ("z_aligned.jsonl.zst", "z_cut.jsonl.zst", "z_payload.jsonl.zst"):
    fi = [i for i in its if i["file"] == f]
    if not fi or "error" in fi[0]:
        fails.append(f + ": first item is not verified")
    if not any(i.get("error_kind") == "read_error" for i in fi):
        fails.append(f + ": no read_error")
ids = [i.get("id") for i in its if i["file"] == "z_payload.jsonl.zst"]
n = json.load(open("zstd.notes.json"))["z_payload"]
if ids[:12] != n["first"]:
    fails.append("z_payload: the 12 records before the damaged frame are not all verified")
sys.exit(hlib.report(fails))
PY
done
check "zst3: one frame per shard: damaged frames give the expected items" \
    zcheck zst3 z_aligned.jsonl.zst
# Damage in the middle of a file: the worker goes on after a read_error, so
# every split gives the same outputs.
check "zstd: z_aligned and z_cut give the expected items in every run" \
    zcheck_all z_aligned.jsonl.zst z_cut.jsonl.zst
check "zstd: the records after a damaged payload are verified in every run" \
    python3 - zst1 zst3 zst2 <<'PY'
import json, sys
sys.path.insert(0, ".")
import hlib
n = json.load(open("zstd.notes.json"))["z_payload"]
for r in sys.argv[1:]:
    its = [i for i in hlib.items(r + ".items.jsonl") if i["file"] == "z_payload.jsonl.zst"]
    if [i.get("id") for i in its[-8:]] != n["last"]:
        sys.exit(1)
    errs = [i for i in its if i.get("error_kind") == "read_error"]
    if len(errs) != 1 or "(frame at byte %d)" % n["frame"] not in errs[0]["error"]:
        sys.exit(1)
PY
check "zstd: 1 process == 3 ranks (shard_items 1)" same_outputs zst1 zst3
check "zstd: 1 process == 2 ranks (shard_items 4)" same_outputs zst1 zst2
check "zstd: 3 ranks (shard_items 1) == 2 ranks (shard_items 4) on the tail-damaged files" \
    python3 - <<'PY'
import sys
sys.path.insert(0, ".")
import hlib
keep = ("z_trunc.jsonl.zst", "z_junk.jsonl.zst", "z_notzstd.jsonl.zst")
a = [(i["file"], i["line"], i.get("id"), i.get("error")) for i in hlib.items("zst3.items.jsonl") if i["file"] in keep]
b = [(i["file"], i["line"], i.get("id"), i.get("error")) for i in hlib.items("zst2.items.jsonl") if i["file"] in keep]
sys.exit(0 if a == b and a else 1)
PY

# ---------------------------------------------------------------------------
# 4. A trace of 2 million operations through the whole farm (2 ranks),
#    between two ordinary records.
# ---------------------------------------------------------------------------
python3 - <<'PY'
import json
lines = open("good.jsonl").readlines()
ops = ["create 0 0 c0 c1998"] + ["close 0 0 c0 c1998", "create 1 0 c1 c1997"] * 999999 + ["close 0 0 c0 c1998"]
assert len(ops) == 2000000
rec = {"id": "two-million", "rows": 1000, "cols": 1000, "prompt": "start 0 0 goal 999 999",
       "output": " ".join(ops) + " plan 0 0 plan 1 0"}
with open("ops.jsonl", "w") as f:
    f.write(lines[0] + json.dumps(rec) + "\n" + lines[1])
PY
cat > ops.json <<'JSON'
{"name": "ops", "domain": "maze", "corpus": ["ops.jsonl"], "output": "ops", "maze": {"rows": 5, "cols": 5}}
JSON
t0=$(date +%s.%N)
run_job ops 2 ops.json --quiet
t1=$(date +%s.%N)
unpack ops
check "ops: exit status 0 (got $(status ops))" [ "$(status ops)" -eq 0 ]
check "ops: the 2-million-operation trace is verified (and judged)" python3 - <<'PY'
import sys
sys.path.insert(0, ".")
import hlib
its = hlib.items("ops.items.jsonl")
assert len(its) == 3 and all("error" not in i for i in its), its
big = its[1]
assert big["id"] == "two-million" and big["line"] == 2, big
assert big["trace_len"] == 2000000 and big["plan_len"] == 2, big
# every create of (1, 0) after the first close is fine; each later close of
# (0, 0) is not in the open list (its only copy was closed): 999999 errors,
# then goal_not_reached and plan_length_mismatch (extracted 0, model 2)
assert big["trace_valid"] is False and big["first_error"] == "close_not_in_open_list", big
assert big["error_count"] == 1000001 and big["plan_error"] == "plan_goal_not_reached", big
assert big["complexity_source"] == "astar" and big["optimal_plan_len"] == 1999, big
PY
secs=$(python3 -c "print(round($t1 - $t0, 1))")
echo "ops: 2M operations in ${secs} s (2 ranks, with start-up)"
check "ops: fast (${secs} s < 120 s)" python3 -c "import sys; sys.exit(0 if $t1 - $t0 < 120 else 1)"
rm -f ops.jsonl

# ---------------------------------------------------------------------------
# 5. Empty files in the middle of the corpus list: a zero-length .jsonl and
#    .jsonl.zst, files of only newlines (plain and zstd), a zstd file of
#    empty and skippable frames: no items, and the next file's lines start
#    at 1.
# ---------------------------------------------------------------------------
head -5 good.jsonl > e_a.jsonl
sed -n 6,12p good.jsonl | zstd -q -c > e_b.jsonl.zst
: > e_empty.jsonl
: > e_empty.jsonl.zst
printf '\n\n\n \n\r\n' > e_newlines.jsonl
printf '\n\n\n' | zstd -q -c > e_newlines.jsonl.zst
python3 - <<'PY'
import sys
sys.path.insert(0, ".")
import hlib
skip = bytes([0x50, 0x2A, 0x4D, 0x18, 3, 0, 0, 0, 1, 2, 3])
open("e_frames.jsonl.zst", "wb").write(hlib.zframe(b"") + skip + hlib.zframe(b"", False))
PY
cat > empty.json <<'JSON'
{"name": "empty", "domain": "maze", "output": "OUT", "maze": {"rows": 5, "cols": 5},
 "corpus": ["e_a.jsonl", "e_empty.jsonl", "e_empty.jsonl.zst", "e_newlines.jsonl", "e_newlines.jsonl.zst",
            "e_frames.jsonl.zst", "e_b.jsonl.zst"], "shard_items": SI}
JSON
sed 's/OUT/empty1/; s/SI/100000/' empty.json > empty1.json
sed 's/OUT/empty3/; s/SI/1/' empty.json > empty3.json
run_job empty1 0 empty1.json
run_job empty3 3 empty3.json
for r in empty1 empty3; do
    check "$r: exit status 0 (got $(status $r))" [ "$(status $r)" -eq 0 ]
    unpack $r
done
check "empty: only the 12 records, lines from 1 in each file" python3 - <<'PY'
import json, sys
sys.path.insert(0, ".")
import hlib
ids = [json.loads(l)["id"] for l in open("good.jsonl")][:12]
exp = [dict(file="e_a.jsonl", line=k + 1, kind="ok", id=ids[k]) for k in range(5)]
exp += [dict(file="e_b.jsonl.zst", line=k + 1, kind="ok", id=ids[5 + k]) for k in range(7)]
its = hlib.items("empty1.items.jsonl")
fails = hlib.check(its, exp) + hlib.consistent(its, hlib.summary("empty1.summary.json"))
if len(its) != 12:
    fails.append("%d items" % len(its))
sys.exit(hlib.report(fails))
PY
check "empty: 1 process == 3 ranks (shard_items 1)" same_outputs empty1 empty3

# ---------------------------------------------------------------------------
# 6. Unreadable corpus files are a spec error at planning time: exit 2, the
#    path named, nothing done. Root ignores permissions, so the run is made
#    as user nobody (the work directory is writable by nobody).
# ---------------------------------------------------------------------------
mkdir -p unread
cp e_a.jsonl unread/a.jsonl
cp e_a.jsonl unread/secret.jsonl
cp e_b.jsonl.zst unread/secret.jsonl.zst
chmod 000 unread/secret.jsonl unread/secret.jsonl.zst
chmod 777 unread
as_user=()
if [ "$(id -u)" -eq 0 ]; then
    if command -v runuser > /dev/null; then
        as_user=(runuser -u nobody --)
    else
        as_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups --)
    fi
fi
for f in secret.jsonl secret.jsonl.zst; do
    cat > unread/job-$f.json <<JSON
{"name": "unread", "domain": "maze", "corpus": ["a.jsonl", "$f"], "output": "out-$f",
 "maze": {"rows": 5, "cols": 5}}
JSON
    set +e
    (cd unread && timeout 120 "${as_user[@]}" "$TF_BIN" run "job-$f.json" > "run-$f.out" 2> "run-$f.err")
    st=$?
    set -e
    check "unreadable $f: exit status 2 (got $st)" [ "$st" -eq 2 ]
    check "unreadable $f: the message names the path and the reason" \
        grep -q "\"$f\": Permission denied" "unread/run-$f.err"
    check "unreadable $f: no outputs" [ ! -e "unread/out-$f/items.jsonl.zst" ]
done
cat unread/run-secret.jsonl.err
# a FIFO in the corpus list must not block the planner
mkfifo unread/fifo.jsonl
cat > unread/fifo.json <<'JSON'
{"name": "fifo", "domain": "maze", "corpus": ["a.jsonl", "fifo.jsonl"], "output": "out-fifo",
 "maze": {"rows": 5, "cols": 5}}
JSON
set +e
(cd unread && timeout 60 "$TF_BIN" run fifo.json > fifo.out 2> fifo.err)
st=$?
set -e
check "fifo: exit status 2, not a hang (got $st)" [ "$st" -eq 2 ]
check "fifo: the message names the path" grep -q "fifo.jsonl" unread/fifo.err
chmod -R u+rwX unread

done_tests
