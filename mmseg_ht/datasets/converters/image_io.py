"""The converters' side of image files: their corrupt-file error and writing output PNGs.

Converted images are single-channel 8-bit PNGs (``to_gray8``): B-mode ultrasound is
grayscale, and the configs' loaders turn them into 3-channel BGR when loading. Colour
images (Doppler boxes, coloured calipers) are converted with OpenCV's luma weights; the
report counts how many were. Reading and converting pixels lives in
``mmseg_ht.datasets.image_io``, shared with the loading transforms.
"""
from pathlib import Path
from typing import Union

import cv2
import numpy as np

from .errors import CorruptImageError

PathLike = Union[str, Path]


def corrupt_file_error(path: PathLike, detail: str) -> CorruptImageError:
    """The error raised for an undecodable file, with the usual remedy."""
    return CorruptImageError(
        f'cannot read {path} ({detail}). Remove or replace the file, or pass '
        '--skip-corrupt (skip_corrupt=True) to skip unreadable files and count them in the report.',
        path=str(path))


def write_png(path: Path, array: np.ndarray) -> None:
    """Write ``array`` as PNG, creating parent folders; fail loudly if OpenCV cannot."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), array):
        raise OSError(f'could not write {path}')
