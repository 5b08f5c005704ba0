#!/usr/bin/env bash
# Distributed training with torchrun (mmseg's interface):
#   [NNODES=N NODE_RANK=R MASTER_ADDR=HOST] [PORT=29500] \
#       tools/dist_train.sh CONFIG GPUS [train.py args]
# GPUS is the number of processes on this node. Multi-node: run the same command on every
# node with NNODES, its NODE_RANK (0..NNODES-1) and node 0's address as MASTER_ADDR.
# Without CUDA the tools start a gloo group themselves (CPU DDP); no flag is needed.
set -euo pipefail
if [ $# -lt 2 ]; then
    echo "usage: [NNODES=N NODE_RANK=R MASTER_ADDR=HOST PORT=P] $0 CONFIG GPUS [train.py args]" >&2
    exit 2
fi
exec "$(dirname "$0")/misc/torchrun.sh" "$2" train.py "$1" "${@:3}"
