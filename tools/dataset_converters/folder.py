"""Convert a generic images/ + masks/ folder (LN-INT, LN-EXT, in-house) into the mmseg layout.

Usage: ``python tools/dataset_converters/folder.py SRC_DIR OUT_DIR [--seed 0] [--crop-borders]
[--nifti-axis 2]``

Images and masks may be PNG, JPEG, BMP, TIFF, GIF, DICOM (one sample per frame) or
NIfTI (one per slice); the spacing in DICOM/NIfTI headers goes to OUT_DIR/spacing.csv.

See ``--help`` and mmseg_ht/datasets/converters/folder.py for the expected source layout.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: runs without install

from mmseg_ht.datasets.converters import CONVERTERS  # noqa: E402
from mmseg_ht.datasets.converters.cli import main  # noqa: E402

if __name__ == '__main__':
    sys.exit(main(CONVERTERS['folder']))
