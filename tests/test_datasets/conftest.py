"""Fixtures building small synthetic release layouts and a real BUSI subset for converter tests."""
import json
import shutil
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import cv2
import numpy as np
import pytest

import mmseg_ht  # noqa: F401  (installs the mmcv.ops stand-in before mmseg is imported)

# BUSI files picked for the subset: multi-focal (_mask_1, _mask_1 + _mask_2), RGB, plain, normal.
BUSI_SUBSET = {
    'benign':
    ['benign (100)', 'benign (195)', 'benign (102)', 'benign (1)', 'benign (2)', 'benign (3)'],
    'malignant': ['malignant (53)', 'malignant (1)', 'malignant (2)', 'malignant (3)'],
    'normal': ['normal (1)'],
}


def speckle_image(shape: Tuple[int, int], seed: int = 0) -> np.ndarray:
    """Gray uint8 image with values 20..230, so nothing in it looks like a black frame."""
    return np.random.default_rng(seed).integers(20, 230, size=shape, dtype=np.uint8)


def disk_mask(shape: Tuple[int, int],
              centre: Tuple[int, int],
              radius: int,
              value: int = 255) -> np.ndarray:
    """uint8 mask with a filled disk of ``value`` (centre given as x, y)."""
    mask = np.zeros(shape, dtype=np.uint8)
    cv2.circle(mask, centre, radius, int(value), -1)
    return mask


