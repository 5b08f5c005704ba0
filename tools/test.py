"""Test a trained model and print its metrics (Dice/IoU/HD95/ASD for segmentation).

    python tools/test.py CONFIG CHECKPOINT [--show-dir DIR] [--out DIR] [--pred-dir DIR]
        [--work-dir DIR] [--cfg-options key=value ...]

The metrics, with what was tested (method, backbone, data set, few-shot ratio,
seed, data folders), go to ``<work dir>/test_results.json``, the input of
``tools/analysis/collect_results.py`` and ``tools/analysis/visualize.py``.

The toolbox (mmseg or mmpretrain) is taken from the config's ``default_scope``.
Checkpoints written by mmseg_ht runs load with torch's safe (weights-only)
loader; ``--trust-checkpoint`` allows a full unpickle for checkpoints from
other tools that you trust.
"""
import argparse
import os
import os.path as osp
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout: runs without install

import mmseg_ht  # noqa: E402,F401 isort:skip  (mmcv.ops stand-in + registrations, before mmseg)
from mmengine.config import DictAction  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from mmseg_ht.engine import close_cpu_process_group, load_config, setup_launcher  # noqa: E402
from mmseg_ht.engine.checkpoint_fit import check_checkpoint_fits  # noqa: E402
from mmseg_ht.engine.experiment_record import experiment_labels, write_test_results  # noqa: E402
from mmseg_ht.engine.trust import check_checkpoint_file, trust_checkpoint  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test (and evaluate) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='where logs and test_results.json go')
    parser.add_argument('--out', help='segmentation: write per-image metrics (per_image.csv) here')
    parser.add_argument('--show-dir', help='write TP/FP/FN overlays of every test image here')
    parser.add_argument(
        '--pred-dir',
        help='segmentation: write every predicted mask (0/1 PNG) here '
        '(needed by tools/analysis/visualize.py grid)')
    parser.add_argument(
        '--trust-checkpoint',
        action='store_true',
        help='allow a full unpickle of CHECKPOINT (only for files you trust)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help='override settings in the config')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def add_segmentation_outputs(cfg, args: argparse.Namespace) -> None:
    """Overlays (--show-dir), per-image CSV (--out) and masks (--pred-dir) for mmseg configs."""
    if args.pred_dir:
        cfg.custom_hooks = list(cfg.get('custom_hooks', [])) + [
            dict(type='PredictionMaskHook', out_dir=osp.abspath(args.pred_dir))
        ]
    if args.show_dir:
        cfg.custom_hooks = list(cfg.get('custom_hooks', [])) + [
            dict(type='ErrorOverlayHook', out_dir=osp.abspath(args.show_dir))
        ]
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        cfg.test_evaluator['per_image_csv'] = osp.join(osp.abspath(args.out), 'per_image.csv')


def main() -> int:
    args = parse_args()
    cfg = load_config(args.config, args.cfg_options, args.work_dir)
    # DDP wrapper for --launcher pytorch/slurm; gloo group on CPU-only machines
    started_group = setup_launcher(cfg, args.launcher, training=False)
    check_checkpoint_file(args.checkpoint)
    if args.trust_checkpoint:
        trust_checkpoint(args.checkpoint)
    cfg.load_from = args.checkpoint
    if cfg.get('default_scope', 'mmseg') == 'mmseg':
        add_segmentation_outputs(cfg, args)
    elif args.show_dir or args.out or args.pred_dir:
        raise ValueError('--show-dir/--out/--pred-dir are for segmentation configs')
    runner = Runner.from_cfg(cfg)
    check_checkpoint_fits(runner.model, args.checkpoint, trusted=args.trust_checkpoint)
    metrics = runner.test()
    path = write_test_results(runner.work_dir, args.config, args.checkpoint,
                              experiment_labels(cfg, args.config), cfg, metrics, args.pred_dir)
    print(f'metrics written to {path}')
    close_cpu_process_group(started_group)
    return 0


if __name__ == '__main__':
    sys.exit(main())
