"""Convert BUSI breast ultrasound into the mmseg layout.

Usage: ``python tools/dataset_converters/busi.py SRC_DIR OUT_DIR [--seed 0] [--crop-borders]``

See ``--help`` and mmseg_ht/datasets/converters/busi.py for the expected source layout.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: runs without install

from mmseg_ht.datasets.converters import CONVERTERS  # noqa: E402
from mmseg_ht.datasets.converters.cli import main  # noqa: E402

if __name__ == '__main__':
    sys.exit(main(CONVERTERS['busi']))
