"""Benign/malignant classification sets read from the converters' output folder.

The segmentation and classification configs of a data set point at the same
converted folder: images in ``img_dir/<split>/`` (the seeded split of
``assign_splits``), labels in ``labels.csv``. So one image is never in the
training split of one task and the test split of the other.
"""
from pathlib import Path
from typing import Dict, List, Optional

from mmpretrain.datasets import BaseDataset
from mmpretrain.registry import DATASETS

from mmseg_ht.datasets.few_shot import FewShotMixin
from mmseg_ht.utils import list_names
from .labels_csv import LabelsFileError, read_labels_csv

SPLIT_NAMES = ('train', 'val', 'test')


@DATASETS.register_module()
class UltrasoundClsDataset(FewShotMixin, BaseDataset):
    """Images of ``data_prefix.img_path`` labelled by ``labels.csv``.

    Args:
        data_root: the converter's output folder (DATA_ROOT).
        ann_file: labels file, relative to ``data_root``. Defaults to 'labels.csv'.
        data_prefix: ``dict(img_path='img_dir/<split>')``.
        label_map: optional mapping of raw labels in labels.csv to class names
            (e.g. ``{'reactive': 'benign', 'metastatic': 'malignant'}``).
        img_suffix: image file extension.
        ratio: keep this seeded fraction of the images, stratified by class
            (few-shot study); ``ratio_seed`` picks the subset.
        Other arguments: see mmpretrain's ``BaseDataset`` (``pipeline``,
        ``test_mode``, ``indices``, ``classes`` …).
    """

    METAINFO = dict(classes=('benign', 'malignant'))
    CONVERTER = 'folder'

    def __init__(self,
                 data_root: str = '',
                 ann_file: str = 'labels.csv',
                 data_prefix: Optional[dict] = None,
                 label_map: Optional[Dict[str, str]] = None,
                 img_suffix: str = '.png',
                 ratio: float = 1.0,
                 ratio_seed: int = 0,
                 **kwargs) -> None:
        self._init_few_shot(ratio, ratio_seed)
        self.label_map = dict(label_map or {})
        self.img_suffix = img_suffix
        super().__init__(
            ann_file=ann_file,
            data_root=data_root,
            data_prefix=data_prefix or dict(img_path='img_dir/train'),
            **kwargs)

    @classmethod
    def prepare_hint(cls) -> str:
        return (f'Remedy: convert the source data with python tools/dataset_converters/'
                f'{cls.CONVERTER}.py SRC OUT and set DATA_ROOT to OUT.')

    def _image_names(self, folder: Path) -> List[str]:
        if not folder.is_dir():
            raise FileNotFoundError(
                f'{type(self).__name__}: image folder does not exist: {folder}. '
                f'{self.prepare_hint()}')
        names = sorted(p.name for p in folder.iterdir() if p.suffix == self.img_suffix)
        if not names:
            raise FileNotFoundError(
                f'{type(self).__name__}: no *{self.img_suffix} images in {folder}. '
                f'{self.prepare_hint()}')
        return names

    def _label_index(self, raw: str) -> Optional[int]:
        name = self.label_map.get(raw, raw)
        classes = list(self.metainfo['classes'])
        return classes.index(name) if name in classes else None

    def load_data_list(self) -> List[dict]:
        """One ``dict(img_path, gt_label)`` per image of the split folder."""
        folder = Path(self.data_prefix['img_path'])
        names = self._image_names(folder)
        rows = read_labels_csv(self.ann_file, self.prepare_hint())
        missing = [n for n in names if n not in rows or not rows[n].label]
        if missing:
            raise LabelsFileError(
                f'{type(self).__name__}: {len(missing)} image(s) in {folder} have no label in '
                f'{self.ann_file}: {list_names(missing)}. labels.csv must come from the same '
                f'conversion as the images (re-run the converter). {self.prepare_hint()}')
        split = folder.name
        moved = [
            n for n in names if split in SPLIT_NAMES and rows[n].split and rows[n].split != split
        ]
        if moved:
            raise LabelsFileError(
                f'{type(self).__name__}: {self.ann_file} puts {len(moved)} image(s) of {folder} '
                f'in another split: {list_names(moved)}. The file is stale; re-run the converter '
                f'so images and labels.csv agree. {self.prepare_hint()}')
        data_list, unknown = [], {}
        for name in names:
            index = self._label_index(rows[name].label)
            if index is None:
                unknown.setdefault(rows[name].label, []).append(name)
                continue
            data_list.append(dict(img_path=str(folder / name), gt_label=index))
        if unknown:
            details = '; '.join(f'{label!r}: {list_names(files)}'
                                for label, files in unknown.items())
            raise LabelsFileError(
                f'{type(self).__name__}: labels in {self.ann_file} that are not classes '
                f'{tuple(self.metainfo["classes"])}: {details}. Map them with label_map=dict(...) '
                'in the dataset config, or re-convert without them (e.g. BUSI without '
                '--include-normal).')
        return self.apply_few_shot(data_list)

    def few_shot_strata(self, data_list: List[dict]) -> List[int]:
        """Few-shot subsets are stratified by class."""
        return [info['gt_label'] for info in data_list]


@DATASETS.register_module()
class BUSIClsDataset(UltrasoundClsDataset):
    """BUSI benign vs malignant (normal images excluded by the converter)."""

    CONVERTER = 'busi'


@DATASETS.register_module()
class LNClsDataset(UltrasoundClsDataset):
    """Lymph nodes (LN-INT, LN-EXT): benign vs malignant, generic folder converter."""

    CONVERTER = 'folder'
