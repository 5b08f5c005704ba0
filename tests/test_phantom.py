"""Tests of the built-in ultrasound-like phantom data set generator and its CLI."""
import csv
import importlib.util
import json
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from mmseg_ht.datasets import phantom
from mmseg_ht.datasets.phantom import (LABELS, SPLITS, generate_phantom_sample,
                                       make_phantom_dataset, read_split, split_labels)
from mmseg_ht.evaluation.reference_scores import reference_scores

REPO_ROOT = Path(__file__).resolve().parents[1]
ARGS = dict(num_train=12, num_val=5, num_test=5, size=128, seed=3)


@pytest.fixture(scope='module')
def dataset(tmp_path_factory) -> Path:
    """A small phantom data set shared by the tests of this module."""
    root = tmp_path_factory.mktemp('phantom')
    make_phantom_dataset(root, **ARGS)
    return root


def _files(root: Path) -> dict:
    """Relative path -> bytes of every file under ``root``."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob('*')) if p.is_file()
    }


def _labels(root: Path) -> list:
    """Rows of labels.csv."""
    with open(root / 'labels.csv', newline='') as handle:
        return list(csv.DictReader(handle))


def _ring_means(image: np.ndarray, mask: np.ndarray, width: int = 7):
    """Mean grey level inside the mask and in a ring of ``width`` pixels around it (inside the
    FOV)."""
    ring = (cv2.dilate(mask, np.ones((2 * width + 1, ) * 2, np.uint8)) > 0) & (mask == 0) & (
        image > 0)
    return image[mask > 0].mean(), image[ring].mean()


def test_same_seed_gives_identical_bytes_other_seed_differs(dataset, tmp_path):
    make_phantom_dataset(tmp_path / 'again', **ARGS)
    assert _files(tmp_path / 'again') == _files(dataset)
    make_phantom_dataset(tmp_path / 'other', **{**ARGS, 'seed': 4})
    other = _files(tmp_path / 'other')
    images = [k for k in other if k.startswith('img_dir')]
    assert all(other[k] != _files(dataset)[k] for k in images)


def test_layout_counts_and_metadata(dataset):
    counts = dict(zip(SPLITS, (ARGS['num_train'], ARGS['num_val'], ARGS['num_test'])))
    rows = _labels(dataset)
    assert list(rows[0]) == ['filename', 'label', 'split']
    assert len({r['filename'] for r in rows}) == len(rows) == sum(counts.values())
    for split, count in counts.items():
        images = sorted(p.name for p in (dataset / 'img_dir' / split).glob('*.png'))
        masks = sorted(p.name for p in (dataset / 'ann_dir' / split).glob('*.png'))
        assert images == masks == sorted(r['filename'] for r in rows if r['split'] == split)
        assert len(images) == count
    info = json.loads((dataset / 'phantom_info.json').read_text())
    assert info['seed'] == ARGS['seed'] and info['generator_version'] == phantom.GENERATOR_VERSION
    assert {s: c['total'] for s, c in info['counts'].items()} == counts
    assert {r['label'] for r in rows} <= set(LABELS)


def test_images_and_masks_have_expected_shapes_and_values(dataset):
    for split in SPLITS:
        for _, image, mask in read_split(dataset, split):
            assert image.dtype == mask.dtype == np.uint8
            assert image.shape == mask.shape == (ARGS['size'], ARGS['size'])
            assert set(np.unique(mask)) <= {0, 1}
            assert image.max() > 150 and image.std() > 10  # bright structures and speckle


def test_lesion_free_images_present_and_masks_match_labels(dataset):
    rows = _labels(dataset)
    label_of = {(r['split'], r['filename']): r['label'] for r in rows}
    for split in SPLITS:
        assert any(label_of[(split, name)] == 'normal' for name, _, _ in read_split(dataset, split))
        for name, _, mask in read_split(dataset, split):
            assert mask.any() == (label_of[(split, name)] != 'normal')
    normal_share = sum(r['label'] == 'normal' for r in rows) / len(rows)
    assert 0.05 <= normal_share <= 0.25


def test_hypoechoic_lesions_are_darker_than_their_surroundings(dataset):
    info = json.loads((dataset / 'phantom_info.json').read_text())
    hypo = {
        m['filename']
        for m in info['images']
        if m['lesions'] and all(les['echo'] in ('hypo', 'anechoic') for les in m['lesions'])
    }
    checked = 0
    for split in SPLITS:
        for name, image, mask in read_split(dataset, split):
            if name in hypo:
                inside, ring = _ring_means(image, mask)
                assert inside < ring - 10, name
                checked += 1
    assert checked >= 3


def test_hyperechoic_lesions_are_brighter_than_their_surroundings():
    found = 0
    for seed in range(24):
        sample = generate_phantom_sample(np.random.default_rng(seed), 'malignant', size=96)
        if sample.meta['num_lesions'] == 1 and sample.meta['lesions'][0]['echo'] == 'hetero_hyper':
            inside, ring = _ring_means(sample.image, sample.mask)
            assert inside > ring + 10, seed
            found += 1
    assert found >= 3


def test_single_threshold_does_not_solve_the_task(dataset):
    scores = reference_scores(dataset, 'train')
    assert 0.0 < scores['otsu_dark']['Dice'] < 60.0
    # Neither trivial guess comes close either; "no lesion" scores only the lesion-free images.
    assert scores['all_foreground']['Dice'] < 30.0
    assert scores['all_background']['Dice'] == pytest.approx(
        100.0 * scores['all_background']['n_empty_gt'] / scores['all_background']['n_images'])


def test_split_labels_and_bad_label():
    labels = split_labels(np.random.default_rng(0), 20)
    assert labels.count('normal') == 2 and labels.count('malignant') == 7
    assert split_labels(np.random.default_rng(0), 4).count('normal') == 1
    with pytest.raises(ValueError):
        generate_phantom_sample(np.random.default_rng(0), 'cyst')


def test_generation_is_fast(tmp_path):
    start = time.perf_counter()
    make_phantom_dataset(tmp_path, num_train=8, num_val=0, num_test=0, size=224, seed=0)
    assert time.perf_counter() - start < 8.0  # about 0.05 s per image on an idle core


def test_cli_writes_the_dataset(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location('make_phantom_dataset',
                                                  REPO_ROOT / 'tools' / 'make_phantom_dataset.py')
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    cli.main([
        str(tmp_path), '--num-train', '3', '--num-val', '1', '--num-test', '4', '--size', '96',
        '--seed', '7'
    ])
    assert len(list((tmp_path / 'ann_dir' / 'test').glob('*.png'))) == 4
    assert json.loads((tmp_path / 'phantom_info.json').read_text())['size'] == 96
    assert 'written to' in capsys.readouterr().out
