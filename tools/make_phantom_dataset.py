"""Write the built-in ultrasound-like phantom data set (mmseg layout) to OUT_DIR.

Example: ``python tools/make_phantom_dataset.py data/phantom --seed 0``
"""
import argparse
import sys
from pathlib import Path
from typing import List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout: runs without install

from mmseg_ht.datasets.phantom import make_phantom_dataset  # noqa: E402
from mmseg_ht.evaluation.reference_scores import reference_scores  # noqa: E402
from mmseg_ht.utils import cli_main  # noqa: E402


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('out_dir', help='folder to write img_dir/, ann_dir/, labels.csv into')
    parser.add_argument('--num-train', type=int, default=48)
    parser.add_argument('--num-val', type=int, default=8)
    parser.add_argument('--num-test', type=int, default=8)
    parser.add_argument('--size', type=int, default=224, help='image height and width in pixels')
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args(argv)


@cli_main
def main(argv: Optional[List[str]] = None) -> int:
    """Generate the data set and print its counts and the Otsu-threshold baseline Dice."""
    args = parse_args(argv)
    info = make_phantom_dataset(
        args.out_dir,
        num_train=args.num_train,
        num_val=args.num_val,
        num_test=args.num_test,
        size=args.size,
        seed=args.seed)
    for split, counts in info['counts'].items():
        summary = ', '.join(f'{name} {count}' for name, count in counts.items())
        print(f'{split}: {summary}')
    if args.num_test:
        otsu = reference_scores(args.out_dir, 'test', guesses=('otsu_dark', ))['otsu_dark']
        print(f'Otsu dark-threshold baseline on the test split: Dice {otsu["Dice"]:.2f} %')
    print(f'phantom data set (generator {info["generator_version"]}, seed {args.seed}) '
          f'written to {args.out_dir}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
