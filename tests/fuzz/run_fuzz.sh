#!/usr/bin/env bash
# Runs each libFuzzer target for a set time and prints one line per target:
# executions, executions per second, corpus size and crashes found.
#   run_fuzz.sh OUT SRC SECONDS "EXTRA_ARGS" TARGET...
# SECONDS = 0 leaves the length to EXTRA_ARGS (e.g. -runs=10000000).
set -u
out=$1 src=$2 secs=$3 extra=$4
shift 4
status=0
summary=()
for t in "$@"; do
  mkdir -p "$out/corpus/$t" "$out/crashes/$t"
  log="$out/fuzz_$t.log"
  stamp="$out/.stamp_$t" # crash files newer than it are this run's
  : >"$stamp"
  time_arg=()
  [ "$secs" != 0 ] && time_arg=(-max_total_time="$secs")
  echo "=== fuzz_$t (${secs}s) log: $log"
  # -timeout: an input slower than 10 s counts as a hang; -rss_limit_mb: a
  # parser allocating more than 2 GB on a small input is a finding too.
  # shellcheck disable=SC2086
  "$out/fuzz_$t" "${time_arg[@]}" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$out/crashes/$t/" $extra "$out/corpus/$t" "$src/corpus/$t" >"$log" 2>&1
  rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
  crashes=$(find "$out/crashes/$t" -type f -newer "$stamp" | wc -l)
  summary+=("$(printf '%-12s %12s runs %8s exec/s  %-10s  %s crash files  exit %d' \
    "$t" "${runs:-?}" "${eps:-?}" "${cov:-cov: ?}" "$crashes" "$rc")")
  if [ "$rc" -ne 0 ]; then
    status=1
    grep -m3 -E 'ERROR|SUMMARY|Test unit written' "$log"
  fi
done
printf '%s\n' "${summary[@]}"
exit $status
