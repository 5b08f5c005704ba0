"""Predicted masks as lossless PNGs named after their images: ``<folder>/<image stem>.png``.

The layout mmseg's ``tools/test.py --out`` writes (through ``IoUMetric(output_dir=...)``) and
its ``analysis_tools/confusion_matrix.py`` reads back: one uint8 label map per test image,
sorted file names in the data set's order.
"""
import os.path as osp
from typing import Optional

import cv2
import numpy as np


def save_prediction_png(mask: np.ndarray, folder: str, img_path: Optional[str], fallback_stem: str,
                        writer: str) -> str:
    """Write ``mask`` (H, W; values 0-255) as ``<folder>/<stem of img_path>.png``; return the path.

    ``fallback_stem`` names samples without an ``img_path``; ``writer`` names the caller in
    the error raised when the file cannot be written.
    """
    stem = osp.splitext(osp.basename(img_path))[0] if img_path else fallback_stem
    path = osp.join(folder, f'{stem}.png')
    if not cv2.imwrite(path, np.asarray(mask).astype(np.uint8)):
        raise OSError(f'{writer}: could not write {path}')
    return path
