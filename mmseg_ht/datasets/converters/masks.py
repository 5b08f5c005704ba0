"""Turning source masks of any encoding into uint8 0/1 masks.

Masks are read like images (``medical_io.read_frames``: PNG, JPEG, BMP, TIFF,
GIF, DICOM frames, NIfTI slices), then binarised by this rule (the report
counts every mask that needed rule 2 or 3):

1. Standard masks are used as they are: one channel with values in {0, 1} or
   {0, 255}; palette PNG/GIF files whose indices are all 0/1 use the indices.
2. Colour masks (channels differ; alpha dropped; other palette PNGs are expanded
   to their RGB colours): foreground = any channel > 127.
3. Other one-channel masks: two values {0, v} -> v is foreground; otherwise
   foreground = value > 127 (8-bit; for other depths > half the maximum). This
   is the 128 threshold used for JPEG masks with compression noise (TN3K).
"""
from pathlib import Path
from typing import Iterable, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
from PIL import Image

from .errors import MaskSizeMismatchError
from .medical_io import Frame
from .source_files import source_frame

RASTER_FORMATS = ('png', 'gif', 'bmp', 'tiff')  # formats that can hold a palette

PathLike = Union[str, Path]


def _threshold(array: np.ndarray) -> float:
    """Value above which a pixel is foreground: 127 for 8-bit data, half the maximum otherwise."""
    if array.dtype == np.uint8 or (array.size and array.max() <= 255):
        return 127.0
    return float(array.max()) / 2.0


def binarise_mask(array: np.ndarray) -> Tuple[np.ndarray, bool]:
    """uint8 0/1 mask of a decoded mask array and whether rule 2 or 3 (above) was needed."""
    if array.dtype == bool:
        return array.astype(np.uint8), False
    if array.ndim == 3:
        if array.shape[2] in (2, 4):
            array = array[..., :-1]  # drop alpha
        if array.shape[2] == 1 or all(
                np.array_equal(array[..., 0], array[..., c]) for c in range(1, array.shape[2])):
            array = array[..., 0]
        else:
            return (array > _threshold(array)).any(axis=2).astype(np.uint8), True
    values = np.unique(array)
    if np.isin(values, (0, 1)).all():
        return array.astype(np.uint8), False
    if np.isin(values, (0, 255)).all():
        return (array > 0).astype(np.uint8), False
    if len(values) == 2 and values[0] == 0:
        return (array > 0).astype(np.uint8), True
    return (array > _threshold(array)).astype(np.uint8), True


def palette_indices(path: PathLike) -> Optional[np.ndarray]:
    """Palette indices of a palette (P/PA) raster file, else None."""
    try:
        with Image.open(path) as image:
            if image.mode not in ('P', 'PA'):
                return None
            image.load()
            return np.asarray(image.convert('P') if image.mode == 'PA' else image)
    except Exception:  # not a Pillow-readable raster (DICOM, NIfTI): no palette
        return None


def mask_from_frame(frame: Frame, path: PathLike) -> Tuple[np.ndarray, bool]:
    """uint8 0/1 mask of one frame of ``path`` and whether it needed binarising (module doc).

    Palette PNG/GIF/BMP/TIFF masks whose indices are all 0/1 use the indices.
    """
    if frame.source_format in RASTER_FORMATS:
        indices = palette_indices(path)
        if indices is not None and np.isin(np.unique(indices), (0, 1)).all():
            return indices.astype(np.uint8), False
    return binarise_mask(frame.array)


def read_mask(path: PathLike, frame_index: Optional[int] = None) -> Tuple[np.ndarray, bool]:
    """Read (a frame of) a mask file as uint8 0/1 and say whether it needed binarising."""
    return mask_from_frame(source_frame(path, frame_index), path)


def merge_masks(masks: Sequence[np.ndarray]) -> np.ndarray:
    """Logical OR of same-sized 0/1 masks (multi-focal lesions annotated in several files)."""
    merged = masks[0].copy()
    for mask in masks[1:]:
        merged |= mask
    return merged


def rasterise_polygons(polygons: Iterable[np.ndarray], shape: Tuple[int, int]) -> np.ndarray:
    """0/1 mask of the union of filled polygons ((N, 2) x/y points), clipped to ``shape``."""
    mask = np.zeros(shape, dtype=np.uint8)
    for points in polygons:
        cv2.fillPoly(mask, [np.round(points).astype(np.int32).reshape(-1, 1, 2)], 1)
    return mask


def check_same_size(image: np.ndarray, mask: np.ndarray, image_path: PathLike,
                    mask_path: PathLike) -> None:
    """Raise ``MaskSizeMismatchError`` naming both files and sizes unless H x W agree."""
    if image.shape[:2] != mask.shape[:2]:
        (ih, iw), (mh, mw) = image.shape[:2], mask.shape[:2]
        raise MaskSizeMismatchError(
            f'mask {mask_path} is {mw}x{mh} (WxH) but its image {image_path} is {iw}x{ih}. '
            'Fix or remove the pair; masks are never resized automatically.')
