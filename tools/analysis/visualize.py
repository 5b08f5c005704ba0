"""Figures for the paper: qualitative grid of predictions, and training curves.

    python tools/analysis/visualize.py grid WORK_DIR [WORK_DIR ...] --out fig.png
        [--labels L1 L2 ...] [--images STEM ...] [--num-images 4] [--cell-size 160] [--no-dice]
    python tools/analysis/visualize.py curves WORK_DIR [WORK_DIR ...] --out curves.png
        [--keys loss Dice] [--labels L1 L2 ...]

grid: rows are test images; columns are the image, its ground truth, then each
WORK_DIR's prediction as a TP / FP / FN overlay with its Dice. Every WORK_DIR
needs the test_results.json of ``tools/test.py ... --work-dir WORK_DIR --pred-dir
DIR`` (the predicted masks); all must be tested on the same test set. Column
headers default to "METHOD (BACKBONE)" from the record.

curves: one subplot per key (x = iteration), one line per WORK_DIR, read from
the ``<timestamp>/vis_data/scalars.json`` logs of tools/train.py (resumed runs
joined in time order). Default keys: loss and Dice (accuracy/top1 for
classification). Line labels default to the WORK_DIR folder names.
"""
import argparse
import os
import os.path as osp
import sys
from pathlib import Path
from typing import List, Optional, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: runs without install

import mmseg_ht  # noqa: E402,F401 isort:skip  (mmcv.ops stand-in + registrations, before mmseg)
import cv2  # noqa: E402

from mmseg_ht.utils import cli_main  # noqa: E402
from mmseg_ht.visualization.figure_grid import check_same_dataset  # noqa: E402
from mmseg_ht.visualization.figure_grid import (GridInputError, compose_grid, load_grid_rows,
                                                load_run, select_stems)
from mmseg_ht.visualization.training_curves import (collect_curves, default_keys, load_run_log,
                                                    plot_curves)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Qualitative prediction grid and training '
                                     'curves for the paper')
    commands = parser.add_subparsers(dest='command', required=True)

    grid = commands.add_parser(
        'grid', help='images x (image, ground truth, one column per run) '
        'with TP/FP/FN overlays')
    grid.add_argument(
        'work_dirs',
        nargs='+',
        metavar='WORK_DIR',
        help='work dir holding test_results.json of tools/test.py --pred-dir')
    grid.add_argument('--out', required=True, help='output image (e.g. fig.png)')
    grid.add_argument(
        '--labels', nargs='+', help='column header per WORK_DIR '
        '(default: "METHOD (BACKBONE)")')
    which = grid.add_mutually_exclusive_group()
    which.add_argument(
        '--images',
        nargs='+',
        metavar='STEM',
        help='image file names without extension, one row each')
    which.add_argument(
        '--num-images',
        type=int,
        default=4,
        help='rows picked evenly from the sorted images every run predicted '
        '(default 4)')
    grid.add_argument(
        '--cell-size',
        type=int,
        default=160,
        help='side of each square cell in '
        'pixels (default 160)')
    grid.add_argument('--no-dice', action='store_true', help="leave out each cell's Dice")

    curves = commands.add_parser('curves', help='training curves from the scalars.json logs')
    curves.add_argument(
        'work_dirs', nargs='+', metavar='WORK_DIR', help='work dir of a tools/train.py run')
    curves.add_argument('--out', required=True, help='output figure (png, pdf or svg)')
    curves.add_argument(
        '--keys',
        nargs='+',
        help='logged keys to plot, one subplot each '
        '(default: loss and Dice/accuracy/top1)')
    curves.add_argument(
        '--labels', nargs='+', help='legend label per WORK_DIR '
        '(default: folder name)')
    args = parser.parse_args(argv)
    if args.labels is not None and len(args.labels) != len(args.work_dirs):
        parser.error(f'--labels got {len(args.labels)} labels for {len(args.work_dirs)} '
                     'work dirs; give one per WORK_DIR')
    if args.command == 'grid':
        if args.num_images < 1:
            parser.error('--num-images must be at least 1')
        if args.cell_size < 32:
            parser.error('--cell-size must be at least 32 pixels')
    return args


def _prepare_out(path: str) -> None:
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)


def run_grid(args: argparse.Namespace) -> None:
    """Write the qualitative figure and print which images it shows."""
    labels: List[Optional[str]] = list(args.labels) if args.labels else [None] * len(args.work_dirs)
    runs = [load_run(work_dir, label) for work_dir, label in zip(args.work_dirs, labels)]
    check_same_dataset(runs)
    stems = select_stems(runs, args.images, args.num_images)
    images, gts, predictions = load_grid_rows(runs, stems)
    figure = compose_grid(
        images,
        gts,
        predictions, [run.label for run in runs],
        args.cell_size,
        show_dice=not args.no_dice)
    _prepare_out(args.out)
    try:
        written = cv2.imwrite(args.out, figure)
    except cv2.error:
        written = False
    if not written:
        raise GridInputError(f'could not write {args.out}; use a .png/.jpg name in a '
                             'writable folder.')
    print(f'images: {" ".join(stems)}')
    print(f'grid of {len(stems)} images x {len(runs)} runs written to {args.out} '
          f'({figure.shape[1]}x{figure.shape[0]} px)')


def run_curves(args: argparse.Namespace) -> None:
    """Write the training-curve figure."""
    runs = [load_run_log(work_dir) for work_dir in args.work_dirs]
    keys = list(args.keys) if args.keys else default_keys(runs)
    curves = collect_curves(runs, keys)
    labels = list(args.labels) if args.labels else [
        osp.basename(osp.normpath(work_dir)) for work_dir in args.work_dirs
    ]
    for label, run_curves in zip(labels, curves):
        missing = [key for key in keys if key not in run_curves]
        if missing:
            print(f'note: {label} logged no {", ".join(missing)}', file=sys.stderr)
    _prepare_out(args.out)
    plot_curves(curves, labels, keys, args.out)
    print(f'curves of {", ".join(keys)} for {len(runs)} runs written to {args.out}')


@cli_main
def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run a sub-command; input problems (GridInputError, CurveInputError) print
    ``visualize.py: error: ...`` and return 2 (``cli_main``)."""
    args = parse_args(argv)
    run_grid(args) if args.command == 'grid' else run_curves(args)
    return 0


if __name__ == '__main__':
    sys.exit(main())
