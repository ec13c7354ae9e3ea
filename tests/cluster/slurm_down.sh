#!/usr/bin/env bash
# Stop the daemons started by tests/cluster/slurm_up.sh: exactly the PIDs in its PID
# files (slurmd, slurmctld, and munged only if slurm_up.sh started it), then remove
# $SLURM_DIR, restoring /etc/slurm. Safe to run twice or when nothing is running.
SLURM_DIR=${SLURM_DIR:-/tmp/iongrad-slurm}
[ -d "$SLURM_DIR" ] || exit 0
PIDFILES=("$SLURM_DIR"/slurmd.pid "$SLURM_DIR"/slurmctld.pid "$SLURM_DIR"/munged.pid)
# Cancel leftover jobs first so no job step outlives the cluster.
if [ -s "$SLURM_DIR"/slurmctld.pid ] && kill -0 "$(cat "$SLURM_DIR"/slurmctld.pid)" 2>/dev/null; then
  timeout 10 scancel --full --quiet -u "$(id -un)" 2>/dev/null || true
fi
for f in "${PIDFILES[@]}"; do
  [ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
done
for f in "${PIDFILES[@]}"; do
  [ -s "$f" ] || continue
  p=$(cat "$f")
  for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$p" 2>/dev/null && kill -9 "$p" 2>/dev/null
done
# Put back the machine's own /etc/slurm files; remove the ones slurm_up.sh wrote.
MARK="# written by iongrad tests/cluster/slurm_up.sh"
for f in slurm.conf cgroup.conf; do
  if [ -e "$SLURM_DIR"/etc-backup/$f ]; then
    cp -p "$SLURM_DIR"/etc-backup/$f /etc/slurm/$f
  elif [ -e /etc/slurm/$f ] && grep -qF "$MARK" /etc/slurm/$f; then
    rm -f /etc/slurm/$f
  fi
done
rm -rf "${SLURM_DIR:?}"
echo "slurm_down.sh: stopped"
