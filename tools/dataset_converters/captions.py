"""Clean an image–caption table and split it 9:1 for the contrastive stage (stage 1).

Usage::

    python tools/dataset_converters/captions.py TABLE OUT_DIR [--image-root DIR]
        [--image-key COL] [--caption-key COL] [--seed 0] [--val-fraction 0.1]
        [--min-length 20] [--no-image-check]

TABLE is a CSV/TSV, JSONL or JSON list with one image path and one caption
per row (ROCO, PMC-OA, MedPix-style exports; columns are recognised by
common names). Image paths are relative to --image-root (default: the folder
of TABLE). Writes OUT_DIR/train.json, OUT_DIR/val.json (OpenMMLab 2.0
annotation format; images are referenced, not copied) and
OUT_DIR/cleaning_report.json, and prints kept/dropped rows by reason.
Captions are never translated: translate non-English captions beforehand
if you want an English-only corpus (the paper did).
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: runs without install

from mmseg_ht.contrastive.caption_cleaning import MIN_CAPTION_LENGTH  # noqa: E402
from mmseg_ht.contrastive.caption_corpus import REPORT_NAME, build_caption_corpus  # noqa: E402
from mmseg_ht.contrastive.caption_table import CaptionTableError  # noqa: E402
from mmseg_ht.utils import cli_main  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Clean image-caption pairs and split them 9:1 (stage-1 contrastive data).')
    parser.add_argument('table', type=Path, help='CSV/TSV/JSONL/JSON table of image-caption pairs')
    parser.add_argument('out_dir', type=Path, help='output folder (the configs\' DATA_ROOT)')
    parser.add_argument(
        '--image-root',
        type=Path,
        help='folder the image paths are relative to (default: folder of TABLE)')
    parser.add_argument('--image-key', help='column with the image path (default: detected)')
    parser.add_argument('--caption-key', help='column with the caption (default: detected)')
    parser.add_argument('--seed', type=int, default=0, help='shuffle seed for the split')
    parser.add_argument(
        '--val-fraction',
        type=float,
        default=0.1,
        help='fraction of images for validation (paper: 9:1 -> 0.1)')
    parser.add_argument(
        '--min-length',
        type=int,
        default=MIN_CAPTION_LENGTH,
        help='drop cleaned captions shorter than this many characters')
    parser.add_argument(
        '--no-image-check',
        action='store_true',
        help='do not open the images (audit captions only; missing images '
        'then stay in the output)')
    args = parser.parse_args(argv)
    if not 0 <= args.val_fraction < 1:
        parser.error('--val-fraction must lie in [0, 1)')
    return args


@cli_main
def main(argv=None) -> int:
    args = parse_args(argv)
    if not args.table.is_file():
        raise CaptionTableError(f'table not found: {args.table}; give the CSV/TSV/JSONL/JSON '
                                'file of image-caption pairs')
    report = build_caption_corpus(
        args.table,
        args.out_dir,
        image_root=args.image_root,
        image_key=args.image_key,
        caption_key=args.caption_key,
        seed=args.seed,
        val_fraction=args.val_fraction,
        min_length=args.min_length,
        check_images=not args.no_image_check)
    print(report.summary())
    print(f'wrote {args.out_dir / "train.json"}, {args.out_dir / "val.json"} and '
          f'{args.out_dir / REPORT_NAME}')
    kept = sum(report.split_pairs.values())
    if not kept:
        print('error: no pair survived cleaning (see the report)', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
