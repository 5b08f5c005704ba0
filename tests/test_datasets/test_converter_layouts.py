"""DDTI, TN3K, prostate and generic-folder converters on small synthetic release layouts."""
import csv
import json
from pathlib import Path

import cv2
import numpy as np

from mmseg_ht.datasets.converters import (ConvertOptions, convert_ddti, convert_folder,
                                          convert_prostate, convert_tn3k)


def read_labels(out: Path):
    """labels.csv rows keyed by output file name."""
    with open(out / 'labels.csv', newline='') as handle:
        return {row['filename']: row for row in csv.DictReader(handle)}


def read_mask(out: Path, row) -> np.ndarray:
    return cv2.imread(str(out / 'ann_dir' / row['split'] / row['filename']), cv2.IMREAD_UNCHANGED)


def test_ddti(ddti_src: Path, tmp_path: Path):
    out = tmp_path / 'out'
    report = convert_ddti(ddti_src, out)
    rows = read_labels(out)
    # 10 cases x 2 images + 11_1 + 13_1; skips: empty svg, truncated svg, image without mark
    assert len(rows) == 22
    assert report.skipped_by_reason() == {'no annotation': 2, 'annotation not valid JSON': 1}
    assert {s['file'] for s in report.skipped} == {'11_2.jpg', '12_1.jpg', '13_2.jpg'}
    assert rows['1_1.png']['label'] == '4a' and rows['11_1.png']['label'] == '3'
    assert rows['13_1.png']['label'] == ''
    # polygons are filled: square 10..30 -> 21 x 21 pixels; two regions are merged
    square = read_mask(out, rows['1_1.png'])
    assert square.dtype == np.uint8 and set(np.unique(square)) == {0, 1}
    assert square[10:31, 10:31].all() and square.sum() == 21 * 21
    both = read_mask(out, rows['11_1.png'])
    assert both.sum() > square.sum() and both[10:31, 10:31].all()
    # split by case: both images of a case share a split
    for case in range(1, 11):
        assert rows[f'{case}_1.png']['split'] == rows[f'{case}_2.png']['split']
        assert rows[f'{case}_1.png']['group'] == f'case {case}'
    assert report.to_dict()['groups_per_split'] == {'train': 10, 'val': 1, 'test': 1}


def test_tn3k(tn3k_src: Path, tmp_path: Path):
    out = tmp_path / 'out'
    report = convert_tn3k(tn3k_src, out, ConvertOptions(seed=5))
    rows = read_labels(out)
    assert report.counts == {'train': 8, 'val': 2, 'test': 4}
    test_rows = {n for n, r in rows.items() if r['split'] == 'test'}
    assert test_rows == {f'test_0{i:03d}.png' for i in range(4)}
    assert all(r['source'].startswith('trainval-image/') for n, r in rows.items()
               if n not in test_rows)
    # JPEG masks are noisy: thresholded at 128 and counted; PNG test masks are clean
    assert len(report.masks_binarised) == 10
    assert all(src.startswith('trainval-image/') for src in report.masks_binarised)
    for row in rows.values():
        assert set(np.unique(read_mask(out, row))) == {0, 1}


def test_prostate(prostate_src: Path, tmp_path: Path):
    out = tmp_path / 'out'
    report = convert_prostate(prostate_src, out)
    rows = read_labels(out)
    # 7 patients x 4 non-empty slices; test patients keep the predefined split
    assert len(rows) == 28 and report.counts['test'] == 8
    assert report.to_dict()['groups_per_split'] == {'train': 4, 'val': 1, 'test': 2}
    by_group = {}
    for row in rows.values():
        by_group.setdefault(row['group'], set()).add(row['split'])
    assert all(len(splits) == 1 for splits in by_group.values())
    row = rows['microUS_train_01_001.png']
    assert row['source'] == 'train/micro_ultrasound_scans/microUS_train_01.nii.gz[z=1]'
    image = cv2.imread(str(out / 'img_dir' / row['split'] / row['filename']), cv2.IMREAD_UNCHANGED)
    mask = read_mask(out, row)
    # slices are transposed to (rows=y, cols=x): volume (x=40, y=30) -> 30 x 40 image
    assert image.shape == mask.shape == (30, 40) and image.dtype == np.uint8
    assert image.max() > 200  # float scan stretched to 8 bit
    assert mask[5:20, 10:30].all() and mask.sum() == 15 * 20

    kept = convert_prostate(prostate_src, tmp_path / 'all', keep_empty_slices=True)
    assert sum(kept.counts.values()) == 42 and sum(kept.empty_masks.values()) == 14


def test_folder_with_labels(folder_src: Path, tmp_path: Path):
    out = tmp_path / 'out'
    report = convert_folder(folder_src, out)
    rows = read_labels(out)
    assert report.counts == {'train': 16, 'val': 2, 'test': 2}
    for split in ('train', 'val', 'test'):  # stratified by label
        assert {r['label'] for r in rows.values() if r['split'] == split} == {'benign', 'malignant'}
    assert rows['img000.png']['source'] == 'images/img000.png'


def test_folder_all_test_and_groups(folder_src: Path, tmp_path: Path):
    report = convert_folder(folder_src, tmp_path / 'ext', all_test=True)
    assert report.counts == {'train': 0, 'val': 0, 'test': 20}
    (folder_src / 'labels.csv').write_text('filename,label,group\n' +
                                           ''.join(f'img{i:03d},x,patient{i // 4}\n'
                                                   for i in range(20)))
    grouped = convert_folder(folder_src, tmp_path / 'grouped')
    rows = read_labels(tmp_path / 'grouped')
    for p in range(5):
        assert len({r['split'] for r in rows.values() if r['group'] == f'patient{p}'}) == 1
    assert grouped.to_dict()['groups_per_split'] == {'train': 3, 'val': 1, 'test': 1}
    saved = json.loads((tmp_path / 'grouped' / 'conversion_report.json').read_text())
    assert saved['counts']['total'] == 20


def test_crop_borders_keeps_mask(tmp_path: Path, write_image):
    src = tmp_path / 'src'
    image = np.zeros((120, 160), dtype=np.uint8)
    image[20:100, 40:130] = 128  # field of view
    cv2.putText(image, 'L', (2, 15), cv2.FONT_HERSHEY_SIMPLEX, 0.4, 255, 1)  # text in the frame
    mask = np.zeros_like(image)
    mask[50:60, 60:70] = 255
    outside = mask.copy()
    outside[100:110, 130:140] = 255  # lesion pixels in the frame
    for name, name_mask in (('inside', mask), ('outside', outside)):
        write_image(src / 'images' / f'{name}.png', image)
        write_image(src / 'masks' / f'{name}.png', name_mask)
    out = tmp_path / 'out'
    report = convert_folder(src, out, ConvertOptions(crop_borders=True), all_test=True)
    inside = cv2.imread(str(out / 'img_dir' / 'test' / 'inside.png'), cv2.IMREAD_UNCHANGED)
    assert inside.shape == (80, 90) and (inside == 128).all()
    grown = cv2.imread(str(out / 'ann_dir' / 'test' / 'outside.png'), cv2.IMREAD_UNCHANGED)
    assert grown.shape == (90, 100) and grown.sum() == 200
    assert report.cropped == 2 and report.crop_expanded_for_mask == ['images/outside.png']
    assert 'box grown to keep mask pixels: 1' in report.summary()
