# lib.sh: helpers for the integration tests (sourced).
set -euo pipefail
: "${TF_BIN:?}" "${TF_SRC:?}" "${TF_TMP:?}"
MPIEXEC=${MPIEXEC:-mpirun}
. "$TF_SRC/scripts/env.sh"
rm -rf "$TF_TMP"
mkdir -p "$TF_TMP"
cd "$TF_TMP"
PASS=0
FAIL=0
ok() { PASS=$((PASS + 1)); }
bad() { FAIL=$((FAIL + 1)); echo "FAIL: $*" >&2; }
check() { # check DESCRIPTION COMMAND...
    local what=$1
    shift
    if "$@"; then ok; else bad "$what"; fi
}
mpi() { # mpi NRANKS ARGS...: run tracefarm under mpirun
    local n=$1
    shift
    "$MPIEXEC" --oversubscribe -n "$n" "$TF_BIN" "$@"
}
done_tests() {
    echo "$PASS passed, $FAIL failed"
    [ "$FAIL" -eq 0 ] && [ "$PASS" -gt 0 ]
}

# --- "tracefarm serve" servers ---------------------------------------------
# SERVE is the server command (a test may replace it); SERVE_PIDS holds every
# server started, for kill_servers, which a test that starts servers runs on
# exit: trap kill_servers EXIT. Each server also has --idle-exit, so none is
# left running even without the trap.
SERVE=("$TF_BIN" serve)
SERVE_PIDS=()
kill_servers() {
    local p
    for p in "${SERVE_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
}

# start_serve NAME IDLE ARGS...: start "${SERVE[@]}" ARGS... on a free port
# (--port 0, the bound port written to NAME.port), exiting by itself after
# IDLE seconds without a request (--idle-exit; one in ARGS comes later and
# wins); stdout in NAME.out, stderr in NAME.err. Waits up to 10 s for the
# port file, then sets PORT and PID.
# shellcheck disable=SC2034  # PORT and PID are read by the tests
start_serve() {
    local name=$1 idle=$2
    shift 2
    rm -f "$name.port"
    "${SERVE[@]}" --port 0 --port-file "$name.port" --idle-exit "$idle" "$@" \
        > "$name.out" 2> "$name.err" &
    PID=$!
    SERVE_PIDS+=("$PID")
    for _ in $(seq 200); do
        [ -s "$name.port" ] && break
        sleep 0.05
    done
    PORT=$(cat "$name.port")
}
