#!/bin/sh
# Starts (or stops) a real single-node Slurm 22.05 on this machine for the tests:
# munged as user munge, slurmctld + slurmd as root, accounting off, a low MinJobAge so
# finished jobs leave the queue during a test. `start` is idempotent and prints the
# export lines the tests read; everything else goes to stderr.
# The node has two GPUs of type "tesla" as a GRES. Slurm 22.05's slurmd drops a GPU line
# without File= ("Removing file-less GPU gpu:tesla from final GRES list") and refuses a
# File= that is not a device, so the two "GPUs" are character devices with /dev/null's
# numbers in the state directory: enough for Slurm to schedule them (task/none binds
# nothing).
# Usage: eval "$(tests/env/slurm.sh start)"; tests/env/slurm.sh stop
# A second, separate instance (its own config, state and ports; the shared one is not
# touched): CUTTLE_SLURM_INSTANCE=NAME CUTTLE_SLURMCTLD_PORT=P CUTTLE_SLURMD_PORT=Q
# tests/env/slurm.sh start — the exports then carry SLURM_CONF, which every Slurm command
# (and so Cuttle's) reads.
set -eu
INSTANCE=${CUTTLE_SLURM_INSTANCE:-}
if [ -n "$INSTANCE" ]; then
  STATE=/tmp/cuttle-env/slurm-$INSTANCE
  CONF=$STATE/etc/slurm.conf
else
  STATE=/tmp/cuttle-env/slurm
  CONF=/etc/slurm/slurm.conf
fi
export SLURM_CONF="$CONF"
HOST=$(hostname -s)
CTLD_PORT=${CUTTLE_SLURMCTLD_PORT:-6817}
SLURMD_PORT=${CUTTLE_SLURMD_PORT:-6818}

log() { echo "slurm.sh: $*" >&2; }

ready() {
  sinfo -h -o '%t' 2>/dev/null | grep -Eq '^(idle|mix|alloc)'
}

print_exports() {
  echo "export CUTTLE_TEST_SLURM=1"
  echo "export CUTTLE_TEST_SLURM_PARTITION=debug"
  echo "export CUTTLE_TEST_SLURM_ONE_SLOT_PARTITION=one"
  echo "export CUTTLE_TEST_SLURM_MIN_JOB_AGE=10"
  echo "export CUTTLE_TEST_TORQUE=1"
  # A controller started from an older version of this script has no GPUs: say so only
  # when the configuration it runs with has them.
  if grep -q '^GresTypes=gpu' "$CONF"; then
    echo "export CUTTLE_TEST_SLURM_GPUS=2"
    echo "export CUTTLE_TEST_SLURM_GPU_TYPE=tesla"
    echo "export CUTTLE_TEST_SLURM_FEATURE=ssd"
  fi
  [ -z "$INSTANCE" ] || echo "export SLURM_CONF=$CONF"
}

# Our daemons are known by the pid files they write, never by name: another Slurm or munge
# on the machine (a container, a chroot, a nested namespace) is not ours.
running() {  # PIDFILE
  [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

start_munge() {
  if running /run/munge/munged.pid; then return; fi
  mkdir -p /etc/munge /var/lib/munge /var/log/munge /run/munge
  if [ ! -s /etc/munge/munge.key ]; then
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 2>/dev/null
  fi
  chown munge:munge /etc/munge /etc/munge/munge.key /var/lib/munge /var/log/munge /run/munge
  chmod 400 /etc/munge/munge.key
  chmod 700 /etc/munge /var/lib/munge /var/log/munge
  chmod 755 /run/munge
  su -s /bin/sh munge -c /usr/sbin/munged >&2 || { log "munged failed to start"; exit 1; }
}

write_conf() {
  mkdir -p "$(dirname "$CONF")" "$STATE/spool/ctld" "$STATE/spool/d" "$STATE/log"
  cpus=$(nproc)
  mem_mb=$(awk '/MemTotal/ {print int($2 / 1024 / 2)}' /proc/meminfo)
  cat >"$CONF" <<CONF
# Written by tests/env/slurm.sh for Cuttle's tests: a throwaway single-node cluster.
ClusterName=cuttle${INSTANCE:+-$INSTANCE}
SlurmctldHost=$HOST
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$STATE/spool/ctld
SlurmdSpoolDir=$STATE/spool/d
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
MinJobAge=10
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1
KillWait=5
InactiveLimit=0
SlurmctldTimeout=60
SlurmdTimeout=300
MaxJobCount=20000
GresTypes=gpu
NodeName=$HOST CPUs=$cpus RealMemory=$mem_mb Gres=gpu:tesla:2 Features=ssd State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:64
# Every job here takes the whole node, so a second one stays queued (tests of Queued).
PartitionName=one Nodes=$HOST MaxTime=INFINITE State=UP OverSubscribe=EXCLUSIVE
CONF
  mkdir -p "$STATE/fake-gpu"
  for i in 0 1; do
    [ -c "$STATE/fake-gpu/gpu$i" ] || mknod "$STATE/fake-gpu/gpu$i" c 1 3
  done
  cat >"$(dirname "$CONF")/gres.conf" <<GRES
NodeName=$HOST Name=gpu Type=tesla File=$STATE/fake-gpu/gpu[0-1]
GRES
  # The Torque wrappers and the tools read the same file.
}

start() {
  start_munge
  if ! running "$STATE/slurmctld.pid"; then
    write_conf
    /usr/sbin/slurmctld -f "$CONF" >&2 || { log "slurmctld failed; see $STATE/log/slurmctld.log"; exit 1; }
  fi
  if ! running "$STATE/slurmd.pid"; then
    /usr/sbin/slurmd -f "$CONF" >&2 || { log "slurmd failed; see $STATE/log/slurmd.log"; exit 1; }
  fi
  i=0
  while ! ready; do
    i=$((i + 1))
    if [ $i -gt 60 ]; then
      log "the node did not become idle within 30 s:"; sinfo >&2 || true; exit 1
    fi
    # A node left down by an earlier run comes back here.
    [ $((i % 10)) -eq 5 ] && scontrol update nodename="$HOST" state=resume >/dev/null 2>&1 || true
    sleep 0.5
  done
  log "ready: $(sinfo -h -o '%P %t %D' | tr '\n' ' ')"
  print_exports
}

stop() {
  for daemon in slurmd slurmctld; do
    if running "$STATE/$daemon.pid"; then kill "$(cat "$STATE/$daemon.pid")" 2>/dev/null || true; fi
  done
  log "stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
