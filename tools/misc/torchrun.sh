#!/usr/bin/env bash
# Shared launcher of tools/dist_train.sh and tools/dist_test.sh:
#   tools/misc/torchrun.sh NPROC TOOL [tool args]   (TOOL: train.py or test.py)
# Environment: NNODES, NODE_RANK, PORT, MASTER_ADDR, PYTHON.
set -euo pipefail
NPROC=$1
TOOL=$2
TOOLS_DIR="$(cd "$(dirname "$0")/.." && pwd)"
PYTHONPATH="$TOOLS_DIR/..:${PYTHONPATH:-}" "${PYTHON:-python}" -m torch.distributed.run \
    --nnodes="${NNODES:-1}" --node_rank="${NODE_RANK:-0}" \
    --master_addr="${MASTER_ADDR:-127.0.0.1}" --master_port="${PORT:-29500}" \
    --nproc_per_node="$NPROC" "$TOOLS_DIR/$TOOL" "${@:3}" --launcher pytorch
