#!/usr/bin/env bash
# Distributed training with torchrun: tools/dist_train.sh CONFIG NPROC [train.py args]
# CPU-only machines: add --cfg-options env_cfg.dist_cfg.backend=gloo
set -euo pipefail
exec "$(dirname "$0")/misc/torchrun.sh" "$2" train.py "$1" "${@:3}"
