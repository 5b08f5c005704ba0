#!/usr/bin/env bash
# Distributed testing with torchrun (mmseg's interface):
#   [NNODES=N NODE_RANK=R MASTER_ADDR=HOST] [PORT=29500] \
#       tools/dist_test.sh CONFIG CHECKPOINT GPUS [test.py args]
# Without CUDA the tools start a gloo group themselves (CPU DDP); no flag is needed.
set -euo pipefail
if [ $# -lt 3 ]; then
    echo "usage: [NNODES=N NODE_RANK=R MASTER_ADDR=HOST PORT=P] $0 CONFIG CHECKPOINT GPUS" \
        "[test.py args]" >&2
    exit 2
fi
exec "$(dirname "$0")/misc/torchrun.sh" "$3" test.py "$1" "$2" "${@:4}"
