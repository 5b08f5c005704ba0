"""End to end through the real tools: BUSI classifier train (2 iterations) + test, zero-shot.

The tools run in this process (runpy) to keep the suite fast; they are the
same scripts users run.
"""
import json

import pytest
import torch

from tests.conftest import run_tool_in_process

TINY = 'mmseg_ht-tiny-vit16'
TINY_CLS = [
    f'model.backbone.arch={TINY}', 'model.head.in_channels=[64,64,64]', 'model.head.channels=32',
    'model.head.hidden_channels=32'
]
FAST_LOADERS = [
    f'{loader}.{key}' for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
    for key in ('num_workers=0', 'persistent_workers=False')
]
SHORT = [
    'train_cfg.max_iters=2', 'train_cfg.val_interval=2', 'train_dataloader.batch_size=2',
    'default_hooks.checkpoint.interval=2', 'default_hooks.logger.interval=1'
]
METRICS = {f'cls/{k}' for k in ('accuracy', 'precision', 'recall', 'f1', 'auc')}


@pytest.fixture(scope='module')
def trained(busi_cls_root, tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('cls_work')
    run_tool_in_process(
        'tools/train.py',
        'configs/cls/clip-ht_busi.py',
        '--work-dir',
        str(work_dir),
        '--cfg-options',
        *TINY_CLS,
        *FAST_LOADERS,
        *SHORT,
        data_root=busi_cls_root)
    return work_dir


def test_train_then_test_a_busi_classifier(trained, busi_cls_root, tmp_path):
    assert (trained / 'iter_2.pth').is_file()
    best = sorted(trained.glob('best_cls_f1_iter_*.pth'))
    assert best, 'no best checkpoint by cls/f1'
    log = next(trained.glob('*/vis_data/scalars.json')).read_text().splitlines()
    assert any(METRICS <= set(json.loads(line)) for line in log)
    # weights-only checkpoint: loads with torch's safe loader
    assert 'state_dict' in torch.load(best[-1], weights_only=True)
    run_tool_in_process(
        'tools/test.py',
        'configs/cls/clip-ht_busi.py',
        str(best[-1]),
        '--work-dir',
        str(tmp_path),
        '--cfg-options',
        *TINY_CLS,
        *FAST_LOADERS,
        data_root=busi_cls_root)
    record = json.loads((tmp_path / 'test_results.json').read_text())
    metrics = record['metrics']
    assert set(metrics) == METRICS
    labels = record['experiment']
    assert (labels['task'], labels['method'], labels['backbone'],
            labels['dataset']) == ('classification', 'HT', 'CLIP', 'BUSI')
    assert record['data']['ann_dir'] is None and record['predictions'] is None
    assert all(0.0 <= v <= 100.0 for v in metrics.values())  # 1 benign + 1 malignant: AUC defined


def zero_shot_args(config, work_dir, weights):
    return [
        config, '--work-dir',
        str(work_dir), '--cfg-options', f'model.backbone.arch={TINY}',
        f'model.text_encoder.arch={TINY}', f'model.backbone.pretrained={weights}',
        f'model.text_encoder.pretrained={weights}', 'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False'
    ]


@pytest.mark.parametrize('rule', ['mean_similarity', 'mean_embedding'])
def test_zero_shot_without_adapters(rule, busi_cls_root, tiny_clip_weights, tmp_path):
    args = zero_shot_args('configs/zero_shot/clip_busi.py', tmp_path, tiny_clip_weights)
    run_tool_in_process(
        'tools/zero_shot.py', *args[:1], '--rule', rule, *args[1:], data_root=busi_cls_root)
    result = json.loads((tmp_path / 'zero_shot_results.json').read_text())
    assert result['rule'] == rule and result['prompts_per_class'] == {'benign': 10, 'malignant': 10}
    assert set(result['metrics']) == METRICS
    assert result['logit_scale'] == pytest.approx(
        50.0, rel=1e-4)  # the file's, not the default 1/0.07


def test_zero_shot_with_stage1_adapter_weights(busi_cls_root, tiny_clip_weights, tmp_path):
    from mmseg_ht.models.backbones import CLIPViT
    adapter = dict(
        type='HTAdapter',
        bottleneck=64,
        frequency_filter='spectral',
        noise_estimation=True,
        blocks='all')  # configs/_base_/adapters/ht.py
    backbone = CLIPViT(
        arch=TINY, pretrained=str(tiny_clip_weights), adapter=adapter, out_pooled=True)
    path = backbone.save_adapters(tmp_path / 'stage1.safetensors')
    args = zero_shot_args('configs/zero_shot/clip-ht_busi.py', tmp_path, tiny_clip_weights)
    with pytest.raises(ValueError, match='--checkpoint'):
        run_tool_in_process('tools/zero_shot.py', *args, data_root=busi_cls_root)
    run_tool_in_process(
        'tools/zero_shot.py',
        *args[:1],
        '--checkpoint',
        str(path),
        *args[1:],
        data_root=busi_cls_root)
    result = json.loads((tmp_path / 'zero_shot_results.json').read_text())
    assert result['checkpoint'] == str(path) and set(result['metrics']) == METRICS
