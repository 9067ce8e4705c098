#!/usr/bin/env bash
# jobs/slurm/maze.sbatch under a real one-node Slurm (shared notes:
# slurm-localhost.md): munged, slurmctld and slurmd are started under a
# temporary directory and stopped by their PIDs. The job is signalled as
# "#SBATCH --signal=B:USR1@60" would do before its time limit
# (scancel --batch --signal=USR1: the batch shell only); the script
# forwards SIGUSR1 to mpirun, tracefarm stops at a shard boundary with
# status 75, the script requeues the job, and the second run resumes to
# outputs identical to an uninterrupted run. Exits 77 (CTest: skipped)
# only when Slurm cannot be installed or slurmctld cannot start here.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/resume_lib.sh"

skip() {
    echo "SKIP: $*"
    exit 77
}
if ! command -v slurmctld > /dev/null || ! command -v munged > /dev/null; then
    [ "$(id -u)" -eq 0 ] || skip "slurm-wlm and munge are not installed (and not root)"
    echo "installing slurm-wlm munge (apt)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends slurm-wlm munge \
        > apt.log 2>&1 || skip "apt-get install slurm-wlm munge failed (see $TF_TMP/apt.log)"
fi
[ "$(id -u)" -eq 0 ] || skip "the one-node Slurm of this test runs its daemons as root"

D=$(mktemp -d /tmp/tf-slurm.XXXXXX)
chmod 755 "$D"
PIDS=()
cleanup() {
    [ -n "${JOBID:-}" ] && scancel "$JOBID" 2> /dev/null
    for f in "$D/slurm/slurmd.pid" "$D/slurm/slurmctld.pid" "$D/munge/munged.pid"; do
        [ -s "$f" ] && PIDS+=("$(cat "$f")")
    done
    for p in "${PIDS[@]}"; do kill "$p" 2> /dev/null || true; done
    for p in "${PIDS[@]}"; do
        for _ in $(seq 50); do kill -0 "$p" 2> /dev/null || break; sleep 0.1; done
    done
    rm -rf "$D"
}
trap cleanup EXIT

if [ ! -s /etc/munge/munge.key ]; then
    mkdir -p /etc/munge
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 2> /dev/null
    chown munge:munge /etc/munge/munge.key
    chmod 0400 /etc/munge/munge.key
fi
mkdir -p "$D/munge" "$D/slurm/state" "$D/slurm/spool"
chown munge:munge "$D/munge"
chmod 0711 "$D/munge"
runuser -u munge -- /usr/sbin/munged --socket="$D/munge/munge.socket.2" \
    --pid-file="$D/munge/munged.pid" --log-file="$D/munge/munged.log" --seed-file="$D/munge/seed" ||
    skip "munged does not start here"
