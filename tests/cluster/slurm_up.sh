#!/usr/bin/env bash
# Stand up a one-node SLURM 22.05 cluster (munged + slurmctld + slurmd) on localhost
# from Debian packages, for the cluster tests and benchmarks/bench_slurm.py.
# Recipe and gotchas: see the README's "Cluster (SLURM)" section.
#
# Needs root and Debian/Ubuntu (apt). No systemd: the daemons are started directly
# and write PID files into $SLURM_DIR; tests/cluster/slurm_down.sh kills exactly those.
#
# Environment:
#   SLURM_DIR        state, spool, logs, PID files           (default /tmp/iongrad-slurm)
#   SLURM_PARTITION  name of the single partition            (default debug)
#   SLURM_ENFORCE_MEMORY  1 = cgroup memory limits (a job over its mem_mb is killed
#                    with OUT_OF_MEMORY, as on a real cluster); 0 = not enforced
#                    (default 1 when cgroup v1's memory controller is mounted)
# Exit status 0 once the node is idle; non-zero with the daemons' log tails otherwise.
set -euo pipefail
SLURM_DIR=${SLURM_DIR:-/tmp/iongrad-slurm}
PARTITION=${SLURM_PARTITION:-debug}
export DEBIAN_FRONTEND=noninteractive

if [ "$(id -u)" != 0 ]; then
  echo "slurm_up.sh: needs root (it installs packages and starts daemons)" >&2
  exit 3
fi

# Refuse to start a second set of daemons on top of a live one (they would fail to bind).
for f in "$SLURM_DIR"/slurmctld.pid "$SLURM_DIR"/slurmd.pid; do
  if [ -s "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null; then
    echo "slurm_up.sh: a cluster from $SLURM_DIR is already running ($f); run slurm_down.sh first" >&2
    exit 4
  fi
done

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null \
   || ! command -v munged >/dev/null || ! command -v sbatch >/dev/null; then
  command -v apt-get >/dev/null || { echo "slurm_up.sh: slurm/munge missing and no apt-get" >&2; exit 3; }
  # Another apt run may hold the dpkg lock: wait for it instead of failing.
  apt-get -o DPkg::Lock::Timeout=300 update -qq
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends \
    slurm-wlm munge >/dev/null
fi

if [ -z "${SLURM_ENFORCE_MEMORY:-}" ]; then
  if [ -f /sys/fs/cgroup/memory/memory.limit_in_bytes ]; then SLURM_ENFORCE_MEMORY=1
  else SLURM_ENFORCE_MEMORY=0; fi
fi

H=$(hostname -s)
CPUS=$(nproc)
# RealMemory must not exceed what slurmd detects, or the node is drained (INVAL).
MEM=$(( $(free -m | awk '/^Mem:/{print $2}') * 9 / 10 ))

rm -rf "${SLURM_DIR:?}"
mkdir -p "$SLURM_DIR"/{ctld,spool,log,etc-backup}
chown -R slurm:slurm "$SLURM_DIR"

# The machine's own /etc/slurm files (any not written by this script) are kept in
# $SLURM_DIR/etc-backup; slurm_down.sh puts them back and removes ours, so a stale
# slurm.conf never outlives the cluster (Snakemake's SLURM plugin runs `scontrol` at
# every start and waits for a controller that a leftover config names).
MARK="# written by iongrad tests/cluster/slurm_up.sh"
for f in slurm.conf cgroup.conf; do
  if [ -e /etc/slurm/$f ] && ! grep -qF "$MARK" /etc/slurm/$f; then
    cp -p /etc/slurm/$f "$SLURM_DIR"/etc-backup/$f
  fi
done

if [ "$SLURM_ENFORCE_MEMORY" = 1 ]; then
  PROCTRACK=proctrack/cgroup
  TASK=task/cgroup
  cat > /etc/slurm/cgroup.conf <<CONF
$MARK
CgroupPlugin=cgroup/v1
ConstrainCores=no
ConstrainRAMSpace=yes
ConstrainSwapSpace=yes
AllowedSwapSpace=0
CONF
else
  PROCTRACK=proctrack/linuxproc
  TASK=task/none
  rm -f /etc/slurm/cgroup.conf
fi

# Task epilog: record each job's peak memory (its cgroup's max usage, every process
# of the job included) in $SLURM_DIR/peak_mem/<jobid>, for the tests and benchmarks.
mkdir -p "$SLURM_DIR"/peak_mem && chmod 1777 "$SLURM_DIR"/peak_mem
cat > "$SLURM_DIR"/task_epilog.sh <<'EPI'
#!/bin/sh
for f in /sys/fs/cgroup/memory/slurm*/uid_"${SLURM_JOB_UID}"/job_"${SLURM_JOB_ID}"/memory.max_usage_in_bytes; do
  [ -r "$f" ] && cat "$f" > "$(dirname "$0")/peak_mem/${SLURM_JOB_ID}"
done
exit 0
EPI
chmod 755 "$SLURM_DIR"/task_epilog.sh

# MinJobAge=300 keeps finished jobs visible to squeue, which the Snakemake plugin needs
# (no slurmdbd here, so sacct cannot be the status command).
cat > /etc/slurm/slurm.conf <<CONF
$MARK
ClusterName=iongradci
SlurmctldHost=${H}(127.0.0.1)
AuthType=auth/munge
CredType=cred/munge
SlurmUser=slurm
SlurmdUser=root
StateSaveLocation=${SLURM_DIR}/ctld
SlurmdSpoolDir=${SLURM_DIR}/spool
SlurmctldPidFile=${SLURM_DIR}/slurmctld.pid
SlurmdPidFile=${SLURM_DIR}/slurmd.pid
SlurmctldLogFile=${SLURM_DIR}/log/slurmctld.log
SlurmdLogFile=${SLURM_DIR}/log/slurmd.log
ProctrackType=${PROCTRACK}
TaskPlugin=${TASK}
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
MinJobAge=300
TaskEpilog=${SLURM_DIR}/task_epilog.sh
NodeName=${H} NodeAddr=127.0.0.1 CPUs=${CPUS} RealMemory=${MEM} State=UNKNOWN
PartitionName=${PARTITION} Nodes=${H} Default=YES MaxTime=INFINITE State=UP
CONF

# munge: Debian's postinst creates the key; create one if it is missing.
if [ ! -s /etc/munge/munge.key ]; then mungekey --create --keyfile=/etc/munge/munge.key; fi
chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
mkdir -p /run/munge && chown munge:munge /run/munge
if ! { [ -s /run/munge/munged.pid ] && kill -0 "$(cat /run/munge/munged.pid)" 2>/dev/null; }; then
  runuser -u munge -- /usr/sbin/munged
  # remember that we started it, so slurm_down.sh stops it (and only then)
  cp /run/munge/munged.pid "$SLURM_DIR"/munged.pid
fi
for _ in $(seq 50); do munge -n >/dev/null 2>&1 && break; sleep 0.1; done

/usr/sbin/slurmctld
/usr/sbin/slurmd
st=
for _ in $(seq 80); do
  st=$(sinfo -h -n "$H" -o %T 2>/dev/null || true)
  [ "$st" = idle ] && break
  sleep 0.5
done
if [ "$st" != idle ]; then
  echo "slurm_up.sh: node $H is '$st', not idle" >&2
  tail -n 30 "$SLURM_DIR"/log/*.log >&2 || true
  exit 1
fi
echo "slurm_up.sh: node $H idle, partition $PARTITION, memory enforcement $SLURM_ENFORCE_MEMORY"
