"""The one home for reading image files: bytes → pixel array, and pixel arrays → 8 bit.

Every reader of image files in mmseg_ht decodes here: the loading transforms
(``datasets/transforms.py``), the data set classes' header check and their diagnosis of a
sample that failed to load, the converters' ``medical_io.read_frames`` (and through it
``tools/infer.py``) and the stage-1 caption corpus.

* Decoding is OpenCV's ``IMREAD_UNCHANGED`` — the decoder behind mmcv's
  ``LoadImageFromFile(color_type='unchanged')``, so 8-bit files give the pixels mmseg's
  loader gives — with Pillow as the fallback for formats OpenCV cannot read. It is
  preceded by a completeness check (``truncation_problem``): OpenCV decodes a JPEG
  without its end marker with grey rows (libjpeg only warns), which would silently
  become training data.
* Conversion to 8 bit (``rescale_to_uint8``): data inside 0..255 is kept as it is,
  anything else (16-bit ranges, negative or float values) is stretched min..max to
  0..255, never cut to its high byte as an 8-bit decode would. ``to_bgr8`` gives the
  3-channel BGR images of the training/inference pipelines (alpha dropped, gray
  repeated), ``to_gray8`` the single-channel images the converters write.

Problems raise ``DataValidationError`` naming the file, what is wrong and what to do.
"""
import io
import os.path as osp
from pathlib import Path
from typing import Optional, Tuple, Union

import cv2
import numpy as np
from mmengine import fileio
from PIL import Image

from mmseg_ht.utils.errors import MmsegHtError

PathLike = Union[str, Path]
MASK_VALUES = (0, 1)  # background, foreground
PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'
JPEG_SIGNATURE = b'\xff\xd8'
HEAD_BYTES, TAIL_BYTES = 8, 1024  # what ``truncation_problem`` looks at
PILLOW_RAW_MODES = ('L', 'I', 'I;16', 'I;16B', 'I;16L', 'F')  # kept as stored, not as RGB


class DataValidationError(MmsegHtError, ValueError):
    """An image or mask that cannot be used as it is; the message says which, why and what to do.

    ``path`` is the offending file, ``problem`` the short reason.
    """

    def __init__(self, message: str, path: str = '', problem: str = '') -> None:
        super().__init__(message)
        self.path = path
        self.problem = problem or message


def unreadable_image(path: PathLike, problem: str) -> DataValidationError:
    """The error for an image file that cannot be read, with the usual remedy."""
    return DataValidationError(
        f'cannot read image {path}: {problem}. Replace the file (re-export it from the '
        'source data) or remove it together with its mask.',
        path=str(path),
        problem=problem)


# ------------------------------------------------------------------ completeness and decoding


def truncation_problem(data: bytes) -> Optional[str]:
    """Why ``data`` is a cut JPEG/PNG file, or None.

    A JPEG must end with its end-of-image marker, a PNG with its IEND chunk. Only the
    first ``HEAD_BYTES`` and the last ``TAIL_BYTES`` bytes are looked at, so a file's
    head followed by its tail is enough (``file_truncation_problem``).
    """
    if data[:2] == JPEG_SIGNATURE and b'\xff\xd9' not in data[-TAIL_BYTES:]:
        return 'the JPEG data is truncated (no end-of-image marker)'
    if data[:8] == PNG_SIGNATURE and b'IEND' not in data[-64:]:
        return 'the PNG data is truncated or corrupt (no IEND chunk)'
    return None


def file_truncation_problem(path: PathLike, backend_args: Optional[dict] = None) -> Optional[str]:
    """``truncation_problem`` of a file, reading only its head and tail when it is local."""
    if not osp.isfile(path):  # another storage backend: no partial reads
        return truncation_problem(fileio.get(path, backend_args=backend_args))
    with open(path, 'rb') as handle:
        head = handle.read(HEAD_BYTES)
        size = handle.seek(0, io.SEEK_END)
        handle.seek(max(len(head), size - TAIL_BYTES))
        return truncation_problem(head + handle.read())


def decode_image_bytes(data: bytes, path: PathLike, pillow_fallback: bool = True) -> np.ndarray:
    """Pixel array as OpenCV decodes it (any depth, any channels), or ``DataValidationError``.

    Pillow is the fallback (``pillow_fallback``) for formats OpenCV cannot read; a PNG
    OpenCV cannot decode is corrupt (OpenCV rejects truncated PNGs that Pillow would
    accept).
    """
    problem = 'the file is empty' if not data else truncation_problem(data)
    if problem is None:
        array = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
        if array is not None and array.size:
            return array
        if data[:8] == PNG_SIGNATURE:
            problem = 'the PNG data is truncated or corrupt'
        elif not pillow_fallback:
            problem = ('not decodable by OpenCV: truncated or corrupt, or a format OpenCV does '
                       'not read (convert it to PNG)')
    if problem is None:
        try:
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                if image.mode in PILLOW_RAW_MODES:
                    return np.asarray(image)
                return np.ascontiguousarray(np.asarray(image.convert('RGB'))[..., ::-1])
        except Exception as err:  # Pillow raises many exception types for bad files
            problem = f'not a decodable image, truncated or corrupt ({err})'
    raise unreadable_image(path, problem)


