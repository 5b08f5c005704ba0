"""The baselines' configs (configs/baselines/): generated, labelled, and every leaf trains one step.

Each leaf is built from its own config with the big parts shrunk (tiny CLIP /
ViT towers, a narrow UNet) and runs one ``train_step`` through the config's
own optimizer settings. One leaf also runs end to end through tools/train.py
and tools/test.py.
"""
import json
import math
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.utils import import_modules_from_strings

import mmseg_ht  # noqa: F401  (mmcv.ops stand-in before mmseg/mmpretrain)
from tests.conftest import REPO_ROOT, run_tool_in_process

sys.path.insert(0, str(REPO_ROOT / 'tools' / 'misc'))
from config_table import expected_leaves  # noqa: E402
from config_table.table import CLIPSEG_PROMPTS, SEG_DATASETS  # noqa: E402

BASELINES = REPO_ROOT / 'configs' / 'baselines'
LEAVES = sorted(BASELINES.glob('*.py'))
TINY_CLIP = 'mmseg_ht-tiny-vit16'  # bundled: 224 input, 14x14 grid, width 64, text embed 32
TINY_VIT = dict(embed_dims=64, num_layers=10, num_heads=2, feedforward_channels=128)
LABELS = {  # leaf stem prefix -> (method_name, backbone_name, task)
    'unet': ('UNet', '-', 'seg'),
    'dinov2-frozen': ('Frozen', 'DINOv2', 'seg'),
    'clip-clipseg': ('CLIPSeg', 'CLIP', 'seg'),
    'resnet18': ('ResNet-18', '-', 'cls'),
    'dinov2-frozen-cls': ('Frozen', 'DINOv2', 'cls'),
}
DATASET_NAMES = {
    'busi': 'BUSI',
    'ddti': 'DDTI',
    'tn3k': 'TN3K',
    'prostate': 'Prostate',
    'ln-int': 'LN-INT',
    'ln-ext': 'LN-EXT'
}

pytestmark = pytest.mark.usefixtures('one_torch_thread')


def kind_of(path: Path) -> str:
    return path.stem.rsplit('_', 1)[0]


def test_the_baseline_leaves_are_exactly_the_generated_ones():
    expected = {
        REPO_ROOT / 'configs' / path: text
        for path, text in expected_leaves().items() if path.startswith('baselines/')
    }
    assert set(LEAVES) == set(expected)
    for path, text in expected.items():
        assert path.read_text() == text, f'{path} is stale: run tools/misc/generate_configs.py'
    assert {kind_of(p) for p in LEAVES} == set(LABELS)
    assert len([p for p in LEAVES if LABELS[kind_of(p)][2] == 'seg']) == 3 * (len(SEG_DATASETS) + 1)
    assert len([p for p in LEAVES if LABELS[kind_of(p)][2] == 'cls']) == 2 * 3


