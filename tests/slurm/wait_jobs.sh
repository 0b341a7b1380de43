#!/usr/bin/env bash
# Usage: wait_jobs.sh DIR [TIMEOUT_S]
# Waits until the jobs that DIR/submit.sh (written by `tessera ... --slurm
# DIR`) recorded in DIR/jobs have left the queue, polling squeue (no
# accounting database needed), then prints each job's final state from
# scontrol (slurmctld keeps finished jobs for MinJobAge, 300 s by default).
# Exits 0 when every job COMPLETED, 1 when one did not, 2 on time-out (the
# jobs are then cancelled).
set -euo pipefail
dir=$1 limit=${2:-60}
[ -s "$dir/jobs" ] || { echo "wait_jobs.sh: no $dir/jobs (run $dir/submit.sh first)" >&2; exit 1; }
read -r array merge <"$dir/jobs"
t0=$SECONDS
while [ -n "$(squeue -h -j "$array,$merge" -o %i 2>/dev/null)" ]; do
  if [ $((SECONDS - t0)) -ge "$limit" ]; then
    echo "wait_jobs.sh: jobs $array,$merge still queued after $limit s:" >&2
    squeue -j "$array,$merge" >&2 || true
    scancel "$array" "$merge" 2>/dev/null || true
    exit 2
  fi
  sleep 0.25
done
rc=0
# the array's tasks are jobs of their own: scontrol lists each one
states=$(scontrol -o show job "$array" 2>/dev/null; scontrol -o show job "$merge" 2>/dev/null)
while read -r line; do
  [ -n "$line" ] || continue
  id=$(sed -n 's/.*JobId=\([0-9]*\).*/\1/p' <<<"$line")
  task=$(sed -n 's/.*ArrayTaskId=\([0-9]*\).*/\1/p' <<<"$line")
  state=$(sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' <<<"$line")
  run=$(sed -n 's/.* RunTime=\([0-9:-]*\).*/\1/p' <<<"$line")
  echo "job $id${task:+ (task $task)}: $state, ran $run"
  [ "$state" = COMPLETED ] || rc=1
done <<<"$states"
echo "wait_jobs.sh: done after $((SECONDS - t0)) s"
exit "$rc"
