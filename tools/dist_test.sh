#!/usr/bin/env bash
# Distributed testing with torchrun: tools/dist_test.sh CONFIG CHECKPOINT NPROC [test.py args]
# CPU-only machines: add --cfg-options env_cfg.dist_cfg.backend=gloo
set -euo pipefail
exec "$(dirname "$0")/misc/torchrun.sh" "$3" test.py "$1" "$2" "${@:4}"
