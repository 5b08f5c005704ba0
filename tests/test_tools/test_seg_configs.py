"""A sample of the segmentation grid parses with the expected pieces.

That the leaves are what tools/misc/generate_configs.py writes is tested in
test_generate_configs.py.
"""
from pathlib import Path

import pytest
from mmengine.config import Config

import mmseg_ht  # noqa: F401
from tests.conftest import REPO_ROOT

CONFIGS = sorted((REPO_ROOT / 'configs').glob('*/*.py'))
LEAVES = [p for p in CONFIGS if p.parent.name != '_base_']

# The generator's check proves every leaf is the template; parsing one row and
# one column of the grid covers every base file.
SAMPLE = [
    p for p in LEAVES
    if p.parent.name == 'ht' and (p.stem.endswith('_busi') or p.stem.startswith('clip-ht_'))
]


@pytest.mark.parametrize('path', SAMPLE, ids=lambda p: p.stem)
def test_segmentation_leaf_parses_with_expected_pieces(path: Path):
    cfg = Config.fromfile(str(path))
    backbone_name, rest = path.stem.split('-', 1)
    method, dataset = rest.split('_')
    assert cfg.model.backbone.type == 'CLIPViT'
    expected_type = {
        'frozen': None,
        'lora': 'LoRAAdapter',
        'mona': 'MonaAdapter',
        'ht': 'HTAdapter',
        'ht-ne': 'HTAdapter',
        'ht-ff': 'HTAdapter'
    }[method]
    adapter = cfg.model.backbone.adapter
    assert (adapter or {}).get('type') == expected_type
    if method == 'ht-ne':
        assert adapter.frequency_filter is None and adapter.noise_estimation
    if method == 'ht-ff':
        assert adapter.frequency_filter == 'spectral' and not adapter.noise_estimation
    assert ('BiomedCLIP' in cfg.model.backbone.arch) == (backbone_name == 'biomedclip')
    assert cfg.train_cfg.max_iters == cfg.param_scheduler.end == cfg.param_scheduler.T_max
    assert cfg.test_evaluator.type == 'SurfaceMetric'
    assert cfg.custom_imports.imports == ['mmseg_ht']
