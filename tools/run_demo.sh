#!/usr/bin/env bash
# `make demo`: generate the built-in ultrasound phantom, train HT briefly on it,
# test the model, print the metric table and where the TP/FP/FN overlays are.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
DATA=${DEMO_DATA:-demo_data/phantom}
WORK=${DEMO_WORK_DIR:-work_dirs/demo}
CONFIG=configs/demo/clip-ht_phantom.py

if [ ! -f "$DATA/phantom_info.json" ]; then
    "$PY" tools/make_phantom_dataset.py "$DATA" --seed 0 --num-train 96
fi
echo "== training HT (random-init small CLIP tower, CPU; settings in $CONFIG) on $DATA =="
DATA_ROOT="$DATA" "$PY" tools/train.py "$CONFIG" --work-dir "$WORK" "$@"
CKPT=$(ls -t "$WORK"/best_Dice_iter_*.pth | head -n 1)
echo "== testing $CKPT =="
DATA_ROOT="$DATA" "$PY" tools/test.py "$CONFIG" "$CKPT" --work-dir "$WORK/test" \
    --show-dir "$WORK/overlays" --out "$WORK/test"
"$PY" tools/analysis/visualize.py curves "$WORK" --keys loss Dice --out "$WORK/curves.png" \
    > /dev/null
"$PY" tools/misc/demo_summary.py "$WORK" "$DATA" "$CONFIG"
