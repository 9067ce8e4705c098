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
