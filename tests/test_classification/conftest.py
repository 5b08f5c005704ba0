"""Fixtures for the classification tests: a small converted BUSI set."""
import shutil
from pathlib import Path

import pytest

import mmseg_ht  # noqa: F401  (mmcv.ops stand-in before mmseg/mmpretrain)

# 6 benign + 4 malignant -> stratified 8:1:1 split: 4+2 train, 1+1 val, 1+1 test.
BUSI_PICK = {'benign': [1, 2, 3, 4, 5, 6], 'malignant': [1, 2, 3, 4]}


@pytest.fixture(scope='session')
def busi_cls_root(busi_root: Path, tmp_path_factory) -> Path:
    """10 real BUSI images converted with the project's converter (labels.csv included)."""
    from mmseg_ht.datasets.converters import convert_busi
    src = tmp_path_factory.mktemp('busi_src')
    for label, numbers in BUSI_PICK.items():
        (src / label).mkdir()
        for n in numbers:
            for path in (busi_root / label).glob(f'{label} ({n})*.png'):
                if path.name == f'{label} ({n}).png' or path.name.startswith(f'{label} ({n})_mask'):
                    shutil.copy(path, src / label / path.name)
    out = tmp_path_factory.mktemp('busi_cls') / 'busi'
    convert_busi(src, out)
    return out
