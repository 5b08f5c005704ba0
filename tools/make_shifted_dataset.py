"""Write a domain-shifted copy of a converted data set (target for test-time adaptation).

Example (phantom, another scanner: darker, blurrier, deeper, more speckle):
``python tools/make_shifted_dataset.py data/phantom data/phantom-shifted --gain 0.6
--blur 2 --depth 1.3 --speckle 0.4 --attenuation 6``
"""
import argparse
import sys
from pathlib import Path
from typing import List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout: runs without install

from mmseg_ht.datasets.domain_shift import DomainShift, make_shifted_dataset  # noqa: E402
from mmseg_ht.utils import cli_main  # noqa: E402


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='converted data set (img_dir/, ann_dir/, labels.csv)')
    parser.add_argument('dst', help='new folder for the shifted copy')
    parser.add_argument('--gain', type=float, default=1.0, help='brightness factor')
    parser.add_argument(
        '--speckle', type=float, default=0.0, help='std of multiplicative gamma noise (mean 1)')
    parser.add_argument('--blur', type=float, default=0.0, help='Gaussian sigma in pixels')
    parser.add_argument(
        '--depth',
        type=float,
        default=1.0,
        help='imaging-depth zoom-out factor >= 1 (anatomy appears smaller)')
    parser.add_argument(
        '--attenuation', type=float, default=0.0, help='extra attenuation in dB from top to bottom')
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args(argv)


@cli_main
def main(argv: Optional[List[str]] = None) -> int:
    """Shift every image (and move its mask where depth changes) and print the counts."""
    args = parse_args(argv)
    shift = DomainShift(
        gain=args.gain,
        speckle=args.speckle,
        blur=args.blur,
        depth=args.depth,
        attenuation=args.attenuation)
    info = make_shifted_dataset(args.src, args.dst, shift, seed=args.seed)
    counts = ', '.join(f'{split} {n}' for split, n in info['counts'].items())
    print(f'shifted copy ({counts}) with {info["shift"]} written to {args.dst}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