@pytest.mark.parametrize('path', LEAVES, ids=lambda p: p.stem)
def test_leaf_parses_with_labels_schedule_and_weights_rule(path):
    cfg = Config.fromfile(str(path))
    kind, dataset = kind_of(path), path.stem.rsplit('_', 1)[1]
    method, backbone, task = LABELS[kind]
    assert (cfg.method_name, cfg.backbone_name, cfg.dataset_name) == (method, backbone,
                                                                      DATASET_NAMES[dataset])
    assert cfg.train_cfg.max_iters == cfg.param_scheduler.end == cfg.param_scheduler.T_max
    assert cfg.optim_wrapper.optimizer.type == 'AdamW'
    assert cfg.optim_wrapper.optimizer.lr == (1e-3 if kind == 'unet' else 1e-4)
    assert cfg.model.backbone.get('pretrained') is None  # a local file the user names
    if task == 'seg':
        assert cfg.default_scope == 'mmseg' and cfg.test_evaluator.type == 'SurfaceMetric'
        assert cfg.model.data_preprocessor.size == (224, 224)
        assert cfg.crop_size == (224, 224)
    else:
        assert cfg.default_scope == 'mmpretrain'
        assert 'mmseg_ht.classification' in cfg.custom_imports.imports
        assert cfg.test_evaluator.type == 'BinaryClsMetric'
        assert cfg.model.head.loss == dict(type='FocalLoss', gamma=2.0, alpha=0.5, loss_weight=1.0)
    if kind == 'dinov2-frozen':
        assert 'mmpretrain.models' in cfg.custom_imports.imports
    if kind.startswith('dinov2'):
        inner = cfg.model.backbone.backbone
        assert (inner.arch, inner.patch_size, inner.img_size, inner.out_indices) == ('base', 14,
                                                                                     224, (3, 6, 9))
        assert cfg.model.backbone.frozen and cfg.model.data_preprocessor.mean is not None
    if kind == 'clip-clipseg' and dataset != 'ln-ext':
        assert cfg.model.decode_head.prompts == [CLIPSEG_PROMPTS[dataset]]
    if dataset == 'ln-ext':
        assert cfg.test_dataloader.dataset.data_root.endswith('ln-ext')


# ------------------------------------------------------- one training step each
def shrink(cfg: Config, kind: str) -> int:
    """Make the leaf's model small and fast; return the input size to feed."""
    model = cfg.model
    if kind == 'unet':
        model.backbone.base_channels = 8
        model.decode_head.update(in_channels=8, channels=8)
        model.data_preprocessor.size = (64, 64)
        return 64
    if kind == 'resnet18':
        return 64  # ResNet-18 itself is small
    if kind.startswith('dinov2'):
        model.backbone.backbone.arch = TINY_VIT  # 224 px, patch 14: 16x16 maps
        head = model.decode_head if kind == 'dinov2-frozen' else model.head
        head.update(in_channels=[64, 64, 64], channels=32)
        if kind == 'dinov2-frozen-cls':
            head.hidden_channels = 32
        return 224
    assert kind == 'clip-clipseg'
    model.backbone.arch = TINY_CLIP
    model.decode_head.text_encoder.arch = TINY_CLIP
    model.decode_head.in_channels = [64, 64, 64]
    return 224


def batch(task: str, size: int, n: int = 2) -> dict:
    generator = torch.Generator().manual_seed(0)
    inputs = [
        torch.randint(0, 256, (3, size, size), dtype=torch.uint8, generator=generator)
        for _ in range(n)
    ]
    if task == 'seg':
        from mmengine.structures import PixelData
        from mmseg.structures import SegDataSample
        samples = []
        for _ in range(n):
            sample = SegDataSample(
                gt_sem_seg=PixelData(
                    data=torch.randint(0, 2, (1, size, size), generator=generator)))
            sample.set_metainfo(dict(img_shape=(size, size), ori_shape=(size, size)))
            samples.append(sample)
    else:
        from mmpretrain.structures import DataSample
        samples = [DataSample().set_gt_label(i % 2) for i in range(n)]
    return dict(inputs=inputs, data_samples=samples)


