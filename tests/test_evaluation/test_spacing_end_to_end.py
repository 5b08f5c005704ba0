"""A DICOM folder converted by tools/dataset_converters/folder.py, then tools/test.py: HD95/ASD
come out in mm (the DICOM ultrasound-region spacing), matching a recomputation from the
written predictions."""
import csv
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from mmseg_ht.evaluation import score_image
from tests.conftest import run_tool
from tests.test_datasets.conftest import disk_mask, speckle_image
from tests.test_datasets.medical_files import write_dicom
from tests.test_tools.test_seg_tools import FAST_LOADERS as FAST
from tests.test_tools.test_seg_tools import SHORT, TINY

SHAPE = (64, 80)
SPACING_MM = (0.1, 0.2)  # PhysicalDeltaY/X 0.01/0.02 cm
CONFIG = 'configs/ht/clip-ht_ln-int.py'


@pytest.fixture(scope='module')
def dicom_data(tmp_path_factory) -> Path:
    """10 ultrasound DICOMs with a cm region and DICOM masks, converted by the CLI."""
    src = tmp_path_factory.mktemp('dicom') / 'src'
    for i in range(10):
        write_dicom(
            src / 'images' / f'case{i:02d}.dcm',
            speckle_image(SHAPE, i),
            region_cm=(SPACING_MM[0] / 10, SPACING_MM[1] / 10))
        write_dicom(src / 'masks' / f'case{i:02d}.dcm',
                    disk_mask(SHAPE, (30 + i, 32), 10 + i, value=1))
    out = src.parent / 'converted'
    result = run_tool('tools/dataset_converters/folder.py', str(src), str(out))
    assert 'pixel spacing (mm): 10 with (DICOM ultrasound region 10), 0 without' in result.stdout
    return out


def test_tools_test_reports_hd95_asd_in_mm(dicom_data: Path, tmp_path: Path):
    work = tmp_path / 'work'
    run_tool(
        'tools/train.py',
        CONFIG,
        '--work-dir',
        str(work),
        '--cfg-options',
        *TINY,
        *FAST,
        *SHORT,
        env={'DATA_ROOT': str(dicom_data)})
    checkpoint = work / 'iter_2.pth'
    pred_dir, out_dir = tmp_path / 'pred', tmp_path / 'out'
    result = run_tool(
        'tools/test.py',
        CONFIG,
        str(checkpoint),
        '--work-dir',
        str(tmp_path),
        '--pred-dir',
        str(pred_dir),
        '--out',
        str(out_dir),
        '--cfg-options',
        *TINY,
        *FAST,
        env={'DATA_ROOT': str(dicom_data)})
    output = result.stdout + result.stderr
    assert 'HD95 (mm)' in output and 'ASD (mm)' in output and 'unit=mm' in output
    metrics = json.loads((tmp_path / 'test_results.json').read_text())['metrics']
    n_test = len(list((dicom_data / 'img_dir' / 'test').glob('*.png')))
    assert metrics['n_images'] == metrics['n_spacing_mm'] == n_test >= 1
    with open(out_dir / 'per_image.csv', newline='') as handle:
        rows = list(csv.DictReader(handle))
    assert {r['unit'] for r in rows} == {'mm'}
    hd95, asd = [], []
    for row in rows:  # recompute from the written predictions with the DICOM spacing
        pred = cv2.imread(str(pred_dir / row['filename']), cv2.IMREAD_UNCHANGED) == 1
        gt = cv2.imread(
            str(dicom_data / 'ann_dir' / 'test' / row['filename']), cv2.IMREAD_UNCHANGED) == 1
        scores = score_image(pred, gt, SPACING_MM)
        assert float(row['HD95']) == pytest.approx(scores.hd95, abs=1e-3)
        hd95.append(scores.hd95)
        asd.append(scores.asd)
        in_pixels = score_image(pred, gt)
        if in_pixels.hd95 > 0:  # mm, not pixels: 0.1-0.2 mm pixels give smaller numbers
            assert scores.hd95 < in_pixels.hd95
    assert metrics['HD95'] == pytest.approx(np.mean(hd95), abs=1e-3)
    assert metrics['ASD'] == pytest.approx(np.mean(asd), abs=1e-3)
