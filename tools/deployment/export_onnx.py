"""Export a trained segmentor (tower + adapters + head) to ONNX and check it in onnxruntime.

    python tools/deployment/export_onnx.py CONFIG CHECKPOINT --out model.onnx [--shape 224 224]
        [--opset 17] [--tolerance 1e-3] [--cfg-options ...] [--trust-checkpoint]

The graph takes the preprocessed image batch (N, 3, H, W) float32, RGB 0..255, as the
config's test pipeline and data preprocessor give it, and returns the class logits
(N, C, H, W); ``tools/infer.py CONFIG INPUT --onnx model.onnx`` runs it. HT's spectral
filters are exported as DFT-matrix products (ONNX export of rfft2 is not supported).
After the export, onnxruntime and PyTorch run the same random batch and the largest
absolute logit difference is printed; above --tolerance the exit code is 1.
"""
import argparse
import os.path as osp
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: runs without install

import mmseg_ht  # noqa: E402,F401 isort:skip  (mmcv.ops stand-in + registrations, before mmseg)
from mmengine.config import DictAction  # noqa: E402

from mmseg_ht.engine import load_config  # noqa: E402
from mmseg_ht.inference.onnx_export import compare_with_pytorch  # noqa: E402
from mmseg_ht.inference.onnx_export import DEFAULT_OPSET, export_onnx, random_inputs
from mmseg_ht.inference.predictor import build_model  # noqa: E402
from mmseg_ht.utils import cli_main  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--out', required=True, help='the .onnx file to write')
    parser.add_argument(
        '--shape',
        type=int,
        nargs=2,
        metavar=('H', 'W'),
        help="input size (default: the data preprocessor's size, 224 224)")
    parser.add_argument('--opset', type=int, default=DEFAULT_OPSET)
    parser.add_argument(
        '--tolerance',
        type=float,
        default=1e-3,
        help='largest accepted |onnxruntime - PyTorch| logit difference')
    parser.add_argument(
        '--trust-checkpoint',
        action='store_true',
        help='allow a full unpickle of CHECKPOINT (only files you trust)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help='override settings in the config')
    return parser.parse_args(argv)


@cli_main
def main(argv=None) -> int:
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    if cfg.get('default_scope', 'mmseg') != 'mmseg':
        raise ValueError(f'{args.config}: only segmentation (mmseg) configs are exported')
    shape = tuple(args.shape or cfg.model.data_preprocessor.get('size') or (224, 224))
    model = build_model(cfg, args.checkpoint, trusted=args.trust_checkpoint)
    replaced = export_onnx(
        model,
        args.out,
        shape,
        args.opset,
        metadata=dict(
            config=args.config,
            checkpoint=osp.basename(args.checkpoint),
            align_corners=str(cfg.model.decode_head.get('align_corners', False))))
    difference = compare_with_pytorch(args.out, model, random_inputs(2, shape))
    print(f'wrote {args.out} (opset {args.opset}, input Nx3x{shape[0]}x{shape[1]}, '
          f'{replaced} spectral filter(s) as DFT matrices); onnxruntime vs PyTorch: max abs '
          f'logit difference {difference:.2e} (tolerance {args.tolerance:.0e})')
    return 0 if difference <= args.tolerance else 1


if __name__ == '__main__':
    sys.exit(main())