def write(path: Path, array: np.ndarray) -> Path:
    """Write an image with OpenCV (format from the extension), creating folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), array), path
    return path


@pytest.fixture
def write_image() -> Callable[[Path, np.ndarray], Path]:
    """The ``write`` helper, for tests that build their own files."""
    return write


@pytest.fixture
def make_pairs() -> Callable[..., List[str]]:
    """Write ``count`` image/mask pairs into two folders; return the stems."""

    def _make(image_dir: Path,
              mask_dir: Path,
              count: int,
              image_ext: str = '.png',
              mask_ext: str = '.png',
              shape: Tuple[int, int] = (48, 64),
              prefix: str = 'img',
              seed: int = 0) -> List[str]:
        stems = []
        for i in range(count):
            stem = f'{prefix}{i:03d}'
            write(image_dir / f'{stem}{image_ext}', speckle_image(shape, seed + i))
            write(mask_dir / f'{stem}{mask_ext}', disk_mask(shape, (20 + i % 20, 24), 8))
            stems.append(stem)
        return stems

    return _make


@pytest.fixture
def folder_src(tmp_path: Path, make_pairs) -> Path:
    """Generic ``images/`` + ``masks/`` layout with 20 pairs and a labels.csv (two classes)."""
    src = tmp_path / 'folder_src'
    stems = make_pairs(src / 'images', src / 'masks', 20)
    lines = ['filename,label'
             ] + [f'{s}.png,{"malignant" if i % 2 else "benign"}' for i, s in enumerate(stems)]
    (src / 'labels.csv').write_text('\n'.join(lines) + '\n')
    return src


@pytest.fixture
def tn3k_src(tmp_path: Path, make_pairs) -> Path:
    """TN3K layout: 10 trainval pairs (jpg masks) and 4 test pairs (png masks), both from 0000."""
    src = tmp_path / 'tn3k_src'
    make_pairs(src / 'trainval-image', src / 'trainval-mask', 10, '.jpg', '.jpg', prefix='0')
    make_pairs(src / 'test-image', src / 'test-mask', 4, '.jpg', '.png', prefix='0')
    return src


def ddti_xml(case: str, marks: Dict[int, Optional[str]], tirads: Optional[str] = '4a') -> str:
    """A DDTI case XML; ``marks`` maps image number -> svg text (None: empty svg)."""
    tirads_xml = f'<tirads>{tirads}</tirads>' if tirads is not None else '<tirads/>'
    body = ''.join(f'<mark><image>{n}</image><svg>{svg or ""}</svg></mark>'
                   for n, svg in marks.items())
    return (f'<?xml version="1.0" encoding="utf-8"?><case><number>{case}</number><age>40</age>'
            f'<sex>F</sex>{tirads_xml}{body}</case>')


def svg_regions(*polygons: List[Tuple[int, int]]) -> str:
    """svg JSON of freehand regions with the given (x, y) points."""
    return json.dumps([{
        'points': [{
            'x': x,
            'y': y
        } for x, y in poly],
        'annotation': {},
        'regionType': 'freehand'
    } for poly in polygons])


SQUARE = [(10, 10), (30, 10), (30, 30), (10, 30)]
TRIANGLE = [(40, 5), (55, 5), (50, 20)]


@pytest.fixture
def ddti_src(tmp_path: Path) -> Path:
    """DDTI layout: 10 cases with two annotated images each, plus awkward cases.

    Case 11: image 1 has two regions, image 2 has an empty svg (no annotation).
    Case 12: truncated svg JSON. Case 13: no <tirads>, image 2 has no mark at all.
    """
    src = tmp_path / 'ddti_src'
    shape = (48, 64)
    for case in range(1, 11):
        (src / f'{case}.xml').parent.mkdir(parents=True, exist_ok=True)
        (src / f'{case}.xml').write_text(
            ddti_xml(str(case), {
                1: svg_regions(SQUARE),
                2: svg_regions(TRIANGLE)
            }))
        for n in (1, 2):
            write(src / f'{case}_{n}.jpg', speckle_image(shape, case * 10 + n))
    (src / '11.xml').write_text(ddti_xml('11', {1: svg_regions(SQUARE, TRIANGLE), 2: None}, '3'))
    (src / '12.xml').write_text(ddti_xml('12', {1: svg_regions(SQUARE)[:-12]}, '5'))
    (src / '13.xml').write_text(ddti_xml('13', {1: svg_regions(SQUARE)}, None))
    for name in ('11_1', '11_2', '12_1', '13_1', '13_2'):
        write(src / f'{name}.jpg', speckle_image(shape, len(name)))
    return src


def write_nifti(path: Path, volume: np.ndarray) -> None:
    """Save a volume as .nii.gz with an identity affine."""
    import nibabel as nib
    path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(nib.Nifti1Image(volume, np.eye(4)), str(path))


@pytest.fixture
def prostate_src(tmp_path: Path) -> Path:
    """MicroSegNet layout: 5 train and 2 test patients, volumes (x=40, y=30, z=6).

    Slices 1..4 of every patient hold prostate; slices 0 and 5 are empty. Train
    scans are float32 with values up to 1000 (rescaled), test scans uint8.
    """
    src = tmp_path / 'prostate_src'
    rng = np.random.default_rng(0)
    for subset, patients, dtype in (('train', 5, np.float32), ('test', 2, np.uint8)):
        for p in range(1, patients + 1):
            scan = rng.uniform(0, 1000 if dtype == np.float32 else 255, (40, 30, 6)).astype(dtype)
            label = np.zeros((40, 30, 6), dtype=np.uint8)
            label[10:30, 5:20, 1:5] = 1
            scans = src / subset / 'micro_ultrasound_scans'
            labels = src / subset / 'expert_annotations'
            write_nifti(scans / f'microUS_{subset}_{p:02d}.nii.gz', scan)
            write_nifti(labels / f'expert_annotation_{subset}_{p:02d}.nii.gz', label)
    return src


@pytest.fixture
def busi_subset(busi_root: Path, tmp_path: Path) -> Path:
    """A copy of 11 real BUSI images (with all their masks) in the release layout."""
    src = tmp_path / 'busi_src'
    for label, stems in BUSI_SUBSET.items():
        (src / label).mkdir(parents=True)
        for stem in stems:
            masks = sorted((busi_root / label).glob(f'{stem}_mask*.png'))
            for path in [busi_root / label / f'{stem}.png'] + masks:
                shutil.copy(path, src / label / path.name)
    return src
