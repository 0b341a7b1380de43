#!/usr/bin/env bash
# A one-node Slurm cluster on localhost (Debian's slurm-wlm 22.05 + munge),
# for tests and for trying `tessera ... --slurm` without a real cluster.
#
#   local_cluster.sh run CMD [ARG...]  start, run CMD with SLURM_CONF set,
#                                      stop; exits with CMD's status
#   local_cluster.sh start             start; prints "export SLURM_CONF=..."
#                                      and "export TS_SLURM_CLUSTER=DIR" lines
#   local_cluster.sh stop [DIR]        stop the cluster in DIR
#                                      (default $TS_SLURM_CLUSTER)
#
# Everything lives in a fresh temp folder: munge key and socket, slurm.conf,
# state, spool, logs. munged, slurmctld and slurmd run in the foreground
# (-F / -D) in the background of this script; their PIDs are kept in
# DIR/pids and every one of them is stopped by PID (scontrol shutdown,
# then TERM, then KILL), also when start-up fails. Needs root (slurmd runs
# jobs as the submitting user). Ports are picked free at start.
set -euo pipefail

die() { echo "local_cluster.sh: $*" >&2; exit 1; }

for t in munged mungekey slurmctld slurmd sinfo scontrol; do
  command -v "$t" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin
  command -v "$t" >/dev/null 2>&1 ||
    die "'$t' not found: apt-get install -y slurm-wlm munge"
done
[ "$(id -u)" -eq 0 ] || die "must run as root (slurmd starts jobs as their user)"

# A TCP port nobody listens on (bash's /dev/tcp connect fails).
free_port() {
  local p
  for _ in $(seq 100); do
    p=$((20000 + RANDOM % 20000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
  die "no free TCP port found"
}

# Stops the daemons listed in $1/pids: cancels the jobs left, scontrol
# shutdown (slurmctld tells slurmd), TERM to whatever is left after 5 s
# (munged always is), KILL after 5 s more.
alive_of() {
  local pid
  for pid in $1; do if kill -0 "$pid" 2>/dev/null; then echo "$pid"; fi; done
}
stop_cluster() {
  set +e # stop everything even if a step fails
  local dir=$1 pids left sig
  [ -f "$dir/pids" ] || return 0
  pids=$(cat "$dir/pids")
  # jobs still running would outlive slurmd (slurmstepd is not its child):
  # cancel every job of this cluster and give them 10 s to go
  export SLURM_CONF=$dir/slurm.conf
  if [ -n "$(timeout 5 squeue -h -o %i 2>/dev/null)" ]; then
    timeout 5 scancel --user="$(id -un)" >/dev/null 2>&1
    for _ in $(seq 100); do
      [ -z "$(timeout 5 squeue -h -o %i 2>/dev/null)" ] && break
      sleep 0.1
    done
  fi
  timeout 5 scontrol shutdown >/dev/null 2>&1 || true
  for sig in TERM KILL; do
    for _ in $(seq 50); do
      left=$(alive_of "$pids")
      # only munged left: no point waiting for scontrol shutdown to reach it
      if [ -z "$left" ] || [ "$left" = "$(alive_of "$(head -1 "$dir/pids")")" ]; then break; fi
      sleep 0.1
    done
    [ -z "$left" ] && break
    kill -"$sig" $left 2>/dev/null || true
    for _ in $(seq 50); do
      if [ -z "$(alive_of "$pids")" ]; then break 2; fi
      sleep 0.1
    done
  done
  rm -f "$dir/pids"
}

start_cluster() {
  local dir=$1 t0=$SECONDS
  chmod 0755 "$dir" # munged checks every folder above its socket
  # the socket's folder must be open to all, the key's private
  mkdir -p "$dir/munge" "$dir/key" "$dir/state" "$dir/spool" "$dir/log"
  chmod 0755 "$dir/munge"
  chmod 0700 "$dir/key"
  mungekey --create --keyfile="$dir/key/munge.key" >/dev/null
  munged -F --socket="$dir/munge/socket" --key-file="$dir/key/munge.key" \
    --pid-file="$dir/munge/munged.pid" --log-file="$dir/log/munged.log" \
    --seed-file="$dir/key/seed" </dev/null >>"$dir/log/munged.out" 2>&1 &
  echo $! >>"$dir/pids"
  local hw
  hw=$(slurmd -C | head -1 | sed 's/^NodeName=[^ ]* //')
  cat >"$dir/slurm.conf" <<CONF
ClusterName=tessera-local
SlurmctldHost=localhost
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/socket
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
NodeName=localhost NodeAddr=127.0.0.1 $hw State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
  export SLURM_CONF=$dir/slurm.conf
  for _ in $(seq 50); do [ -S "$dir/munge/socket" ] && break; sleep 0.1; done
  [ -S "$dir/munge/socket" ] || { cat "$dir/log/munged.out" >&2; die "munged did not start"; }
  slurmctld -D -i -f "$SLURM_CONF" </dev/null >>"$dir/log/slurmctld.out" 2>&1 &
  echo $! >>"$dir/pids"
  slurmd -D -N localhost -f "$SLURM_CONF" </dev/null >>"$dir/log/slurmd.out" 2>&1 &
  echo $! >>"$dir/pids"
  # idle = slurmd registered and the node takes jobs
  for _ in $(seq 300); do
    [ "$(sinfo -h -n localhost -o %t 2>/dev/null)" = idle ] && {
      echo "local_cluster.sh: node idle after $((SECONDS - t0)) s ($dir)" >&2
      return 0
    }
    sleep 0.1
  done
  tail -n 5 "$dir"/log/* >&2 || true
  die "node not idle after 30 s (logs in $dir/log)"
}

case "${1:-}" in
  run)
    shift
    [ $# -gt 0 ] || die "run needs a command"
    dir=$(mktemp -d /tmp/tessera-slurm.XXXXXX)
    trap 'stop_cluster "$dir"; rm -rf "$dir"' EXIT
    trap 'exit 130' INT TERM
    start_cluster "$dir"
    rc=0
    TS_SLURM_CLUSTER=$dir "$@" || rc=$?
    exit "$rc"
    ;;
  start)
    dir=$(mktemp -d /tmp/tessera-slurm.XXXXXX)
    trap 'stop_cluster "$dir"; rm -rf "$dir"' EXIT
    start_cluster "$dir"
    trap - EXIT
    echo "export SLURM_CONF=$dir/slurm.conf"
    echo "export TS_SLURM_CLUSTER=$dir"
    ;;
  stop)
    dir=${2:-${TS_SLURM_CLUSTER:-}}
    [ -n "$dir" ] && [ -f "$dir/slurm.conf" ] || die "stop: no cluster folder given (or \$TS_SLURM_CLUSTER)"
    stop_cluster "$dir"
    rm -rf "$dir"
    ;;
  *)
    sed -n '2,18s/^# \{0,1\}//p' "$0" >&2
    exit 2
    ;;
esac
