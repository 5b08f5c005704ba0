"""Binary (background / foreground) ultrasound segmentation data sets in the mmseg layout.

All sets share one layout, written by ``tools/dataset_converters/<name>.py``:
``img_dir/<split>/<stem>.png`` (8-bit) and ``ann_dir/<split>/<stem>.png`` (0/1).
The classes differ only in their class names (one row each in the table at the
end; ``PhantomUSDataset`` for the generated demo set), and fail early with a message
saying how to prepare the data when the folders are missing or do not pair up.
The pixel spacing the converters stored in ``<data_root>/spacing.csv`` (from
DICOM/NIfTI headers) goes into every sample's metainfo as ``spacing`` (mm,
(row, col)), where ``SurfaceMetric`` finds it: HD95/ASD then come out in mm.
"""
import os.path as osp
from typing import Any, Dict, List, Optional, Set, Tuple

from mmengine import fileio
from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

from mmseg_ht.utils import list_names
from .converters.spacing_table import SPACING_FILE, parse_spacing_table
from .few_shot import FewShotMixin
from .image_io import DataValidationError, image_header_size, opencv_image_problem

PALETTE = [[0, 0, 0], [255, 0, 0]]  # background black, foreground red


def _stems(names: Set[str], suffix: str) -> Set[str]:
    """File names with ``suffix`` removed."""
    return {n[:-len(suffix)] for n in names}


