#!/usr/bin/env bash
# Runs every GoogleTest binary given, then prints one plain summary line
# "N passed, N failed" (what CI reads) and exits non-zero on any failure.
set -u
export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
export OMP_WAIT_POLICY=PASSIVE
# Real CIFAR-100 for the tests that use it (they skip when it is absent).
if [ -z "${TESSERA_CIFAR100_DIR:-}" ] && [ -f ../shared/data/cifar-100-binary/train.bin ]; then
  TESSERA_CIFAR100_DIR=$(cd ../shared/data/cifar-100-binary && pwd)
  export TESSERA_CIFAR100_DIR
fi
passed=0; failed=0; skipped=0; broken=0
for bin in "$@"; do
  echo "=== $bin"
  log=$(mktemp)
  "$bin" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
  f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*, listed below:.*/\1/p' "$log" | tail -1)
  s=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*, listed below:.*/\1/p' "$log" | tail -1)
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${s:-0}))
  if [ "$rc" -ne 0 ] && [ -z "$f" ]; then
    echo "tessera: $bin exited with status $rc before reporting its results" >&2
    broken=$((broken + 1))
  fi
  rm -f "$log"
done
failed=$((failed + broken))
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
[ "$failed" -eq 0 ]
