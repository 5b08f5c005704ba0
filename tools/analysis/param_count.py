"""Trainable and total parameters per module of the model a config builds (and its FLOPs).

    python tools/analysis/param_count.py CONFIG [--depth 2] [--json OUT.json]
        [--flops [--shape H W]] [--cfg-options key=value ...]

The model is built as tools/train.py builds it (adapters attached, frozen
parts frozen); no weights are needed (a missing weights file only prints the
random-initialisation warning). The total row's "trainable" is the paper's
"Params" column. ``--flops`` (segmentation configs) counts multiply-adds of one
forward pass as mmseg's get_flops.py does, plus the attention and FFT operators
its counter skips (``mmseg_ht.analysis.flops``).
"""
import argparse
import json
import sys
from pathlib import Path
from typing import List

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: runs without install

import mmseg_ht  # noqa: E402,F401 isort:skip  (mmcv.ops stand-in + registrations, before mmseg)
from mmengine.config import DictAction  # noqa: E402
from mmengine.registry import MODELS, init_default_scope  # noqa: E402

from mmseg_ht.analysis.flops import segmentor_flops  # noqa: E402
from mmseg_ht.analysis.parameters import format_parameter_table, parameter_rows  # noqa: E402
from mmseg_ht.engine import load_config  # noqa: E402
from mmseg_ht.utils import cli_main  # noqa: E402


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description='Count trainable/total parameters per module')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--depth', type=int, default=2, help='module levels to list (default 2)')
    parser.add_argument('--json', help='also write the rows to this JSON file')
    parser.add_argument(
        '--flops', action='store_true', help='also count FLOPs (multiply-adds) of one forward pass')
    parser.add_argument(
        '--shape',
        type=int,
        nargs='+',
        default=[224],
        help='input size for --flops: H W, or one number (default 224)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help='override settings in the config')
    return parser


@cli_main
def main() -> int:
    parser = build_parser()
    args = parser.parse_args()
    if len(args.shape) not in (1, 2):
        parser.error(f'--shape takes H W or one size, got {args.shape}')
    cfg = load_config(args.config, args.cfg_options)
    if args.flops and cfg.get('default_scope', 'mmseg') != 'mmseg':
        parser.error(f'--flops counts segmentors; {args.config} is a {cfg.default_scope} config')
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    model = MODELS.build(cfg.model)
    rows = parameter_rows(model, args.depth)
    print(f'{args.config}: {type(model).__name__}')
    print(format_parameter_table(rows))
    total = rows[-1]
    print(f'Params (trainable): {total["trainable"] / 1e6:.2f} M of {total["total"] / 1e6:.2f} M')
    record = dict(config=args.config, rows=rows)
    if args.flops:
        record['flops'] = report_flops(model, args.shape)
    if args.json:
        with open(args.json, 'w') as handle:
            json.dump(record, handle, indent=2)
    return 0


def report_flops(model, shape: List[int]) -> dict:
    """Print the FLOPs of ``model`` on one (H, W) image and return them with the input size."""
    size = (shape[0], shape[-1])
    flops = segmentor_flops(model, size)
    print(f'FLOPs at {size[0]}x{size[1]} (multiply-adds, one image): {flops.total / 1e9:.3f} G')
    print(f'  counted by mmengine\'s default handles (= mmseg\'s get_flops.py): '
          f'{flops.mmengine / 1e9:.3f} G')
    print(f'  + attention products / fused attention they skip: {flops.attention / 1e9:.3f} G')
    print(f'  + FFT (HT frequency filter, estimate): {flops.fft / 1e9:.4f} G')
    return dict(shape=list(size), **flops.as_dict())


if __name__ == '__main__':
    sys.exit(main())
