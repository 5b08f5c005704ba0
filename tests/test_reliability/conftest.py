"""Fixtures of the reliability tests (helpers live in reliability_helpers.py)."""
from pathlib import Path

import pytest
from reliability_helpers import write_file


@pytest.fixture
def layout(tmp_path):
    """``layout(image, mask, stem='case')`` writes one pair into a fresh mmseg layout; returns the
    root."""
    counter = [0]

    def _make(image, mask, stem: str = 'case') -> Path:
        counter[0] += 1
        root = tmp_path / f'root{counter[0]}'
        if image is not None:
            write_file(root / 'img_dir/train' / f'{stem}.png', image)
        else:
            (root / 'img_dir/train').mkdir(parents=True)
        if mask is not None:
            write_file(root / 'ann_dir/train' / f'{stem}.png', mask)
        else:
            (root / 'ann_dir/train').mkdir(parents=True)
        return root

    return _make


@pytest.fixture
def marker(tmp_path):
    """The file a crafted pickle (``reliability_helpers.Exploit``) creates if it ever runs."""
    path = tmp_path / 'code_was_run'
    yield path
    assert not path.exists(), 'a crafted pickle executed code'
