"""Trainable and total parameters per module of the model a config builds.

    python tools/analysis/param_count.py CONFIG [--depth 2] [--json OUT.json]
        [--cfg-options key=value ...]

The model is built as tools/train.py builds it (adapters attached, frozen
parts frozen); no weights are needed (a missing weights file only prints the
random-initialisation warning). The total row's "trainable" is the paper's
"Params" column.
"""
import argparse
import json
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import mmseg_ht  # noqa: E402,F401  (stand-in mmcv.ops + registrations, before mmseg)
from mmengine.config import DictAction  # noqa: E402
from mmengine.registry import MODELS, init_default_scope  # noqa: E402

from mmseg_ht.analysis.parameters import format_parameter_table, parameter_rows  # noqa: E402
from mmseg_ht.engine import load_config  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Count trainable/total parameters per module')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--depth', type=int, default=2, help='module levels to list (default 2)')
    parser.add_argument('--json', help='also write the rows to this JSON file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings in the config')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    cfg = load_config(args.config, args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    model = MODELS.build(cfg.model)
    rows = parameter_rows(model, args.depth)
    print(f'{args.config}: {type(model).__name__}')
    print(format_parameter_table(rows))
    total = rows[-1]
    print(f'Params (trainable): {total["trainable"] / 1e6:.2f} M of {total["total"] / 1e6:.2f} M')
    if args.json:
        with open(args.json, 'w') as handle:
            json.dump(dict(config=args.config, rows=rows), handle, indent=2)


if __name__ == '__main__':
    main()
