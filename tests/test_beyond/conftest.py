"""Fixtures for the beyond-the-paper tests: a small, separable two-class image folder.

'benign' images carry horizontal stripes, 'malignant' vertical ones (random
period, phase and noise), so even a randomly initialised tiny tower embeds
the two classes apart: a method that uses the embeddings well must separate
them. Written in the converters' layout (img_dir/<split>/, labels.csv).
"""
import csv
from pathlib import Path

import cv2
import numpy as np
import pytest

import mmseg_ht  # noqa: F401  (mmcv.ops stand-in before mmseg/mmpretrain)

SPLIT_SIZES = {'train': 16, 'val': 4, 'test': 12}
CLASSES = ('benign', 'malignant')


def stripe_image(rng: np.random.Generator,
                 label: str,
                 size: int = 224,
                 brightness: bool = False) -> np.ndarray:
    """Gray uint8 stripes: horizontal for benign, vertical for malignant, plus noise.

    ``brightness`` also makes benign images dark and malignant ones bright (a larger gap
    in the embedding of a random tower).
    """
    period = rng.uniform(10, 30)
    phase = rng.uniform(0, 2 * np.pi)
    axis = np.arange(size, dtype=np.float32)
    wave = 0.5 + 0.5 * np.sin(2 * np.pi * axis / period + phase)
    image = np.repeat(wave[:, None], size, 1) if label == 'benign' else np.repeat(
        wave[None, :], size, 0)
    low, span = (20, 80) if brightness and label == 'benign' else ((140, 100) if brightness else
                                                                   (40, 160))
    image = low + span * image + rng.normal(0, 15, (size, size))
    return np.clip(image, 0, 255).astype(np.uint8)


def write_stripe_dataset(root: Path, seed: int = 0, brightness: bool = False) -> Path:
    """Write the stripes data set under ``root``; returns ``root``."""
    rng = np.random.default_rng(seed)
    rows = []
    for split, count in SPLIT_SIZES.items():
        folder = root / 'img_dir' / split
        folder.mkdir(parents=True)
        for index in range(count):
            label = CLASSES[index % 2]
            name = f'{split}_{index:02d}_{label}.png'
            assert cv2.imwrite(str(folder / name), stripe_image(rng, label, brightness=brightness))
            rows.append(dict(filename=name, label=label, split=split, source='stripes'))
    with (root / 'labels.csv').open('w', newline='') as handle:
        writer = csv.DictWriter(handle, fieldnames=['filename', 'label', 'split', 'source'])
        writer.writeheader()
        writer.writerows(rows)
    return root


@pytest.fixture(scope='session')
def stripes_root(tmp_path_factory) -> Path:
    """The stripes data set (16 train, 4 val, 12 test images; half of each class)."""
    return write_stripe_dataset(tmp_path_factory.mktemp('stripes') / 'stripes')


@pytest.fixture(scope='session')
def bright_stripes_root(tmp_path_factory) -> Path:
    """The stripes data set with dark benign and bright malignant images."""
    return write_stripe_dataset(tmp_path_factory.mktemp('bright') / 'stripes', brightness=True)