@pytest.mark.parametrize('path', LEAVES, ids=lambda p: p.stem)
def test_leaf_builds_and_trains_one_iteration(path):
    cfg = Config.fromfile(str(path))
    kind = kind_of(path)
    task = LABELS[kind][2]
    size = shrink(cfg, kind)
    import_modules_from_strings(**cfg.custom_imports)
    init_default_scope(cfg.default_scope)  # reset after the test by tests/conftest.py
    if task == 'seg':
        from mmseg.registry import MODELS
    else:
        from mmpretrain.registry import MODELS
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()  # as the runner does
    model.train()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    assert optim_wrapper.get_lr()['lr'][0] == cfg.optim_wrapper.optimizer.lr
    trainable = {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}
    frozen = {n: p.detach().clone() for n, p in model.named_parameters() if not p.requires_grad}
    if kind in ('unet', 'resnet18'):
        assert not frozen, 'UNet / ResNet-18 train fully'
    else:
        assert frozen and all(n.startswith('backbone.') for n in frozen)
        assert not any(n.startswith('backbone.') for n in trainable)
        tower = model.backbone.tower if kind == 'clip-clipseg' else model.backbone.module
        assert not any(m.training for m in tower.modules()), 'a frozen tower stays in eval mode'
    log_vars = model.train_step(batch(task, size), optim_wrapper)
    assert math.isfinite(float(log_vars['loss']))
    params = dict(model.named_parameters())
    unchanged = [n for n, before in trainable.items() if torch.equal(params[n], before)]
    # Only zero-initialised tensors may keep a zero gradient after one step (ResNet's
    # zero_init_residual: a block's last BN weight is 0, so the BN bias before it gets none).
    assert len(unchanged) < len(trainable)
    assert all(not trainable[n].any() for n in unchanged), unchanged
    assert all(torch.equal(params[n], before) for n, before in frozen.items())
    if kind == 'dinov2-frozen':
        maps = model.backbone(torch.rand(1, 3, 224, 224))
        assert [m.shape for m in maps] == [(1, 64, 16, 16)] * 3


# ------------------------------------------------------------ through the tools
FAST = [
    f'{loader}.{key}' for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
    for key in ('num_workers=0', 'persistent_workers=False')
]
SHORT = [
    'train_cfg.max_iters=2', 'train_cfg.val_interval=2', 'train_dataloader.batch_size=2',
    'default_hooks.checkpoint.interval=2', 'default_hooks.logger.interval=1'
]
SMALL = {  # leaf -> (overrides that shrink it, best checkpoint pattern)
    'clip-clipseg_busi': ([f'model.backbone.arch={TINY_CLIP}',
                           f'model.decode_head.text_encoder.arch={TINY_CLIP}',
                           'model.decode_head.in_channels=[64,64,64]'], 'best_Dice_iter_*.pth'),
    'dinov2-frozen_busi': (['model.backbone.backbone.arch=deit-tiny',  # width 192, 12 blocks
                            'model.decode_head.in_channels=[192,192,192]',
                            'model.decode_head.channels=32'], 'best_Dice_iter_*.pth'),
    'resnet18_busi': ([], 'best_cls_f1_iter_*.pth'),
}


@pytest.mark.parametrize('stem', sorted(SMALL))
def test_train_and_test_through_the_tools(stem, busi_mini_converted, tmp_path):
    """2 iterations with tools/train.py (the runner's custom_imports, init_weights,
    weights-only checkpoints), then tools/test.py on the best checkpoint."""
    config = f'configs/baselines/{stem}.py'
    small, best = SMALL[stem]
    work = tmp_path / 'work'
    run_tool_in_process(
        'tools/train.py',
        config,
        '--work-dir',
        str(work),
        '--cfg-options',
        *small,
        *FAST,
        *SHORT,
        data_root=busi_mini_converted)
    checkpoint = sorted(work.glob(best))[-1]
    state = torch.load(checkpoint, weights_only=True)['state_dict']
    if stem.startswith('clip-clipseg'):  # the text condition is saved, the text tower is not
        assert state['decode_head.text_condition'].shape == (32, )
        assert not any('token_embedding' in k for k in state)
    run_tool_in_process(
        'tools/test.py',
        config,
        str(checkpoint),
        '--work-dir',
        str(tmp_path / 'test'),
        '--cfg-options',
        *small,
        *FAST,
        data_root=busi_mini_converted)
    record = json.loads((tmp_path / 'test' / 'test_results.json').read_text())
    method, backbone, task = LABELS[kind_of(Path(config))]
    assert (record['experiment']['method'], record['experiment']['backbone']) == (method, backbone)
    metric = 'Dice' if task == 'seg' else 'cls/f1'
    assert 0.0 <= record['metrics'][metric] <= 100.0
