"""Shared helpers for the contrastive-stage tests: a tiny CLIP weights file."""
import math

import pytest
import torch


@pytest.fixture(scope='session')
def tiny_clip_weights(tmp_path_factory):
    """A full state dict of 'mmseg_ht-tiny-vit16' (both towers, logit_scale = log 50)."""
    import open_clip
    from safetensors.torch import save_file

    from mmseg_ht.models.backbones.towers import _register_bundled_configs
    _register_bundled_configs()
    torch.manual_seed(0)
    state = open_clip.create_model('mmseg_ht-tiny-vit16').state_dict()
    state['logit_scale'] = torch.tensor(math.log(50.0))
    path = tmp_path_factory.mktemp('weights') / 'tiny_clip.safetensors'
    save_file({k: v.contiguous() for k, v in state.items()}, str(path))
    return path
