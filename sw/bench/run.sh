#!/usr/bin/env bash
# `make bench`: every Tessera benchmark in one run, each next to its anchor.
#
#   sw/bench/run.sh BUILD_DIR DATA_DIR DATASET PYTHON
#
# 1. CNN training/inference throughput vs PyTorch CPU (same network,
#    3x32x32 input, 100 classes, batch 64, 2 threads), with ratios and the
#    GFLOP/s achieved against this machine's measured SGEMM ceiling.
# 2. The full quantization sweep time (needs a trained model: OUT/model.safetensors
#    or BENCH_MODEL=path; skipped with a note otherwise).
# 3. The accelerator simulation speed (make hw-bench), when it is built, and
#    one lane's alone (make hw-bench-lane), which bounds it.
# 4. The default hw-sweep grid (bits x scheme x sparsity on the RTL) timed
#    from scratch, and its speedup table (needs the trained model of 2.).
set -uo pipefail
build=$1 data=$2 dataset=$3 python=$4
here=$(cd "$(dirname "$0")" && pwd)
export OMP_WAIT_POLICY=PASSIVE
secs=${BENCH_SECONDS:-5}

get() { sed -n "s/^$1=//p" <<<"$2" | head -1; }

echo "== machine"
echo "cores: $(nproc); cpu:$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2); load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "(figures are only comparable when nothing else runs: check the load average)"

echo
echo "== CNN throughput: Tessera vs PyTorch CPU (3x32x32, 100 classes, batch 64, 2 threads, ${secs} s each)"
ts=$("$build/bench/bench_cnn" --seconds "$secs" --threads 2 --batch 64) || { echo "bench_cnn failed"; exit 1; }
if pt=$("$python" "$here/../py/torch_anchor.py" bench --seconds "$secs" --threads 2 --batch 64 2>/dev/null); then :; else pt=""; fi
echo "$(get blas "$ts") (BLAS for the FC layers; convolutions through libxsmm JIT tiles)"
printf '%-28s %12s %12s %8s\n' "measure" "Tessera" "PyTorch" "ratio"
for k in train_img_per_s infer_img_per_s; do
  a=$(get $k "$ts"); b=$(get $k "$pt")
  if [ -n "$b" ]; then r=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2fx", a / b }'); else b="n/a"; r="n/a"; fi
  printf '%-28s %12s %12s %8s\n' "$k" "$a" "$b" "$r"
done
[ -n "$pt" ] && echo "PyTorch: $(get torch_version "$pt"), $(get torch_threads "$pt") threads" \
             || echo "PyTorch: not available (install python3-torch; run with /usr/bin/python3)"
echo "Tessera per CPU-second (steadier on a busy machine): train $(get train_img_per_cpu_s "$ts"), infer $(get infer_img_per_cpu_s "$ts") img/s"
echo "achieved: train $(get train_gflops "$ts") GFLOP/s, inference $(get infer_gflops "$ts") GFLOP/s; SGEMM 2048^3 ceiling on 2 threads: $(get sgemm2048_peak_gflops "$ts") GFLOP/s"

echo
echo "== quantization sweep (2 schemes x B = 1..16 + FP32, whole test split)"
model=${BENCH_MODEL:-${OUT:-out}/model.safetensors}
if [ -f "$model" ]; then
  "$here/bench_study.sh" "$build/tessera" "$model" "$data" 2
else
  echo "skipped: no trained model at $model (make run, or BENCH_MODEL=path make bench)"
fi

echo
echo "== accelerator simulation (Verilator)"
if [ -x "$build/hw/bench_hw" ]; then
  "$build/hw/bench_hw"
  [ -x "$build/hw/lane/bench_lane" ] && "$build/hw/lane/bench_lane"
else
  echo "skipped: build it with 'make hw-bench'"
fi

echo
echo "== hw-sweep, default grid (5 bits x 2 schemes x 7 sparsities, RTL on 16 images, from scratch)"
if [ -f "$model" ]; then
  sweep_out=$(mktemp -d)
  t0=$(date +%s.%N)
  if "$build/tessera" hw-sweep --model "$model" --data "$data" --dataset "$dataset" \
       --threads 2 --out "$sweep_out" > "$sweep_out/log.txt" 2>&1; then
    t1=$(date +%s.%N)
    sed -n '/^whole network per point/,/^$/p' "$sweep_out/log.txt"
    echo "hw-sweep default grid: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s (goal: 180 s on 2 cores; load average now: $(cut -d' ' -f1-3 /proc/loadavg))"
  else
    echo "hw-sweep failed:"; tail -5 "$sweep_out/log.txt"
  fi
  rm -rf "$sweep_out"
else
  echo "skipped: no trained model at $model"
fi