# Free ports, so that two runs of this test (two build trees) never collide.
read -r CTLD_PORT SLURMD_PORT < <(python3 -c 'import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
cat > "$D/slurm/slurm.conf" <<CONF
ClusterName=local
SlurmctldHost=localhost
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$D/munge/munge.socket.2
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
StateSaveLocation=$D/slurm/state
SlurmdSpoolDir=$D/slurm/spool
SlurmctldPidFile=$D/slurm/slurmctld.pid
SlurmdPidFile=$D/slurm/slurmd.pid
SlurmctldLogFile=$D/slurm/slurmctld.log
SlurmdLogFile=$D/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=pmix
ReturnToService=2
SlurmdTimeout=30
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$D/slurm/slurm.conf
slurmctld -f "$SLURM_CONF" || skip "slurmctld does not start here (see $D/slurm/slurmctld.log)"
slurmd -f "$SLURM_CONF" -N localhost || skip "slurmd does not start here"
up=0
for _ in $(seq 100); do
    if sinfo -h -o '%t' 2> /dev/null | grep -q idle; then up=1; break; fi
    sleep 0.2
done
[ "$up" -eq 1 ] || skip "the Slurm node does not come up: $(tail -3 "$D/slurm/slurmctld.log")"

# corpus without error items: a finished job is COMPLETED (exit 0)
make_corpus
head -n 200 b.jsonl > b.tmp && mv b.tmp b.jsonl
job base.json base 25
"$TF_BIN" run base.json --quiet
outputs base

job s.json "$TF_TMP/s" 25
export TRACEFARM=$TF_BIN MPIRUN=$MPIEXEC MPIRUN_ARGS="-n 3 --oversubscribe" TF_TEST_SLOW='*:300'
JOBID=$(sbatch --parsable --ntasks=2 -D "$TF_TMP" --output="$TF_TMP/slurm-%j.out" \
    "$TF_SRC/jobs/slurm/maze.sbatch" s.json)
check "sbatch accepted the job ($JOBID)" [ -n "$JOBID" ]
check "three shards journaled under Slurm" wait_done "$TF_TMP/s" 3 120
scancel --batch --signal=USR1 "$JOBID"
state() { scontrol show job "$JOBID" 2> /dev/null | tr ' ' '\n' | sed -n "s/^$1=//p"; }
# await_completed: poll until job $JOBID is COMPLETED (finished=1) or 300 s
# pass. Slurm holds a requeued job for about two minutes (Reason=BeginTime)
# while the old run is torn down; forcing an earlier start (scontrol update
# StartTime=now) raced that teardown and made the new run fail at launch,
# so the test waits as a real job would.
await_completed() {
    finished=0
    for _ in $(seq 1500); do
        st=$(state JobState)
        if [ "$st" = COMPLETED ]; then finished=1; break; fi
        case "$st" in FAILED | CANCELLED | TIMEOUT | NODE_FAIL) break ;; esac
        sleep 0.2
    done
}
await_completed
log=$TF_TMP/slurm-$JOBID.out
check "job completed after the requeue (state $(state JobState))" [ "$finished" -eq 1 ]
check "the job was requeued once (Restarts=$(state Restarts))" [ "$(state Restarts)" = 1 ]
check "first run stopped with 75" grep -q "tracefarm exited with status 75" "$log"
check "the script requeued it" grep -q "requeueing job $JOBID" "$log"
check "mpirun forwarded SIGUSR1 to the ranks" grep -q "stopped by SIGUSR1" "$log"
check "second run resumed" grep -q "run 1 on" "$log"
check "second run skipped the journaled shards" grep -Eq "resuming job .*: [1-9][0-9]* of" "$log"
check "second run finished with 0" grep -q "tracefarm exited with status 0" "$log"
check "outputs identical to an uninterrupted run" same_as_base "$TF_TMP/s"

# SIGTERM to every process of the job at once (a preemption, or a time limit
# without the early warning): mpirun does not forward SIGTERM, it ends the
# ranks and exits 1; the script was signalled, so it requeues all the same,
# and the job resumes from its journal.
job t.json "$TF_TMP/t" 25
JOBID=$(sbatch --parsable --ntasks=2 -D "$TF_TMP" --output="$TF_TMP/slurm-%j.out" \
    "$TF_SRC/jobs/slurm/maze.sbatch" t.json)
check "sbatch accepted the second job ($JOBID)" [ -n "$JOBID" ]
check "three shards journaled before the SIGTERM" wait_done "$TF_TMP/t" 3 120
scancel --full --signal=TERM "$JOBID"
await_completed
log=$TF_TMP/slurm-$JOBID.out
check "TERM: job completed after the requeue (state $(state JobState))" [ "$finished" -eq 1 ]
check "TERM: requeued once (Restarts=$(state Restarts))" [ "$(state Restarts)" = 1 ]
check "TERM: the script requeued it" grep -q "requeueing job $JOBID" "$log"
check "TERM: second run resumed" grep -Eq "resuming job .*: [1-9][0-9]* of" "$log"
check "TERM: second run finished with 0" grep -q "tracefarm exited with status 0" "$log"
check "TERM: outputs identical to an uninterrupted run" same_as_base "$TF_TMP/t"
if [ "$FAIL" -ne 0 ]; then
    echo "--- $log"
    cat "$log"
    echo "--- scontrol show job $JOBID"
    scontrol show job "$JOBID" 2>&1
    for f in slurmctld slurmd; do
        echo "--- $f.log (last 30 lines)"
        tail -30 "$D/slurm/$f.log" 2>&1
    done
fi
done_tests
