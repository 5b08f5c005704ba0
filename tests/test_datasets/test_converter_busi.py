"""BUSI converter on a small copy of the real release (skipped when the data is absent)."""
import csv
import json
from pathlib import Path

import cv2
import numpy as np

from mmseg_ht.datasets.converters import ConvertOptions, convert_busi
from mmseg_ht.datasets.converters.busi import SPEC
from mmseg_ht.datasets.converters.cli import main


def read_labels(out: Path):
    """labels.csv rows keyed by output file name."""
    with open(out / 'labels.csv', newline='') as handle:
        return {row['filename']: row for row in csv.DictReader(handle)}


def test_busi_subset_conversion(busi_subset: Path, tmp_path: Path):
    out = tmp_path / 'out'
    report = convert_busi(busi_subset, out)
    rows = read_labels(out)

    # 10 lesion images; the normal one is skipped with a reason
    assert len(rows) == 10 and report.counts == {'train': 6, 'val': 2, 'test': 2}
    excluded = "class 'normal' excluded (pass --include-normal to keep it)"
    assert report.skipped == [{'file': 'normal/normal (1).png', 'reason': excluded}]
    # both classes in every split (stratified)
    for split in ('train', 'val', 'test'):
        assert {r['label'] for r in rows.values() if r['split'] == split} == {'benign', 'malignant'}
    # filesystem-friendly stems with the source mapping
    assert rows['benign_195.png']['source'] == 'benign/benign (195).png'
    assert rows['malignant_53.png']['source'] == 'malignant/malignant (53).png'
    assert all(' ' not in name and '(' not in name for name in rows)

    # multi-focal masks are OR-merged; every mask is 0/1 and matches its image size
    assert sorted(report.masks_merged) == [
        'benign/benign (100).png', 'benign/benign (195).png', 'malignant/malignant (53).png'
    ]
    assert report.images_converted_to_gray == ['benign/benign (102).png']
    src_masks = [
        cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) > 0
        for p in sorted((busi_subset / 'benign').glob('benign (195)_mask*.png'))
    ]
    assert len(src_masks) == 3
    merged = np.logical_or.reduce(src_masks)
    split = rows['benign_195.png']['split']
    out_mask = cv2.imread(str(out / 'ann_dir' / split / 'benign_195.png'), cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(out_mask, merged.astype(np.uint8))
    for name, row in rows.items():
        image = cv2.imread(str(out / 'img_dir' / row['split'] / name), cv2.IMREAD_UNCHANGED)
        mask = cv2.imread(str(out / 'ann_dir' / row['split'] / name), cv2.IMREAD_UNCHANGED)
        assert image.ndim == 2 and image.dtype == np.uint8
        assert mask.shape == image.shape and set(np.unique(mask)) <= {0, 1} and mask.any()

    saved = json.loads((out / 'conversion_report.json').read_text())
    assert saved['counts']['total'] == 10 and saved['seed'] == 0
    assert saved['source'] == str(busi_subset.resolve())
    assert saved['counts_per_class']['val'] == {'benign': 1, 'malignant': 1}
    assert saved['skipped']['by_reason'] == {excluded: 1}


def test_busi_split_is_seeded(busi_subset: Path, tmp_path: Path):

    def splits(out: Path, seed: int):
        convert_busi(busi_subset, out, ConvertOptions(seed=seed))
        return {name: row['split'] for name, row in read_labels(out).items()}

    first = splits(tmp_path / 'a', 0)
    assert splits(tmp_path / 'b', 0) == first
    assert splits(tmp_path / 'c', 1) != first
    a_image = (tmp_path / 'a' / 'img_dir' / first['benign_1.png'] / 'benign_1.png').read_bytes()
    b_image = (tmp_path / 'b' / 'img_dir' / first['benign_1.png'] / 'benign_1.png').read_bytes()
    assert a_image == b_image


def test_busi_include_normal_via_cli(busi_subset: Path, tmp_path: Path, capsys):
    out = tmp_path / 'out'
    assert main(SPEC, [str(busi_subset), str(out), '--include-normal', '--seed', '3']) == 0
    printed = capsys.readouterr().out
    assert 'busi: 11 image/mask pairs' in printed and 'skipped 0' in printed
    rows = read_labels(out)
    normal = rows['normal_1.png']
    assert normal['label'] == 'normal'
    mask = cv2.imread(str(out / 'ann_dir' / normal['split'] / 'normal_1.png'), cv2.IMREAD_UNCHANGED)
    assert not mask.any()
    report = json.loads((out / 'conversion_report.json').read_text())
    assert report['options']['include_normal'] is True and report['seed'] == 3
