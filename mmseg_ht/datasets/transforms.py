"""Loading transforms that refuse to misread ultrasound images and binary masks.

mmseg's ``LoadImageFromFile`` / ``LoadAnnotations`` accept whatever decodes,
so data put into the mmseg layout by hand (without the converters) can be
read silently wrong:

* a 0/255 mask becomes label 255 — mmseg's *ignore* label — so every lesion
  pixel is ignored by the loss and the metric;
* a 16-bit mask is cast to uint8 (256 becomes 0: the lesion disappears), a
  16-bit image is cut to its high byte (12-bit data turns almost black);
* RGB/RGBA/LA masks keep 3, 4 or 2 channels; anti-aliased masks add
  labels 2..254;
* a mask of another size than its image is resized with it and no longer
  lines up (training) or breaks the metric (testing);
* a truncated or non-image file fails with a bare ``AssertionError``.

``LoadUltrasoundImage`` and ``LoadBinaryMask`` (used by
``configs/_base_/datasets/us_binary_seg.py``) read the same files the same
way when they are valid (8-bit images → 3-channel BGR, 0/1 masks), and
otherwise raise ``DataValidationError`` naming the file, the problem and the
remedy. Documented conversions (never a loss of information):

* 16-bit / float images: stretched from their min..max to 0..255 when they
  do not fit 0..255 (the converters' rule); gray images → 3 equal channels;
  the alpha channel of RGBA / gray+alpha images is dropped;
* masks stored with 3 or 4 identical colour channels (and/or alpha) or as
  palette PNGs whose indices are 0/1 are read as their single channel /
  indices;
* ``LoadBinaryMask(binarize=True)`` (opt-in) binarises other masks with the
  converters' rule (0/255, palette colours, RGB, soft edges) and logs each
  such file once, with a running count.
"""
import io
import os
from typing import Optional, Set, Tuple

import cv2
import numpy as np
from mmcv.transforms import LoadImageFromFile
from mmengine import fileio
from mmengine.logging import print_log
from mmseg.datasets.transforms import LoadAnnotations
from mmseg.registry import TRANSFORMS
from PIL import Image

from mmseg_ht.utils import list_names
from .converters.image_io import truncation_problem

MASK_VALUES = (0, 1)
_MAX_VALUES_SHOWN = 8


class DataValidationError(ValueError):
    """An image or mask that cannot be used as it is; the message says which, why and what to do.

    ``path`` is the offending file, ``problem`` the short reason.
    """

    def __init__(self, message: str, path: str = '', problem: str = '') -> None:
        super().__init__(message)
        self.path = path
        self.problem = problem or message


def decode_image_bytes(data: bytes, path: str) -> np.ndarray:
    """Pixel array as OpenCV decodes it (any depth, any channels), or ``DataValidationError``.

    Pillow is the fallback for formats OpenCV cannot read; a PNG OpenCV cannot
    decode is corrupt (OpenCV rejects truncated PNGs that Pillow would accept).
    """
    problem = 'the file is empty' if not data else truncation_problem(data)
    if problem is None:
        array = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
        if array is not None and array.size:
            return array
        if data[:8] == b'\x89PNG\r\n\x1a\n':
            problem = 'the PNG data is truncated or corrupt'
    if problem is None:
        try:
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                if image.mode in ('L', 'I', 'I;16', 'I;16B', 'I;16L', 'F'):
                    return np.asarray(image)
                return np.ascontiguousarray(np.asarray(image.convert('RGB'))[..., ::-1])
        except Exception as err:  # Pillow raises many exception types for bad files
            problem = f'not a decodable image, truncated or corrupt ({err})'
    raise DataValidationError(
        f'cannot read image {path}: {problem}. Replace the file (re-export it from the '
        'source data) or remove it together with its mask.', path=path, problem=problem)


