#!/usr/bin/env bash
# Testing on a SLURM cluster through srun and mmengine's --launcher slurm (mmseg's interface):
#   [GPUS=8 GPUS_PER_NODE=8 CPUS_PER_TASK=5 SRUN_ARGS=...] \
#       tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [test.py args]
# GPUS is the number of tasks (one per GPU) over all nodes; see tools/misc/srun.sh.
set -euo pipefail
if [ $# -lt 4 ]; then
    echo "usage: [GPUS=8 GPUS_PER_NODE=8 CPUS_PER_TASK=5 SRUN_ARGS=...] $0 PARTITION JOB_NAME" \
        "CONFIG CHECKPOINT [test.py args]" >&2
    exit 2
fi
exec "$(dirname "$0")/misc/srun.sh" "$1" "$2" test.py "$3" "$4" "${@:5}"
