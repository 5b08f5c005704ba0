#!/usr/bin/env bash
# Shared launcher of tools/slurm_train.sh and tools/slurm_test.sh:
#   tools/misc/srun.sh PARTITION JOB_NAME TOOL [tool args]   (TOOL: train.py or test.py)
# Environment: GPUS (tasks in all, default 8), GPUS_PER_NODE (8), CPUS_PER_TASK (5),
# SRUN_ARGS (more srun options), PYTHON. One task per GPU; mmengine's --launcher slurm reads
# SLURM_PROCID/SLURM_NTASKS/SLURM_LOCALID and takes the master address from
# `scontrol show hostname` (port: MASTER_PORT, default 29500).
set -euo pipefail
PARTITION=$1
JOB_NAME=$2
TOOL=$3
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
TOOLS_DIR="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck disable=SC2086  # SRUN_ARGS holds several srun options
PYTHONPATH="$TOOLS_DIR/..:${PYTHONPATH:-}" srun --partition="$PARTITION" --job-name="$JOB_NAME" \
    --gres=gpu:"$GPUS_PER_NODE" --ntasks="$GPUS" --ntasks-per-node="$GPUS_PER_NODE" \
    --cpus-per-task="$CPUS_PER_TASK" --kill-on-bad-exit=1 ${SRUN_ARGS:-} \
    "${PYTHON:-python}" -u "$TOOLS_DIR/$TOOL" "${@:4}" --launcher=slurm
