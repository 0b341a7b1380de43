#!/usr/bin/env bash
# `make bench`: every Tessera benchmark in one run, each next to its anchor.
#
#   sw/bench/run.sh BUILD_DIR DATA_DIR DATASET PYTHON
#
# 1. CNN training/inference throughput vs PyTorch CPU (same network,
#    3x32x32 input, 100 classes, batch 64, 2 threads). The two alternate,
#    A B A B A B (BENCH_PAIRS pairs, default 3), each in its own best
#    configuration: PyTorch with its defaults, Tessera with
#    OMP_WAIT_POLICY=PASSIVE set for its own process only (its BLIS runs
#    single-threaded inside Tessera's threads). Prints each pair, the ratio
#    range, the load average, and each side's GFLOP/s as a fraction of its own
#    BLAS's SGEMM ceiling measured in the same run.
# 2. The full quantization sweep time (needs a trained model: OUT/model.safetensors
#    or BENCH_MODEL=path; skipped with a note otherwise).
# 3. The accelerator simulation speed (make hw-bench), when it is built, and
#    one lane's alone (make hw-bench-lane), which bounds it.
# 4. The default hw-sweep grid (bits x scheme x sparsity on the RTL) timed
#    from scratch, and its speedup table (needs the trained model of 2.).
set -uo pipefail
build=$1 data=$2 dataset=$3 python=$4
here=$(cd "$(dirname "$0")" && pwd)
secs=${BENCH_SECONDS:-5}
pairs=${BENCH_PAIRS:-3}
# Settings that help Tessera, applied to Tessera's processes only.
ts_env=(env OMP_WAIT_POLICY=PASSIVE)

get() { sed -n "s/^$1=//p" <<<"$2" | head -1; }

echo "== machine"
echo "cores: $(nproc); cpu:$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2); load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "(figures are only comparable when nothing else runs: check the load average)"

echo
echo "== CNN throughput: Tessera vs PyTorch CPU (3x32x32, 100 classes, batch 64, 2 threads, ${secs} s each, ${pairs} alternating pairs)"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
# GFLOP/s from images/s: inference = 2 FLOPs a MAC; training ~3x that.
gflops() { awk -v i="$1" -v m="$2" -v f="$3" 'BEGIN { printf "%.1f", i * m * 2 * f / 1e9 }'; }
pct() { awk -v g="$1" -v c="$2" 'BEGIN { if (c > 0) printf "%.0f%%", 100 * g / c; else print "n/a" }'; }
printf '%-5s %-10s %10s %10s %7s %10s %10s %7s\n' pair load train_ts train_pt ratio infer_ts infer_pt ratio
rt_all=() ri_all=() pt=""
for p in $(seq 1 "$pairs"); do
  load=$(cut -d' ' -f1 /proc/loadavg)
  ts=$("${ts_env[@]}" "$build/bench/bench_cnn" --seconds "$secs" --threads 2 --batch 64) \
    || { echo "bench_cnn failed"; exit 1; }
  pt=$("$python" "$here/../py/torch_anchor.py" bench --seconds "$secs" --threads 2 --batch 64 2>/dev/null) || pt=""
  [ -n "$pt" ] || { echo "PyTorch: not available (install python3-torch; run with /usr/bin/python3)"; break; }
  at=$(get train_img_per_s "$ts") ai=$(get infer_img_per_s "$ts")
  bt=$(get train_img_per_s "$pt") bi=$(get infer_img_per_s "$pt")
  rt=$(ratio "$at" "$bt") ri=$(ratio "$ai" "$bi")
  rt_all+=("$rt") ri_all+=("$ri")
  printf '%-5s %-10s %10s %10s %6sx %10s %10s %6sx\n' "$p" "$load" "$at" "$bt" "$rt" "$ai" "$bi" "$ri"
  macs=$(get macs_per_img "$ts")
  cts=$(get sgemm2048_peak_gflops "$ts") cpt=$(get sgemm2048_peak_gflops "$pt")
  gts=$(gflops "$at" "$macs" 3) gpt=$(gflops "$bt" "$macs" 3)
  echo "      training GFLOP/s: Tessera $gts = $(pct "$gts" "$cts") of its SGEMM 2048^3 ceiling $cts ($(get blas "$ts")); PyTorch $gpt = $(pct "$gpt" "$cpt") of its torch.mm ceiling $cpt (BLAS $(get torch_blas "$pt"))"
done
range() { printf '%s\n' "$@" | sort -g | sed -n '1p;$p' | paste -sd- | sed 's/-/x - /; s/$/x/'; }
if [ ${#rt_all[@]} -gt 0 ]; then
  echo "ratio Tessera/PyTorch over ${#rt_all[@]} pairs: training $(range "${rt_all[@]}"), inference $(range "${ri_all[@]}"); load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "PyTorch $(get torch_version "$pt"), $(get torch_threads "$pt") threads, its defaults (no OMP variables); both run the same network, batch and thread count on the same random data shape"
fi
echo "Tessera per CPU-second (steadier on a busy machine): train $(get train_img_per_cpu_s "$ts"), infer $(get infer_img_per_cpu_s "$ts") img/s (last pair)"

echo
echo "== quantization sweep (2 schemes x B = 1..16 + FP32, whole test split)"
model=${BENCH_MODEL:-${OUT:-out}/model.safetensors}
if [ -f "$model" ]; then
  "${ts_env[@]}" "$here/bench_study.sh" "$build/tessera" "$model" "$data" 2
else
  echo "skipped: no trained model at $model (make run, or BENCH_MODEL=path make bench)"
fi

echo
echo "== accelerator simulation (Verilator)"
if [ -x "$build/hw/bench_hw" ]; then
  "${ts_env[@]}" "$build/hw/bench_hw"
  [ -x "$build/hw/lane/bench_lane" ] && "${ts_env[@]}" "$build/hw/lane/bench_lane"
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
