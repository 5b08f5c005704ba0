#!/usr/bin/env bash
# The GPU check of issue #20, one script for a GPU machine (about 5-8 minutes):
#   [DATA_ROOT=data/busi | BUSI_SRC=.../Dataset_BUSI_with_GT] [OUT=work_dirs/gpu_check] \
#       bash benchmarks/gpu_check.sh
# 1. benchmarks/gpu_check.py: fp32 vs bf16 vs fp16 AMP training of HT, Mona, LoRA (40 steps,
#    batch 8, BUSI): finite losses, AMP curves within 5 % of fp32, HT's FFT in float32,
#    every run learning; images/s and peak memory at batch 32 (and bf16 + with_cp).
# 2. With two or more GPUs: tools/dist_train.sh on 2 GPUs (NCCL, bf16 AMP, 20 iterations,
#    FrozenAwareDDP must find nothing unused).
# Needs the project installed (make install) and BUSI: DATA_ROOT (converted) or BUSI_SRC (the
# original release; converted here). Results: $OUT/gpu_check.md, gpu_check.json, nccl.log.
# Exit status 0 only when every check passed.
set -uo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python}
OUT=${OUT:-work_dirs/gpu_check}
mkdir -p "$OUT"
nvidia-smi -L | tee "$OUT/gpus.txt" \
    || { echo "gpu_check.sh: nvidia-smi failed: no GPU?" >&2; exit 2; }
NGPU=$(grep -c '^GPU' "$OUT/gpus.txt")
if [ -z "${DATA_ROOT:-}" ]; then
    SRC=${BUSI_SRC:-${MMSEG_HT_SHARED_DATA:-../shared/data}/Dataset_BUSI_with_GT}
    [ -d "$SRC" ] || SRC=shared/data/Dataset_BUSI_with_GT
    [ -d "$SRC/benign" ] || { echo "gpu_check.sh: BUSI not found at $SRC: set BUSI_SRC" \
        "or DATA_ROOT" >&2; exit 2; }
    DATA_ROOT="$OUT/busi"
    [ -d "$DATA_ROOT/img_dir/train" ] || "$PYTHON" tools/dataset_converters/busi.py "$SRC" \
        "$DATA_ROOT" --seed 0 > "$OUT/convert.log" 2>&1 || { tail "$OUT/convert.log"; exit 2; }
fi
export DATA_ROOT
status=0
timeout 390 "$PYTHON" benchmarks/gpu_check.py --data-root "$DATA_ROOT" --out "$OUT" || status=1
if [ "$NGPU" -ge 2 ]; then
    PORT=${PORT:-29611} timeout 150 bash tools/dist_train.sh configs/ht/clip-ht_busi.py 2 \
        --work-dir "$OUT/nccl" --amp --amp-dtype bfloat16 --cfg-options train_cfg.max_iters=20 \
        train_cfg.val_interval=20 default_hooks.checkpoint.interval=20 \
        default_hooks.logger.interval=5 train_dataloader.batch_size=16 > "$OUT/nccl.log" 2>&1
    rc=$?
    if [ $rc -eq 0 ] && [ -f "$OUT/nccl/iter_20.pth" ] \
            && grep -q 'find_unused_parameters=False' "$OUT/nccl.log"; then
        echo "[PASS] two-GPU NCCL bf16 training: 20 iterations, FrozenAwareDDP flag False" \
            | tee -a "$OUT/gpu_check.md"
    else
        echo "[FAIL] two-GPU NCCL bf16 training (exit $rc): see $OUT/nccl.log" \
            | tee -a "$OUT/gpu_check.md"
        tail -30 "$OUT/nccl.log"
        status=1
    fi
else
    echo "one GPU: the two-GPU NCCL run is skipped" | tee -a "$OUT/gpu_check.md"
fi
exit $status