def image_header_size(path: str, backend_args: Optional[dict] = None) -> Tuple[int, int]:
    """(width, height) read from the file header only, or ``DataValidationError``."""
    with fileio.get_local_path(path, backend_args=backend_args) as local:
        if os.path.getsize(local) == 0:
            problem = 'the file is empty'
        else:
            try:
                with Image.open(local) as image:
                    return image.size
            except Exception as err:  # Pillow raises many exception types for bad files
                problem = f'not a decodable image, truncated or corrupt ({err})'
    raise DataValidationError(f'cannot read {path}: {problem}.', path=str(path), problem=problem)


def to_bgr8(array: np.ndarray, path: str, color_type: str = 'color') -> np.ndarray:
    """uint8 image: (H, W, 3) BGR for ``color``, (H, W) for ``grayscale`` (see module doc)."""
    from .converters.image_io import rescale_to_uint8
    if array.ndim == 3 and array.shape[2] in (1, 2):  # gray (+ alpha)
        array = array[..., 0]
    if array.ndim == 3 and array.shape[2] == 4:  # BGRA
        array = array[..., :3]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] != 3):
        raise DataValidationError(
            f'image {path} has an unsupported shape {array.shape} (expected H x W gray, '
            'or H x W x 3/4 colour). Re-export it as an 8-bit grayscale or RGB PNG.', path=path)
    if array.dtype == bool:
        array = array.astype(np.uint8) * 255
    array = np.ascontiguousarray(rescale_to_uint8(array))
    if color_type == 'grayscale':
        return array if array.ndim == 2 else cv2.cvtColor(array, cv2.COLOR_BGR2GRAY)
    return array if array.ndim == 3 else cv2.cvtColor(array, cv2.COLOR_GRAY2BGR)


