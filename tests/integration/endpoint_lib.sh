# shellcheck shell=bash disable=SC2034  # ST is read by the tests
# endpoint_lib.sh: helpers of the endpoint tests (sourced after lib.sh):
# stop "tracefarm serve" servers (started with start_serve NAME 60 ... from
# lib.sh, all killed by the EXIT trap) and write job specs with source
# "endpoint".
command -v curl >/dev/null || { echo "curl is not installed (scripts/setup.sh installs it)"; exit 1; }
trap kill_servers EXIT

stop() { # stop PID: SIGTERM, wait at most 10 s
    local pid=$1
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 200); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    wait "$pid" 2>/dev/null || true
}

requests() { # requests PORT [KEY]: completion requests the server has answered
    local auth=()
    [ $# -gt 1 ] && auth=(-H "Authorization: Bearer $2")
    curl -sf "${auth[@]}" "http://127.0.0.1:$1/stats" | python3 -c "
import json, sys
s = json.load(sys.stdin)['by_endpoint']
print(s['/v1/completions'] + s['/v1/chat/completions'])"
}

# spec NAME OUTPUT PORT CORPUS_JSON SHARD_ITEMS ENDPOINT_EXTRA: a job spec
# NAME.json with source "endpoint" (8 x 8 mazes); ENDPOINT_EXTRA is added
# to the endpoint section (e.g. '"samples": 2').
spec() {
    cat > "$1.json" <<JSON
{"name": "ep", "domain": "maze", "corpus": $4, "output": "$2", "source": "endpoint",
 "maze": {"rows": 8, "cols": 8}, "shard_items": $5, "group_by": ["generator"],
 "endpoint": {"base_url": "http://127.0.0.1:$3/v1", "model": "tracefarm-maze-astar"${6:+, $6}}}
JSON
}

# run_job NAME RANKS [ARGS...]: run NAME.json --quiet ARGS (RANKS 0: no
# mpirun); sets ST; the decompressed outputs go to NAME.items.jsonl and
# NAME.summary.json
run_job() {
    local name=$1 ranks=$2 out
    shift 2
    set +e
    if [ "$ranks" -eq 0 ]; then
        "$TF_BIN" run "$name.json" --quiet "$@" > "$name.stdout" 2> "$name.stderr"
    else
        mpi "$ranks" run "$name.json" --quiet "$@" > "$name.stdout" 2> "$name.stderr"
    fi
    ST=$?
    set -e
    out=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['output'])" "$name.json")
    zstd -q -dc "$out/items.jsonl.zst" > "$name.items.jsonl" 2>/dev/null || : > "$name.items.jsonl"
    zstd -q -dc "$out/summary.json.zst" > "$name.summary.json" 2>/dev/null || : > "$name.summary.json"
}
