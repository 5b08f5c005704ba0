"""Fixtures for the classification tests: a small converted BUSI set and tiny towers."""
import shutil
from pathlib import Path

import pytest

import mmseg_ht  # noqa: F401  (mmcv.ops stand-in before mmseg/mmpretrain)

REPO = Path(__file__).resolve().parents[2]
# 6 benign + 4 malignant -> stratified 8:1:1 split: 4+2 train, 1+1 val, 1+1 test.
BUSI_PICK = {'benign': [1, 2, 3, 4, 5, 6], 'malignant': [1, 2, 3, 4]}
TINY_ARCH = 'mmseg_ht-tiny-vit16'  # bundled config: 224 input, 10 blocks, width 64, embed 32


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


@pytest.fixture(scope='session')
def tiny_clip_weights(tmp_path_factory) -> Path:
    """A full (image + text) random tiny CLIP state dict as safetensors."""
    import open_clip
    import torch
    from safetensors.torch import save_file

    from mmseg_ht.models.backbones.towers import _register_bundled_configs
    _register_bundled_configs()
    torch.manual_seed(0)
    model = open_clip.create_model(TINY_ARCH)
    path = tmp_path_factory.mktemp('weights') / 'tiny_clip.safetensors'
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(path))
    return path
