"""Segment your own images (no ground truth) and measure the lesions in millimetres.

    python tools/infer.py CONFIG CHECKPOINT INPUT --out-dir OUT [--spacing MM] [--spacing-csv FILE]
        [--cls-config C --cls-checkpoint K] [--mask-values 0,255] [--trust-checkpoint]
        [--cfg-options ...] [--cls-cfg-options ...]
    python tools/infer.py CONFIG INPUT --onnx model.onnx --out-dir OUT ...

INPUT: an image (PNG/JPEG/BMP/TIFF, 8/16-bit, gray/RGB), a DICOM or NIfTI file, a folder
of them or a glob pattern ("scans/*.dcm"). Writes OUT/masks/<name>.png (0/1),
OUT/overlays/<name>.png, OUT/lesions.csv (one row per connected lesion), OUT/images.csv
(one row per image, failures with their reason) and OUT/report.html (self-contained).
Pixel spacing: the file's own (DICOM ultrasound region / PixelSpacing, NIfTI header), else
--spacing-csv, else --spacing; mm columns stay empty when none is known. The exit code
is 1 when any file failed, 0 otherwise.
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout: runs without install

import mmseg_ht  # noqa: E402,F401 isort:skip  (mmcv.ops stand-in + registrations, before mmseg)
from mmengine.config import DictAction  # noqa: E402

from mmseg_ht.inference.folder_inference import run_folder_inference  # noqa: E402
from mmseg_ht.inference.inputs import collect_inputs  # noqa: E402
from mmseg_ht.inference.predictor import ClassificationPredictor  # noqa: E402
from mmseg_ht.inference.predictor import SegmentationPredictor
from mmseg_ht.inference.spacing import parse_spacing, read_spacing_csv  # noqa: E402
from mmseg_ht.utils import cli_main  # noqa: E402


def spacing_argument(text: str):
    try:
        return parse_spacing(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from err


def parse_mask_values(text: str):
    values = tuple(int(v) for v in text.split(','))
    if len(values) != 2 or not all(0 <= v <= 255 for v in values) or values[0] == values[1]:
        raise argparse.ArgumentTypeError(f'--mask-values {text!r}: two different 0..255 '
                                         'values "BACKGROUND,LESION", e.g. 0,255')
    return values


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='\n'.join(__doc__.splitlines()[1:]))
    parser.add_argument('config', help='segmentation config (configs/ht/...)')
    parser.add_argument(
        'paths', nargs='+', metavar='PATH', help='CHECKPOINT INPUT, or only INPUT with --onnx')
    parser.add_argument(
        '--out-dir', required=True, help='where masks, overlays, CSVs and '
        'report.html go')
    parser.add_argument(
        '--onnx',
        help='run this ONNX file (tools/deployment/export_onnx.py) '
        'in onnxruntime instead of a PyTorch checkpoint')
    parser.add_argument(
        '--spacing',
        type=spacing_argument,
        metavar='MM',
        help='pixel size in mm for files without their own (and not in '
        '--spacing-csv): "0.1" or "ROW_MM,COL_MM"')
    parser.add_argument(
        '--spacing-csv',
        metavar='FILE',
        help='CSV with columns image,spacing_mm (or image,row_mm,col_mm) for '
        'files without their own spacing')
    parser.add_argument(
        '--cls-config',
        help='classification config (configs/cls/...): adds '
        'per-image class probabilities')
    parser.add_argument('--cls-checkpoint', help='checkpoint of --cls-config')
    parser.add_argument(
        '--mask-values',
        type=parse_mask_values,
        default=(0, 1),
        metavar='BG,LESION',
        help='pixel values of the written masks '
        '(default 0,1; 0,255 to view them)')
    parser.add_argument(
        '--trust-checkpoint',
        action='store_true',
        help='allow a full unpickle of the checkpoints (only files you trust)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help='override settings in CONFIG')
    parser.add_argument(
        '--cls-cfg-options', nargs='+', action=DictAction, help='override settings in --cls-config')
    parser.add_argument('--no-progress', action='store_true', help='no progress bar')
    args = parser.parse_args(argv)
    expected = 1 if args.onnx else 2
    if len(args.paths) != expected:
        parser.error('give CONFIG INPUT with --onnx, else CONFIG CHECKPOINT INPUT '
                     f'(got {len(args.paths)} path(s) after CONFIG)')
    args.checkpoint, args.input = (None, args.paths[0]) if args.onnx else args.paths
    if bool(args.cls_config) != bool(args.cls_checkpoint):
        parser.error('--cls-config and --cls-checkpoint go together')
    return args


@cli_main
def main(argv=None) -> int:
    args = parse_args(argv)
    files = collect_inputs(args.input)
    table = read_spacing_csv(args.spacing_csv) if args.spacing_csv else None
    predictor = SegmentationPredictor.from_files(args.config, args.checkpoint, args.onnx,
                                                 args.cfg_options, args.trust_checkpoint)
    classifier = (
        ClassificationPredictor(args.cls_config, args.cls_checkpoint, args.cls_cfg_options,
                                args.trust_checkpoint) if args.cls_config else None)
    model = args.onnx or args.checkpoint
    summary = run_folder_inference(
        files,
        predictor,
        args.out_dir,
        table,
        args.spacing,
        args.mask_values,
        classifier,
        notes=[f'config: {args.config}', f'model: {model}'],
        progress=not args.no_progress)
    for result in summary.results:
        print(f'{result.image.name}: {len(result.lesions)} lesion(s), spacing '
              f'{result.spacing or "unknown"} ({result.spacing_source})')
    for path, reason in summary.failures:
        print(f'FAILED {path}: {reason}', file=sys.stderr)
    print(f'{len(summary.results)} image(s) segmented, {len(summary.failures)} failed; '
          f'wrote {summary.lesions_csv}, {summary.images_csv} and {summary.report}')
    return 1 if summary.failures else 0


if __name__ == '__main__':
    sys.exit(main())
