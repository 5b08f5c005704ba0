"""Classification data sets: labels from labels.csv, splits from the converter's folders."""
import csv
from pathlib import Path

import cv2
import numpy as np
import pytest

from mmseg_ht.classification import (BUSIClsDataset, LabelsFileError, LNClsDataset,
                                     UltrasoundClsDataset)


def make_converted(root: Path, rows, write_labels=True):
    """img_dir/<split>/<name> images and a labels.csv; rows: (name, label, split)."""
    for name, _, split in rows:
        folder = root / 'img_dir' / split
        folder.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(folder / name), np.full((20, 30), 100, np.uint8))
    if write_labels:
        with (root / 'labels.csv').open('w', newline='') as handle:
            writer = csv.writer(handle)
            writer.writerow(['filename', 'label', 'split', 'source', 'group'])
            for name, label, split in rows:
                writer.writerow([name, label, split, f'src/{name}', ''])
    return root


ROWS = [('a.png', 'benign', 'train'), ('b.png', 'malignant', 'train'),
        ('c.png', 'malignant', 'test')]


def build(cls, root, split='train', **kwargs):
    return cls(data_root=str(root), data_prefix=dict(img_path=f'img_dir/{split}'), **kwargs)


def test_labels_and_split_come_from_the_converted_folder(tmp_path):
    root = make_converted(tmp_path, ROWS)
    train = build(LNClsDataset, root)
    names = [Path(train.get_data_info(i)['img_path']).name for i in range(len(train))]
    assert names == ['a.png', 'b.png']
    assert list(train.get_gt_labels()) == [0, 1]
    assert train.metainfo['classes'] == ('benign', 'malignant')
    test = build(LNClsDataset, root, split='test', test_mode=True)
    assert len(test) == 1 and test.get_cat_ids(0) == [1]


def test_missing_labels_csv_names_path_and_remedy(tmp_path):
    root = make_converted(tmp_path, ROWS, write_labels=False)
    hint = r'labels\.csv does not exist.*tools/dataset_converters/busi\.py'
    with pytest.raises(LabelsFileError, match=hint):
        build(BUSIClsDataset, root)


def test_image_without_label(tmp_path):
    root = make_converted(tmp_path, ROWS)
    cv2.imwrite(str(root / 'img_dir' / 'train' / 'stray.png'), np.zeros((4, 4), np.uint8))
    with pytest.raises(LabelsFileError, match=r'1 image\(s\) .* have no label .*stray\.png'):
        build(LNClsDataset, root)


def test_unknown_labels_and_label_map(tmp_path):
    root = make_converted(tmp_path, [('a.png', 'reactive', 'train'),
                                     ('b.png', 'metastatic', 'train')])
    with pytest.raises(LabelsFileError, match="not classes .*'reactive'"):
        build(UltrasoundClsDataset, root)
    dataset = build(
        UltrasoundClsDataset, root, label_map=dict(reactive='benign', metastatic='malignant'))
    assert list(dataset.get_gt_labels()) == [0, 1]


def test_stale_labels_file(tmp_path):
    root = make_converted(tmp_path, ROWS)
    (root / 'img_dir' / 'test' / 'c.png').rename(root / 'img_dir' / 'train' / 'c.png')
    with pytest.raises(LabelsFileError, match='in another split: c.png'):
        build(LNClsDataset, root)


def test_real_busi_same_split_as_segmentation(busi_cls_root):
    rows = list(csv.DictReader((busi_cls_root / 'labels.csv').open()))
    for split in ('train', 'val', 'test'):
        dataset = build(BUSIClsDataset, busi_cls_root, split=split)
        names = {Path(dataset.get_data_info(i)['img_path']).name for i in range(len(dataset))}
        seg_names = {p.name for p in (busi_cls_root / 'ann_dir' / split).glob('*.png')}
        assert names == seg_names == {r['filename'] for r in rows if r['split'] == split}
        labels = {
            Path(dataset.get_data_info(i)['img_path']).name: dataset.get_cat_ids(i)[0]
            for i in range(len(dataset))
        }
        assert all(labels[n] == int(n.startswith('malignant')) for n in names)