def read_image_file(path: PathLike, backend_args: Optional[dict] = None) -> np.ndarray:
    """``decode_image_bytes`` of a file (``DataValidationError`` also when it cannot be read)."""
    try:
        data = fileio.get(path, backend_args=backend_args)
    except OSError as err:
        raise unreadable_image(path, f'the file cannot be opened ({err})') from err
    return decode_image_bytes(data, path)


def opencv_image_problem(path: PathLike,
                         backend_args: Optional[dict] = None) -> Optional[DataValidationError]:
    """Why OpenCV (mmcv's ``LoadImageFromFile``) cannot read the image file ``path``, as the
    error to raise; None when it can, or when the file cannot be opened at all (the
    loader's own error says so)."""
    try:
        decode_image_bytes(fileio.get(path, backend_args=backend_args), path, pillow_fallback=False)
    except DataValidationError as error:
        return error
    except OSError:
        return None
    return None


def image_header_size(path: PathLike, backend_args: Optional[dict] = None) -> Tuple[int, int]:
    """(width, height) read from the file header only, or ``DataValidationError``."""
    with fileio.get_local_path(path, backend_args=backend_args) as local:
        if osp.getsize(local) == 0:
            problem = 'the file is empty'
        else:
            try:
                with Image.open(local) as image:
                    return image.size
            except Exception as err:  # Pillow raises many exception types for bad files
                problem = f'not a decodable image, truncated or corrupt ({err})'
    raise DataValidationError(f'cannot read {path}: {problem}.', path=str(path), problem=problem)


def decode_mask_bytes(data: bytes, path: PathLike) -> np.ndarray:
    """Mask array: palette PNGs as their indices when these are 0/1 (else their colours),
    other files as stored (any depth/channels); ``DataValidationError`` if unreadable."""
    problem = truncation_problem(data)
    if problem:
        raise DataValidationError(
            f'cannot read mask {path}: {problem}. Replace the file or remove it together with '
            'its image.',
            path=str(path),
            problem=problem)
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            if image.mode == 'PA':
                image = image.convert('P')  # keeps the indices
            if image.mode == 'P':
                indices = np.asarray(image)
                if np.isin(indices, MASK_VALUES).all():
                    return indices
                return np.asarray(image.convert('RGB'))  # other palettes: their colours
            return np.asarray(image)
    except Exception as err:  # Pillow raises many exception types for bad files
        array = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED) if data else None
        if array is None or not array.size:
            raise DataValidationError(
                f'cannot read mask {path}: not a decodable image, truncated or corrupt ({err}). '
                'Replace the file or remove it together with its image.',
                path=str(path),
                problem='not a decodable image') from err
        return array


# ------------------------------------------------------------------ conversion to 8 bit


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


def to_bgr8(array: np.ndarray, path: PathLike, color_type: str = 'color') -> np.ndarray:
    """uint8 image: (H, W, 3) BGR for ``color``, (H, W) for ``grayscale``.

    16-bit/float data is stretched (``rescale_to_uint8``), gray (+ alpha) images become
    3 equal channels, the alpha channel of BGRA images is dropped. ``path`` names the
    image in the error raised for other shapes.
    """
    if array.ndim == 3 and array.shape[2] in (1, 2):  # gray (+ alpha)
        array = array[..., 0]
    if array.ndim == 3 and array.shape[2] == 4:  # BGRA
        array = array[..., :3]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] != 3):
        raise DataValidationError(
            f'image {path} has an unsupported shape {array.shape} (expected H x W gray, '
            'or H x W x 3/4 colour). Re-export it as an 8-bit grayscale or RGB PNG.',
            path=str(path),
            problem=f'unsupported shape {array.shape}')
    if array.dtype == bool:
        array = array.astype(np.uint8) * 255
    array = np.ascontiguousarray(rescale_to_uint8(array))
    if color_type == 'grayscale':
        return array if array.ndim == 2 else cv2.cvtColor(array, cv2.COLOR_BGR2GRAY)
    return array if array.ndim == 3 else cv2.cvtColor(array, cv2.COLOR_GRAY2BGR)