@TRANSFORMS.register_module()
class LoadUltrasoundImage(LoadImageFromFile):
    """``LoadImageFromFile`` that reads 8/16-bit, gray/RGB/RGBA images and fails clearly.

    Same arguments and outputs (``img``, ``img_shape``, ``ori_shape``) as
    mmcv's transform; ``color_type`` is ``'color'`` (BGR) or ``'grayscale'``.
    Unreadable files raise ``DataValidationError`` (or give ``None`` with
    ``ignore_empty=True``, as in mmcv).
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.color_type not in ('color', 'grayscale'):
            raise ValueError(f"LoadUltrasoundImage: color_type must be 'color' or 'grayscale', "
                             f'got {self.color_type!r}')

    def transform(self, results: dict) -> Optional[dict]:
        path = results['img_path']
        try:
            data = fileio.get(path, backend_args=self.backend_args)
            img = to_bgr8(decode_image_bytes(data, str(path)), str(path), self.color_type)
        except (DataValidationError, OSError):
            if self.ignore_empty:
                return None
            raise
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results


def decode_mask_bytes(data: bytes, path: str) -> np.ndarray:
    """Mask array: palette PNGs as indices, other files as stored (any depth/channels)."""
    problem = truncation_problem(data)
    if problem:
        raise DataValidationError(
            f'cannot read mask {path}: {problem}. Replace the file or remove it together with '
            'its image.', path=path, problem=problem)
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
                'Replace the file or remove it together with its image.', path=path,
                problem='not a decodable image') from err
        return array


def single_channel(array: np.ndarray) -> Optional[np.ndarray]:
    """The one channel of a mask whose colour channels are equal (alpha ignored), else None."""
    if array.ndim == 2:
        return array
    if array.ndim != 3:
        return None
    if array.shape[2] in (2, 4):
        array = array[..., :-1]
    if all(np.array_equal(array[..., 0], array[..., c]) for c in range(1, array.shape[2])):
        return array[..., 0]
    return None


@TRANSFORMS.register_module()
class LoadBinaryMask(LoadAnnotations):
    """mmseg's ``LoadAnnotations`` for binary masks: values must be 0 (background) / 1.

    Raises ``DataValidationError`` naming the mask for values other than 0/1
    (0/255 masks, palette colours, RGB masks, anti-aliased edges, 16-bit
    values), for colour masks, and for masks whose size differs from their
    image's (``ori_shape``). ``binarize=True`` converts such masks with the
    converters' rule instead (``mmseg_ht.datasets.converters.masks``) and logs
    each converted file once. Size mismatches are always an error.
    """

    converted_files: Set[str] = set()  # files binarised by any instance in this process

    def __init__(self, binarize: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.binarize = binarize

    def _problem(self, array: np.ndarray) -> Optional[str]:
        """Why ``array`` is not a 0/1 mask (None when it is)."""
        channel = single_channel(array)
        if channel is None:
            return f'it is a colour mask ({array.shape[2]} channels that differ)'
        if channel.dtype.kind in 'bu' and (channel.size == 0 or channel.max() <= 1):
            return None  # the common case, without sorting the pixels
        values = np.unique(channel)
        if np.isin(values, MASK_VALUES).all():
            return None
        if np.isin(values, (0, 255)).all():
            return ('its values are {0, 255}: 255 is mmseg\'s ignore label, so every '
                    'foreground pixel would be ignored by the loss and the metric')
        depth = f'{channel.dtype} ' if channel.dtype != np.uint8 else ''
        shown = list_names(values, _MAX_VALUES_SHOWN, sort=False)
        return f'its {depth}values are {{{shown}}}, not {{0, 1}}'

    def _load_seg_map(self, results: dict) -> None:
        path = str(results['seg_map_path'])
        data = fileio.get(path, backend_args=self.backend_args)
        array = decode_mask_bytes(data, path)
        problem = self._problem(array)
        if problem is not None:
            if not self.binarize:
                raise DataValidationError(
                    f'mask {path}: {problem}. Masks must hold 0 (background) and 1 '
                    '(foreground). Convert the masks (the converters in '
                    'tools/dataset_converters do, e.g. folder.py; or save (mask > 0) as uint8), '
                    "or set binarize=True on the config's LoadBinaryMask to binarise on "
                    'loading (README, "Troubleshooting").', path=path, problem=problem)
            from .converters.masks import binarise_mask
            array, _ = binarise_mask(array)
            if path not in self.converted_files:
                self.converted_files.add(path)
                print_log(f'LoadBinaryMask: binarised {path} ({problem}); '
                          f'{len(self.converted_files)} mask(s) binarised so far',
                          logger='current', level=30)
        mask = single_channel(array).astype(np.uint8)
        image_shape = results.get('ori_shape')
        if image_shape is not None and tuple(mask.shape) != tuple(image_shape[:2]):
            (mh, mw), (ih, iw) = mask.shape, image_shape[:2]
            raise DataValidationError(
                f'mask {path} is {mw}x{mh} (WxH) but its image {results.get("img_path")} is '
                f'{iw}x{ih}. Fix or remove the pair; masks are never resized automatically.',
                path=path, problem='mask and image sizes differ')
        self._finish(mask, results)

    def _finish(self, mask: np.ndarray, results: dict) -> None:
        """mmseg's handling of ``reduce_zero_label`` and ``label_map`` (unchanged)."""
        if self.reduce_zero_label is None:
            self.reduce_zero_label = results['reduce_zero_label']
        assert self.reduce_zero_label == results['reduce_zero_label'], \
            'Initialize dataset with `reduce_zero_label` as ' \
            f'{results["reduce_zero_label"]} but when load annotation ' \
            f'the `reduce_zero_label` is {self.reduce_zero_label}'
        if self.reduce_zero_label:
            mask[mask == 0] = 255
            mask = mask - 1
            mask[mask == 254] = 255
        if results.get('label_map', None) is not None:
            original = mask.copy()
            for old_id, new_id in results['label_map'].items():
                mask[original == old_id] = new_id
        results['gt_seg_map'] = mask
        results['seg_fields'].append('gt_seg_map')

    def __repr__(self) -> str:
        return f'{super().__repr__()[:-1]}, binarize={self.binarize})'
