"""Reading source images as 8-bit grayscale and writing output PNGs.

Converted images are single-channel 8-bit PNGs: B-mode ultrasound is grayscale,
and mmseg's ``LoadImageFromFile`` turns them into 3-channel BGR when loading.
Colour images (Doppler boxes, coloured calipers) are converted with OpenCV's
luma weights; the report counts how many were.
"""
from pathlib import Path
from typing import Optional, Tuple, Union

import cv2
import numpy as np
from PIL import Image

from .errors import CorruptImageError

PathLike = Union[str, Path]


def corrupt_file_error(path: PathLike, detail: str) -> CorruptImageError:
    """The error raised for an undecodable file, with the usual remedy."""
    return CorruptImageError(
        f'cannot read {path} ({detail}). Remove or replace the file, or pass '
        '--skip-corrupt (skip_corrupt=True) to skip unreadable files and count them in the report.',
        path=str(path))


def intensity_window(array: np.ndarray) -> Optional[Tuple[float, float]]:
    """(low, high) to stretch to 0..255, or None when ``array`` already fits 8 bit.

    Data inside 0..255 (uint8, other integers, floats) is kept; anything else
    (16-bit ranges, negative or float values beyond 255) is min-max stretched.
    """
    if array.dtype == np.uint8 or array.size == 0:
        return None
    low, high = float(array.min()), float(array.max())
    return None if low >= 0 and high <= 255 else (low, high)


def apply_window(array: np.ndarray, window: Optional[Tuple[float, float]]) -> np.ndarray:
    """uint8 ``array``: rounded as is (``window`` None) or stretched low..high -> 0..255."""
    if array.dtype == np.uint8:
        return array
    if window is None:
        return np.clip(np.rint(array), 0, 255).astype(np.uint8)
    low, high = window
    if high <= low:
        return np.zeros(array.shape, dtype=np.uint8)
    scaled = (array.astype(np.float32) - low) * np.float32(255.0 / (high - low))
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


def rescale_to_uint8(array: np.ndarray) -> np.ndarray:
    """Map a numeric array to uint8 (see ``intensity_window``)."""
    return apply_window(array, intensity_window(array))


def to_gray8(array: np.ndarray) -> Tuple[np.ndarray, bool]:
    """(H, W) uint8 version of a decoded BGR/BGRA/gray image and whether colour was dropped.

    Images whose colour channels are identical (gray stored as RGB) do not count as colour.
    """
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    if array.ndim == 2:
        return rescale_to_uint8(array), False
    if array.ndim != 3 or array.shape[2] not in (3, 4):
        raise ValueError(f'unsupported image shape {array.shape}')
    bgr = rescale_to_uint8(array[..., :3])
    if np.array_equal(bgr[..., 0], bgr[..., 1]) and np.array_equal(bgr[..., 1], bgr[..., 2]):
        return np.ascontiguousarray(bgr[..., 0]), False
    return cv2.cvtColor(np.ascontiguousarray(bgr), cv2.COLOR_BGR2GRAY), True


def truncation_problem(data: bytes) -> Optional[str]:
    """Why ``data`` is a cut JPEG/PNG file, or None.

    OpenCV decodes a JPEG without its end marker, filling the missing rows with
    grey (libjpeg only warns "Premature end of JPEG file"); a PNG must end with
    its IEND chunk.
    """
    if data[:2] == b'\xff\xd8' and b'\xff\xd9' not in data[-1024:]:
        return 'the JPEG data is truncated (no end-of-image marker)'
    if data[:8] == b'\x89PNG\r\n\x1a\n' and b'IEND' not in data[-64:]:
        return 'the PNG data is truncated or corrupt (no IEND chunk)'
    return None


def decode_image(path: PathLike) -> np.ndarray:
    """Pixel array of an image file as OpenCV decodes it (BGR order for colour).

    Falls back to Pillow for files OpenCV cannot read; raises ``CorruptImageError``
    for truncated JPEG/PNG files and when neither can decode the file.
    """
    with open(path, 'rb') as handle:
        problem = truncation_problem(handle.read())
    if problem:
        raise corrupt_file_error(path, problem)
    array = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if array is not None:
        return array
    try:
        with Image.open(path) as image:
            image.load()
            if image.mode in ('L', 'I', 'I;16', 'I;16B', 'I;16L', 'F'):
                return np.asarray(image)
            return np.ascontiguousarray(np.asarray(image.convert('RGB'))[..., ::-1])
    except Exception as error:  # Pillow raises many exception types for bad files
        raise corrupt_file_error(path, f'not a decodable image: {error}') from error


def write_png(path: Path, array: np.ndarray) -> None:
    """Write ``array`` as PNG, creating parent folders; fail loudly if OpenCV cannot."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), array):
        raise OSError(f'could not write {path}')