@DATASETS.register_module()
class BinaryUltrasoundDataset(FewShotMixin, BaseSegDataset):
    """Binary lesion/organ segmentation set: PNG images, PNG masks with values 0/1.

    ``CONVERTER`` names the tool that prepares the set; it is quoted in the
    error raised when the data root or image folder is missing or empty.

    ``check_headers`` (default True) reads the header of every image and mask
    when the set is built (about 0.1 ms a file) and raises one
    ``DataValidationError`` listing all unreadable files and all pairs whose
    sizes differ, instead of failing at the first such sample mid-training.
    Pixel values are checked per sample by ``LoadBinaryMask``.

    ``ratio`` (default 1.0) keeps a seeded fraction of the images (few-shot
    study; ``ratio_seed`` picks the subset); see ``mmseg_ht.datasets.few_shot``.

    ``spacing.csv`` in the data root (written by the converters) gives each
    sample a ``spacing`` (row, col) in mm, or None; images it does not list get
    None. Without the file (older conversions, hand-made sets) all are None.
    """

    METAINFO = dict(classes=('background', 'foreground'), palette=PALETTE)
    CONVERTER = 'folder'

    def __init__(self,
                 img_suffix: str = '.png',
                 seg_map_suffix: str = '.png',
                 reduce_zero_label: bool = False,
                 check_headers: bool = True,
                 ratio: float = 1.0,
                 ratio_seed: int = 0,
                 **kwargs) -> None:
        self.check_headers = check_headers
        self._init_few_shot(ratio, ratio_seed)
        super().__init__(
            img_suffix=img_suffix,
            seg_map_suffix=seg_map_suffix,
            reduce_zero_label=reduce_zero_label,
            **kwargs)

    @classmethod
    def prepare_hint(cls) -> str:
        """How to create the data: the converter command and the DATA_ROOT setting."""
        return (f'Convert the source data first (python tools/dataset_converters/'
                f'{cls.CONVERTER}.py SRC OUT) and set DATA_ROOT in the config to OUT.')

    def _missing(self, what: str, path: str) -> FileNotFoundError:
        """Error for a missing/empty folder of this data set."""
        return FileNotFoundError(f'{type(self).__name__}: {what} {path}. {self.prepare_hint()}')

    def _list(self, folder: str, suffix: str) -> Set[str]:
        """Names (relative, recursive) of the files ending in ``suffix`` inside ``folder``."""
        return set(
            fileio.list_dir_or_file(
                folder,
                list_dir=False,
                suffix=suffix,
                recursive=True,
                backend_args=self.backend_args))

    def _check_folders(self) -> Optional[Set[str]]:
        """Raise ``FileNotFoundError`` for a missing data root or missing/empty image folder.

        Returns the image names found (None when an ``ann_file`` lists them instead).
        """
        if self.data_root and not fileio.exists(self.data_root, backend_args=self.backend_args):
            raise self._missing('data root does not exist:', self.data_root)
        img_dir = self.data_prefix.get('img_path', '')
        if not fileio.isdir(img_dir, backend_args=self.backend_args):
            raise self._missing('image folder does not exist:', img_dir)
        if self.ann_file and not fileio.isdir(self.ann_file, backend_args=self.backend_args):
            return None
        images = self._list(img_dir, self.img_suffix)
        if not images:
            raise self._missing(f'no *{self.img_suffix} images in', img_dir)
        return images

    def _check_pairs(self, images: Set[str]) -> None:
        """Raise ``FileNotFoundError`` listing images without masks and masks without images."""
        ann_dir = self.data_prefix.get('seg_map_path')
        if ann_dir is None:
            return
        if not fileio.isdir(ann_dir, backend_args=self.backend_args):
            raise self._missing('mask folder does not exist:', ann_dir)
        image_stems = _stems(images, self.img_suffix)
        mask_stems = _stems(self._list(ann_dir, self.seg_map_suffix), self.seg_map_suffix)
        problems = []
        if image_stems - mask_stems:
            lonely = image_stems - mask_stems
            problems.append(f'{len(lonely)} image(s) in {self.data_prefix["img_path"]} without a '
                            f'mask: {list_names(n + self.img_suffix for n in lonely)}')
        if mask_stems - image_stems:
            lonely = mask_stems - image_stems
            problems.append(f'{len(lonely)} mask(s) in {ann_dir} without an '
                            f'image: {list_names(n + self.seg_map_suffix for n in lonely)}')
        if problems:
            raise FileNotFoundError(
                f'{type(self).__name__}: images and masks do not pair up; ' + '; '.join(problems) +
                '. Every image needs a mask with the same name: remove the stray files or '
                f're-create the set. {self.prepare_hint()}')

    def _check_headers(self, data_list: List[dict]) -> None:
        """Raise ``DataValidationError`` listing unreadable files and image/mask size mismatches."""
        unreadable, mismatched, first = [], [], []  # first: the first offending file
        for info in data_list:
            sizes = {}
            for key in ('img_path', 'seg_map_path'):
                path = info.get(key)
                if path is None:
                    continue
                try:
                    sizes[key] = image_header_size(path, self.backend_args)
                except DataValidationError as err:
                    unreadable.append(f'{path} ({err.problem})')
                    first.append(str(path))
            if len(sizes) == 2 and sizes['img_path'] != sizes['seg_map_path']:
                (iw, ih), (mw, mh) = sizes['img_path'], sizes['seg_map_path']
                mismatched.append(f'{info["seg_map_path"]} is {mw}x{mh} (WxH), its image '
                                  f'{iw}x{ih}')
                first.append(str(info['seg_map_path']))
        problems = []
        if unreadable:
            problems.append(f'{len(unreadable)} unreadable file(s): ' +
                            list_names(unreadable, sep='; ', sort=False))
        if mismatched:
            problems.append(f'{len(mismatched)} mask(s) of another size than their image: ' +
                            list_names(mismatched, sep='; ', sort=False))
        if problems:
            raise DataValidationError(
                f'{type(self).__name__} ({self.data_prefix.get("img_path")}): ' +
                ' | '.join(problems) + '. Replace or remove these pairs (masks are never '
                f'resized automatically), or re-create the set. {self.prepare_hint()}',
                path=first[0])

    def _spacing_table(self) -> Dict[str, Optional[Tuple[float, float]]]:
        """``spacing.csv`` of the data root by relative image path ({} without the file)."""
        if not self.data_root:
            return {}
        path = osp.join(self.data_root, SPACING_FILE)
        if not fileio.exists(path, backend_args=self.backend_args):
            return {}
        try:
            return parse_spacing_table(fileio.get_text(path, backend_args=self.backend_args), path)
        except ValueError as err:
            raise DataValidationError(
                f'{type(self).__name__}: {err}. Re-create the set with '
                f'the converter, or fix the file. {self.prepare_hint()}',
                path=path) from err

    def _add_spacing(self, data_list: List[dict]) -> None:
        """Set every sample's ``spacing`` from ``spacing.csv`` (None when not listed)."""
        table = self._spacing_table()
        for info in data_list:
            relative = osp.relpath(info['img_path'], self.data_root) if table else ''
            info['spacing'] = table.get(relative.replace(osp.sep, '/'))

    def load_data_list(self) -> List[dict]:
        """mmseg's directory listing (its ``ratio`` subset), after checking the folders exist and
        pair up, with each image's spacing."""
        images = self._check_folders()
        if images is not None:
            self._check_pairs(images)
        data_list = self.apply_few_shot(super().load_data_list())
        if self.check_headers:
            self._check_headers(data_list)
        self._add_spacing(data_list)
        return data_list

    def prepare_data(self, idx: int) -> Any:
        """The pipeline's output, with the image's ``spacing`` in its data sample's metainfo.

        Done here rather than by ``PackSegInputs(meta_keys=...)`` so that every config
        (and test-time augmentation, whose output holds a list of samples) carries it.
        A sample that fails on an image OpenCV cannot decode (mmcv's loader then raises
        a bare ``AssertionError``) raises the ``DataValidationError`` saying why.
        """
        data_info = self.get_data_info(idx)
        spacing = data_info.get('spacing')
        try:
            data = self.pipeline(data_info)
        except DataValidationError:
            raise
        except Exception as error:
            unreadable = opencv_image_problem(data_info['img_path'], self.backend_args)
            if unreadable is None:
                raise
            raise unreadable from error
        if spacing is not None and isinstance(data, dict):
            samples = data.get('data_samples')
            for sample in samples if isinstance(samples, (list, tuple)) else [samples]:
                if hasattr(sample, 'set_metainfo'):
                    sample.set_metainfo(dict(spacing=spacing))
        return data


