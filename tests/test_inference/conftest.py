"""Shared pieces of the inference tests: the tiny-tower HT config and its segmentor."""
import pytest

TINY = {
    'model.backbone.arch': 'mmseg_ht-tiny-vit16',
    'model.decode_head.in_channels': [64, 64, 64],
    'model.decode_head.channels': 32,
}
TINY_ARGS = [f'{key}={value}'.replace(' ', '') for key, value in TINY.items()]
HT_CONFIG = 'configs/ht/clip-ht_busi.py'


@pytest.fixture(scope='module')
def tiny_ht_segmentor():
    """clip-ht_busi with the tiny tower, spectral filters and head randomised (not identity)."""
    import torch

    from mmseg_ht.engine import load_config
    from mmseg_ht.inference.predictor import build_model
    torch.manual_seed(0)
    model = build_model(load_config(HT_CONFIG, dict(TINY)))
    with torch.no_grad():
        for name, param in model.named_parameters():
            if 'frequency_filter' in name:
                param.uniform_(0.0, 2.0)
    return model
