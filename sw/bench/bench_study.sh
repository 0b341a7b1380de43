#!/usr/bin/env bash
# Times the full quantization sweep (FP32 + B = 1..16 x per-tensor and
# per-channel: 33 evaluations of the whole test split) of a trained model.
#
#   sw/bench/bench_study.sh TESSERA MODEL [DATA_DIR] [THREADS]
#
# Prints the sweep's own lines and, last, `quant_sweep_seconds=S` (the
# evaluation loop only, as measured by `tessera quant`; loading the model
# and the test split is excluded) plus `quant_sweep_wall_seconds=S` (the
# whole command). Runs in a temporary folder with --no-resume, so nothing is
# reused and nothing in out/ is touched.
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 TESSERA MODEL [DATA_DIR] [THREADS]" >&2
  exit 2
fi
bin=$1 model=$2 data=${3:-} threads=${4:-2}
[ -x "$bin" ] || { echo "bench_study: '$bin' is not an executable tessera binary" >&2; exit 1; }
[ -f "$model" ] || { echo "bench_study: model '$model' not found (train one with: $bin train)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
args=(quant --model "$model" --out "$tmp" --threads "$threads" --no-resume)
[ -n "$data" ] && args+=(--data "$data")
t0=$(date +%s.%N)
"$bin" "${args[@]}" | grep -E '^(quantization sweep|sweep time)'
t1=$(date +%s.%N)
sweep=$(sed -n 's/^sweep_seconds,//p' "$tmp/quant_run.csv")
evals=$(sed -n 's/^evaluations,//p' "$tmp/quant_run.csv")
images=$(sed -n 's/^test_images,//p' "$tmp/quant_run.csv")
echo "quant_sweep_evaluations=$evals quant_sweep_images=$images"
echo "quant_sweep_seconds=$sweep"
awk -v a="$t0" -v b="$t1" 'BEGIN { printf "quant_sweep_wall_seconds=%.3f\n", b - a }'