def _binary_set(name: str, foreground: str, converter: str, doc: str) -> type:
    """Define and register ``name``: the set ``converter`` writes, one foreground class."""
    cls = type(
        name, (BinaryUltrasoundDataset, ),
        dict(
            __doc__=doc,
            __module__=__name__,
            CONVERTER=converter,
            METAINFO=dict(classes=('background', foreground), palette=PALETTE)))
    return DATASETS.register_module(module=cls)


# One row per set: class name, foreground class, converter tool, description.
BUSIDataset, DDTIDataset, TN3KDataset, ProstateDataset, LNDataset = (
    _binary_set(*row) for row in (
        ('BUSIDataset', 'lesion', 'busi', 'BUSI breast ultrasound: lesion (benign or malignant).'),
        ('DDTIDataset', 'nodule', 'ddti', 'DDTI thyroid ultrasound: nodule vs background.'),
        ('TN3KDataset', 'nodule', 'tn3k', 'TN3K thyroid ultrasound: nodule vs background.'),
        ('ProstateDataset', 'prostate', 'prostate', 'MicroSegNet micro-ultrasound: prostate.'),
        ('LNDataset', 'lymph node', 'folder', 'Lymph-node sets (LN-INT, LN-EXT), in-house sets.'),
    ))


@DATASETS.register_module()
class PhantomUSDataset(BinaryUltrasoundDataset):
    """The synthetic breast phantom demo set (``mmseg_ht.datasets.phantom``): lesion."""

    METAINFO = dict(classes=('background', 'lesion'), palette=PALETTE)

    @classmethod
    def prepare_hint(cls) -> str:
        """How to generate the phantom set and point DATA_ROOT at it."""
        return ('Generate it first (python -c "from mmseg_ht.datasets.phantom import '
                'make_phantom_dataset; make_phantom_dataset(\'OUT\')") and set DATA_ROOT '
                'in the config to OUT.')
