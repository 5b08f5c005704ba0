"""Validation Dice against training iterations per method on real BUSI (CPU, run by hand).

Trains each method with the repo's own ``tools/train.py`` on the converted BUSI set (the
configs of ``configs/ht/clip-<method>_busi.py`` and ``configs/baselines/unet_busi.py``),
validating every ``--val-every`` iterations, and prints one Markdown table: iterations down,
methods across, with the floors a model must beat beside them — "no lesion" (all background),
"lesion everywhere" (all foreground) and a dark Otsu threshold — scored on the same
validation split by ``mmseg_ht.evaluation.reference_scores``.

No weights exist on this machine, so ``--tower tiny`` (default) runs the CLIP methods on the
randomly initialised ``mmseg_ht-tiny-vit16`` tower (10 blocks, width 64) and ``--tower vit-b16``
on a randomly initialised ViT-B/16; pass ``--cfg-options model.backbone.pretrained=FILE`` for
real CLIP weights. The UNet is the paper-size baseline (1.81 M parameters).

    python benchmarks/learning.py [--data-root data/busi] [--iters 300] [--val-every 50]
        [--methods unet frozen lora mona ht] [--tower tiny|vit-b16] [--seed 0]
        [--work-dir work_dirs/learning] [--csv learning.csv] [--png learning.png]

Without ``--data-root`` the BUSI release in ``$MMSEG_HT_SHARED_DATA`` (default
``../shared/data``) is converted first with ``tools/dataset_converters/busi.py``.
"""
import argparse
import csv
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout: runs without install

from mmseg_ht.evaluation.reference_scores import GUESS_LABELS, reference_scores  # noqa: E402
from mmseg_ht.visualization.training_curves import load_run_log, plot_curves  # noqa: E402

METHODS = ('unet', 'frozen', 'lora', 'mona', 'ht')
TINY_TOWER = [
    'model.backbone.arch=mmseg_ht-tiny-vit16', 'model.decode_head.in_channels=[64,64,64]',
    'model.decode_head.channels=32', 'backbone_name=tiny-random-ViT'
]


def config_of(method: str) -> Path:
    """The BUSI config a method trains with."""
    if method == 'unet':
        return REPO / 'configs' / 'baselines' / 'unet_busi.py'
    return REPO / 'configs' / 'ht' / f'clip-{method}_busi.py'


def ensure_busi(data_root: Optional[str], work_dir: Path) -> Path:
    """The converted BUSI root: ``data_root``, or the shared release converted into ``work_dir``."""
    if data_root:
        return Path(data_root)
    out = work_dir / 'busi'
    if not (out / 'img_dir' / 'val').is_dir():
        shared = Path(os.environ.get('MMSEG_HT_SHARED_DATA', REPO.parent / 'shared' / 'data'))
        release = shared / 'Dataset_BUSI_with_GT'
        if not (release / 'benign').is_dir():
            sys.exit(f'BUSI not found at {release}: pass --data-root (a converted set) or set '
                     'MMSEG_HT_SHARED_DATA')
        subprocess.run([
            sys.executable, 'tools/dataset_converters/busi.py',
            str(release),
            str(out), '--seed', '0'
        ],
                       cwd=REPO,
                       check=True)
    return out


def train(method: str, args: argparse.Namespace, data_root: Path) -> Path:
    """Run tools/train.py for ``method``; return its work dir (skipped when already complete)."""
    work = Path(args.work_dir) / f'{method}_s{args.seed}'
    if (work / f'iter_{args.iters}.pth').is_file():
        return work
    options = [
        f'train_cfg.max_iters={args.iters}', f'train_cfg.val_interval={args.val_every}',
        f'default_hooks.checkpoint.interval={args.iters}', 'default_hooks.logger.interval=10',
        f'train_dataloader.batch_size={args.batch_size}', f'randomness.seed={args.seed}',
        'default_hooks.visualization.draw=False', *args.cfg_options
    ]
    if method != 'unet':
        options.append(f'optim_wrapper.optimizer.lr={args.lr}')
        if args.tower == 'tiny':
            options += TINY_TOWER
    env = dict(os.environ, DATA_ROOT=str(data_root))
    subprocess.run([
        sys.executable, 'tools/train.py',
        str(config_of(method)), '--work-dir',
        str(work), '--cfg-options', *options
    ],
                   cwd=REPO,
                   env=env,
                   check=True)
    return work


def dice_by_iteration(work: Path) -> Dict[int, float]:
    """Validation Dice (%) per iteration logged in ``work``."""
    curve = load_run_log(str(work)).curve('Dice')
    return {} if curve is None else {int(s): float(v) for s, v in zip(curve.steps, curve.values)}


def print_table(curves: Dict[str, Dict[int, float]], floors: Dict[str, float]) -> List[List[str]]:
    """Markdown table (and its rows): iteration, one column per method, then the floors."""
    steps = sorted({step for curve in curves.values() for step in curve})
    header = ['iteration', *curves, *floors]
    rows = [[
        str(step), *(f'{curves[m].get(step, float("nan")):.2f}'
                     for m in curves), *(f'{value:.2f}' for value in floors.values())
    ] for step in steps]
    print('| ' + ' | '.join(header) + ' |')
    print('|' + '---:|' * len(header))
    for row in rows:
        print('| ' + ' | '.join(row) + ' |')
    return [header, *rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data-root', help='converted BUSI (img_dir/ann_dir); default: convert')
    parser.add_argument('--iters', type=int, default=300)
    parser.add_argument('--val-every', type=int, default=50)
    parser.add_argument('--methods', nargs='+', default=list(METHODS), choices=METHODS)
    parser.add_argument('--tower', choices=['tiny', 'vit-b16'], default='tiny')
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--lr', type=float, default=1e-3, help='CLIP methods (UNet: its own 1e-3)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--work-dir', default='work_dirs/learning')
    parser.add_argument('--csv', help='also write the table as CSV')
    parser.add_argument('--png', help='also plot validation Dice against iterations')
    parser.add_argument('--cfg-options', nargs='*', default=[], help='added to every run')
    args = parser.parse_args()

    data_root = ensure_busi(args.data_root, Path(args.work_dir))
    works = {method: train(method, args, data_root) for method in args.methods}
    curves = {method: dice_by_iteration(work) for method, work in works.items()}
    floors = {
        GUESS_LABELS[name].split(' (')[0]: scores['Dice']
        for name, scores in reference_scores(data_root, 'val').items()
    }
    print(f'\nValidation Dice (%) on {data_root} ({args.tower} tower for the CLIP methods, '
          f'batch {args.batch_size}, seed {args.seed}; load average '
          f'{os.getloadavg()[0]:.1f}):\n')
    rows = print_table(curves, floors)
    if args.csv:
        with open(args.csv, 'w', newline='') as handle:
            csv.writer(handle).writerows(rows)
    if args.png:
        runs = [load_run_log(str(work)) for work in works.values()]
        plot_curves([{'Dice': run.curve('Dice')} for run in runs], list(works), ['Dice'], args.png)
        print(f'curves: {args.png}')


if __name__ == '__main__':
    main()
