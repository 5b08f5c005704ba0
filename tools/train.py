"""Train a model from a config (segmentation with mmseg, classification with mmpretrain).

    python tools/train.py configs/ht/clip-ht_tn3k.py [--work-dir DIR] [--amp]
        [--resume [CHECKPOINT]] [--cfg-options key=value ...]

The toolbox is taken from the config's ``default_scope``. Flags follow
mmseg's own tools/train.py.
"""
import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout: runs without install

import mmseg_ht  # noqa: E402,F401 isort:skip  (mmcv.ops stand-in + registrations, before mmseg)
from mmengine.config import DictAction  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from mmseg_ht.engine import enable_amp  # noqa: E402
from mmseg_ht.engine import (close_cpu_process_group, end_schedulers_with_training, load_config,
                             setup_launcher)
from mmseg_ht.engine.trust import trust_run_checkpoint  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a segmentor or classifier')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from CHECKPOINT, or from the latest checkpoint in the work dir when '
        'no path is given. mmseg_ht checkpoints are read with the weights-only loader; '
        'others are refused (docs/en/checkpoints.md).')
    parser.add_argument(
        '--trust-checkpoint',
        action='store_true',
        help='allow a full unpickle of the --resume / load_from checkpoint '
        '(only for files you trust; docs/en/checkpoints.md)')
    parser.add_argument('--amp', action='store_true', help='mixed precision (AmpOptimWrapper)')
    parser.add_argument('--amp-dtype', default='float16', choices=['float16', 'bfloat16'])
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings in the config, e.g. train_cfg.max_iters=10 '
        'model.backbone.pretrained=/path/ViT-B-16.pt')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main() -> int:
    args = parse_args()
    cfg = load_config(args.config, args.cfg_options, args.work_dir)
    # DDP wrapper (find_unused_parameters decided from the model); gloo group on CPU-only machines
    started_group = setup_launcher(cfg, args.launcher)
    end_schedulers_with_training(cfg)
    if args.amp:
        enable_amp(cfg, args.amp_dtype)
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume:
        cfg.resume, cfg.load_from = True, args.resume
    if args.trust_checkpoint:
        trust_run_checkpoint(cfg)
    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else None
    if runner is None:
        from mmengine.registry import RUNNERS
        runner = RUNNERS.build(cfg)
    runner.train()
    close_cpu_process_group(started_group)
    return 0


if __name__ == '__main__':
    sys.exit(main())
