"""Shared pytest fixtures: locations of the optional real data in ../shared/data."""
import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_data_root() -> Path:
    """Folder with the real ultrasound data used by tests and benchmarks.

    ``MMSEG_HT_SHARED_DATA`` overrides the default ``<repo>/../shared/data``.
    """
    return Path(os.environ.get('MMSEG_HT_SHARED_DATA', REPO_ROOT.parent / 'shared' / 'data'))


@pytest.fixture(scope='session')
def busi_root() -> Path:
    """The original BUSI release (``Dataset_BUSI_with_GT``); skips when absent."""
    root = shared_data_root() / 'Dataset_BUSI_with_GT'
    if not (root / 'benign').is_dir():
        pytest.skip(f'real BUSI data not found at {root} '
                    '(set MMSEG_HT_SHARED_DATA to the folder holding Dataset_BUSI_with_GT)')
    return root


@pytest.fixture(scope='session')
def roco_captions_csv() -> Path:
    """ROCO ultrasound captions CSV; skips when absent."""
    path = shared_data_root() / 'roco_ultrasound_captions' / 'roco_ultrasound_captions_test_val.csv'
    if not path.is_file():
        pytest.skip(f'ROCO caption file not found at {path} (set MMSEG_HT_SHARED_DATA)')
    return path
