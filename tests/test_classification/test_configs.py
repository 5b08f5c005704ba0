"""Every classification and zero-shot config parses and names registered types."""
from pathlib import Path

import pytest
from mmengine.config import Config

REPO = Path(__file__).resolve().parents[2]
BACKBONES = ('clip', 'metaclip', 'unimedclip', 'biomedclip')
METHODS = ('frozen', 'lora', 'mona', 'ht')


def test_the_grid_of_classification_configs_is_complete():
    expected = {
        f'{b}-{m}_{d}.py'
        for b in BACKBONES
        for m in METHODS
        for d in ('busi', 'ln-int', 'ln-ext')
    }
    assert {p.name for p in (REPO / 'configs' / 'cls').glob('*.py')} == expected


@pytest.mark.parametrize(
    'path',
    sorted((REPO / 'configs' / 'cls').glob('*.py')) + sorted(
        (REPO / 'configs' / 'zero_shot').glob('*.py')),
    ids=lambda p: f'{p.parent.name}/{p.name}')
def test_config_parses(path):
    cfg = Config.fromfile(str(path))
    assert cfg.default_scope == 'mmpretrain'
    assert 'mmseg_ht.classification' in cfg.custom_imports['imports']
    assert cfg.test_evaluator['type'] == 'BinaryClsMetric'
    assert cfg.model.backbone.type == 'CLIPViT'
    data = cfg.test_dataloader.dataset
    assert data.type in ('BUSIClsDataset', 'LNClsDataset', 'UltrasoundClsDataset')
    if path.parent.name == 'cls':
        assert cfg.model.head.type == 'MultiLevelClsHead'
        assert cfg.model.head.loss.type == 'FocalLoss'
        assert cfg.optim_wrapper.optimizer.betas == (0.9, 0.95)
        assert cfg.default_hooks.checkpoint.save_best == 'cls/f1'
        adapter = cfg.model.backbone.adapter
        assert (adapter
                or {}).get('type',
                           'frozen').lower().startswith(path.stem.split('-')[1].split('_')[0])
    else:
        assert cfg.model.type == 'PromptEnsembleClassifier'
        assert cfg.model.prompts in ('breast', 'lymph_node', 'thyroid')
    if 'ln-ext' in path.stem:
        assert data.data_root.endswith('ln-ext')


def test_busi_schedule_is_the_papers():
    cfg = Config.fromfile(str(REPO / 'configs' / 'cls' / 'clip-ht_busi.py'))
    assert cfg.train_cfg.max_iters == 3400 and cfg.train_dataloader.batch_size == 32
    assert cfg.optim_wrapper.optimizer.lr == 1e-4
    assert cfg.optim_wrapper.optimizer.weight_decay == 0.01
