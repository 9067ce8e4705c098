#!/usr/bin/env bash
# Progress (docs/outputs.md, "Progress"): without a terminal, one plain
# line every --progress seconds on stderr (items done of the estimated
# total, rate, ETA, errors, shards), the last at 100 %; none with --quiet
# or --progress 0; under mpirun from the workers' READY messages; on a
# terminal (script(1) gives one) one line rewritten with \r; an endpoint
# job shows retries, cache hits and requests in flight.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/endpoint_lib.sh"

"$TF_BIN" gen maze --count 400 --rows 8 --cols 8 --generator mix --corrupt mix \
    --corrupt-rate 0.5 --seed 61 --out c.jsonl > /dev/null
printf '{"id": "bad", "prompt": \n' >> c.jsonl
cat > off.json <<'JSON'
{"name": "p", "domain": "maze", "corpus": ["c.jsonl"], "output": "off", "maze": {"rows": 8, "cols": 8},
 "shard_items": 20}
JSON

# lines FILE: the progress lines of a stderr file
lines() { grep '^tracefarm: progress: ' "$1" || true; }

# plain lines, one process; slow shards so the run lasts about 3 s
set +e
TF_TEST_SLOW='*:150' "$TF_BIN" run off.json --progress 1 > off.out 2> off.err
st=$?
set -e
check "plain: exit 3 (got $st)" [ "$st" -eq 3 ]
check "plain: at least 2 progress lines" [ "$(lines off.err | wc -l)" -ge 2 ]
check "plain: counts that grow to 401 of 401 items, errors, shards, an ETA" python3 - off.err <<'PY'
import re, sys
ls = [l for l in open(sys.argv[1]) if l.startswith("tracefarm: progress: ")]
done = [int(re.search(r"%, (\d+) ", l).group(1)) for l in ls]
assert done == sorted(done) and done[0] < 401, done
last = ls[-1]
assert "100%, 401 of 401 items" in last and "1 item error" in last and "of 21 shards done" in last, last
for l in ls[:-1]:
    m = re.search(r"of about (\d+) items", l)
    assert m and 300 <= int(m.group(1)) <= 500, l  # the estimate, before the end
    assert re.search(r"items/s, \d+s elapsed, ETA \d+s", l), l
PY
check "plain: no terminal codes" sh -c "! grep -q \$(printf '\\r') off.err"

rm -rf off
TF_TEST_SLOW='*:60' "$TF_BIN" run off.json --progress 1 --quiet > q.out 2> q.err || true
check "--quiet: no progress, no summary" sh -c "[ \$(grep -c progress q.err) -eq 0 ] && [ ! -s q.out ]"
rm -rf off
TF_TEST_SLOW='*:60' "$TF_BIN" run off.json --progress 0 > z.out 2> z.err || true
check "--progress 0: no progress" [ "$(lines z.err | wc -l)" -eq 0 ]
check "--progress 0: the summary" grep -q "401 items" z.out
check "--help: --quiet silences the progress" sh -c "'$TF_BIN' run --help | grep -A1 -- '--quiet' | grep -q 'no progress'"

# under mpirun: from the READY messages
rm -rf off
set +e
TF_TEST_SLOW='*:300' mpi 3 run off.json --progress 1 > m.out 2> m.err
st=$?
set -e
check "mpi: exit 3 (got $st)" [ "$st" -eq 3 ]
check "mpi: progress lines, shards running, the last at 100 %" python3 - m.err <<'PY'
import sys
ls = [l for l in open(sys.argv[1]) if l.startswith("tracefarm: progress: ")]
assert len(ls) >= 2, ls
assert any("running" in l for l in ls), ls
assert "100%, 401 of 401 items" in ls[-1], ls[-1]
PY

# on a terminal: one line, rewritten
if command -v script > /dev/null; then
    rm -rf off
    TF_TEST_SLOW='*:100' script -qec "'$TF_BIN' run off.json" /dev/null > tty.out 2>&1 || true
    check "tty: the line is rewritten in place" python3 - tty.out <<'PY'
import sys
t = open(sys.argv[1], "rb").read().decode()
parts = [p for p in t.split("\r") if "items" in p and "/s" in p]
assert len(parts) >= 3 and "\x1b[K" in t, parts[:3]
assert "tracefarm: progress:" not in t  # not the plain form
assert any("401/401 items" in p for p in parts), parts[-2:]
PY
else
    echo "note: no script(1); the terminal case is skipped"
fi

# an endpoint job, one process: retries, cache hits, requests in flight
start_serve slow 60 --rows 8 --cols 8 --latency-ms 60 --rate-500 0.2 --seed 5
head -n 60 c.jsonl > e.jsonl
spec ep ep "$PORT" '["e.jsonl"]' 15 '"samples": 2, "concurrency": 4, "max_attempts": 20, "backoff_ms": 1, "backoff_max_ms": 5'
set +e
"$TF_BIN" run ep.json --progress 1 > ep.out 2> ep.err
st=$?
set -e
check "endpoint: exit 0 (got $st)" [ "$st" -eq 0 ]
check "endpoint: retries, cache hits, requests in flight" python3 - ep.err <<'PY'
import re, sys
ls = [l for l in open(sys.argv[1]) if l.startswith("tracefarm: progress: ")]
assert len(ls) >= 2, ls
assert all(re.search(r"\d+ retr(y|ies), \d+ cache hits?", l) for l in ls), ls
assert any("requests in flight" in l for l in ls), ls
assert "120 of 120 items" in ls[-1] and "1 cache hit" in ls[-1], ls[-1]
assert int(re.search(r"(\d+) retr", ls[-1]).group(1)) > 0, ls[-1]
PY
stop "$PID"

done_tests
