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

**Images.** The segmentation configs (``configs/_base_/datasets/us_binary_seg.py``) load
in two steps::

    dict(type='LoadImageFromFile', color_type='unchanged'),  # mmcv's own loader
    dict(type='CheckUltrasoundImage'),                        # checks and converts

Why two steps and not one loader: mmseg's ``MMSegInferencer`` adapts a config's test
pipeline by the *name* of its loader — it swaps the step typed exactly
``LoadImageFromFile`` for its ``InferencerLoader`` (mmcv's loader for paths, mmseg's
``LoadImageFromNDArray`` for arrays, with that step's arguments) and refuses pipelines
without one. With mmcv's loader kept (``'unchanged'``: every depth and channel count as
stored) and mmseg_ht's checks in the step after it, ``MMSegInferencer``,
``tools/test.py`` and ``tools/infer.py`` all feed the same ``CheckUltrasoundImage`` and
give the network the same input, without renaming or patching an mmcv/mmseg class.
``CheckUltrasoundImage`` converts what was read (``image_io.to_bgr8``) and, when it came
from a file, checks from the file's head and tail that it is complete (a cut JPEG decodes
in OpenCV with grey rows). A file OpenCV cannot decode at all stops in mmcv's loader (a
bare ``AssertionError``); the data set classes (``binary_ultrasound.py``) then raise the
``DataValidationError`` that says why (``image_io.opencv_image_problem``), so training
and testing still name the file and the problem.

``LoadUltrasoundImage`` does the same in one step (the bytes read once, Pillow as the
fallback decoder, its own clear errors without a data set class): for pipelines that no
inferencer adapts by name — the classification configs and existing users' configs.

**Masks.** ``LoadBinaryMask`` (mmseg's ``LoadAnnotations`` for 0/1 masks) refuses masks
that would be misread; results without a ``seg_map_path`` (images without ground truth,
as under ``MMSegInferencer``, which drops only steps typed ``LoadAnnotations``) pass
unchanged, while a named mask that is missing or unreadable is an error.

Valid files are read the same way as mmseg's loaders read them (8-bit images →
3-channel BGR, 0/1 masks); everything else raises ``DataValidationError`` naming the
file, the problem and the remedy. Documented conversions (never a loss of information):

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
from typing import Optional, Set

import numpy as np
from mmcv.transforms import BaseTransform, LoadImageFromFile
from mmengine import fileio
from mmengine.logging import print_log
from mmseg.datasets.transforms import LoadAnnotations
from mmseg.registry import TRANSFORMS

from mmseg_ht.utils import list_names
from .image_io import (MASK_VALUES, DataValidationError, decode_image_bytes, decode_mask_bytes,
                       file_truncation_problem, to_bgr8, unreadable_image)

COLOR_TYPES = ('color', 'grayscale')
_MAX_VALUES_SHOWN = 8


def _check_color_type(transform: str, color_type: str) -> None:
    if color_type not in COLOR_TYPES:
        raise ValueError(f"{transform}: color_type must be 'color' or 'grayscale', "
                         f'got {color_type!r}')


@TRANSFORMS.register_module()
class CheckUltrasoundImage(BaseTransform):
    """Check and convert the image a loader put in ``img`` (module doc, "Images").

    ``img`` of any depth and channel count (mmcv's ``LoadImageFromFile(color_type=
    'unchanged')`` or an array given to ``MMSegInferencer``) becomes uint8, (H, W, 3)
    BGR for ``color_type='color'`` or (H, W) for ``'grayscale'``; a cut JPEG/PNG file
    (``img_path`` set) is a ``DataValidationError``. ``backend_args`` as for the loader,
    used for that check when the file is not local.
    """

    def __init__(self, color_type: str = 'color', backend_args: Optional[dict] = None) -> None:
        _check_color_type(type(self).__name__, color_type)
        self.color_type = color_type
        self.backend_args = backend_args

    def transform(self, results: dict) -> dict:
        path = results.get('img_path')
        if path is not None:
            problem = file_truncation_problem(path, self.backend_args)
            if problem:
                raise unreadable_image(path, problem)
        name = path if path is not None else '(given as an array)'
        results['img'] = to_bgr8(results['img'], name, self.color_type)
        return results

    def __repr__(self) -> str:
        return f"{type(self).__name__}(color_type='{self.color_type}')"


@TRANSFORMS.register_module()
class LoadUltrasoundImage(LoadImageFromFile):
    """``LoadImageFromFile`` + ``CheckUltrasoundImage`` in one step (module doc, "Images").

    Same arguments and outputs (``img``, ``img_shape``, ``ori_shape``) as
    mmcv's transform; ``color_type`` is ``'color'`` (BGR) or ``'grayscale'``.
    Unreadable files raise ``DataValidationError`` (or give ``None`` with
    ``ignore_empty=True``, as in mmcv).
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _check_color_type(type(self).__name__, self.color_type)

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
    image's (``ori_shape``), and ``FileNotFoundError`` for a named mask that does
    not exist. ``binarize=True`` converts such masks with the converters' rule
    instead (``mmseg_ht.datasets.converters.masks``) and logs each converted file
    once. Size mismatches are always an error. Results without a ``seg_map_path``
    (no ground truth: inference) pass unchanged.
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

    def transform(self, results: dict) -> dict:
        if results.get('seg_map_path') is None:
            return results  # an image without ground truth (MMSegInferencer, tools/infer.py)
        return super().transform(results)

    def _load_seg_map(self, results: dict) -> None:
        path = str(results['seg_map_path'])
        try:
            data = fileio.get(path, backend_args=self.backend_args)
        except FileNotFoundError as err:
            raise FileNotFoundError(
                f'mask {path} of image {results.get("img_path")} does not exist. Every image '
                'needs a mask of the same name: add it, or remove the image.') from err
        array = decode_mask_bytes(data, path)
        problem = self._problem(array)
        if problem is not None:
            if not self.binarize:
                raise DataValidationError(
                    f'mask {path}: {problem}. Masks must hold 0 (background) and 1 '
                    '(foreground). Convert the masks (the converters in '
                    'tools/dataset_converters do, e.g. folder.py; or save (mask > 0) as uint8), '
                    "or set binarize=True on the config's LoadBinaryMask to binarise on "
                    'loading (docs/en/troubleshooting.md).',
                    path=path,
                    problem=problem)
            from .converters.masks import binarise_mask
            array, _ = binarise_mask(array)
            if path not in self.converted_files:
                self.converted_files.add(path)
                print_log(
                    f'LoadBinaryMask: binarised {path} ({problem}); '
                    f'{len(self.converted_files)} mask(s) binarised so far',
                    logger='current',
                    level=30)
        mask = single_channel(array).astype(np.uint8)
        image_shape = results.get('ori_shape')
        if image_shape is not None and tuple(mask.shape) != tuple(image_shape[:2]):
            (mh, mw), (ih, iw) = mask.shape, image_shape[:2]
            raise DataValidationError(
                f'mask {path} is {mw}x{mh} (WxH) but its image {results.get("img_path")} is '
                f'{iw}x{ih}. Fix or remove the pair; masks are never resized automatically.',
                path=path,
                problem='mask and image sizes differ')
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
