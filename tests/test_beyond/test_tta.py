"""Test-time adaptation plumbing: shifted phantom, tools/tta.py, adapted checkpoint, safeguard.

A tiny HT segmentor is trained for 2 iterations on the phantom, a shifted copy is made
with tools/make_shifted_dataset.py, and tools/tta.py adapts and tests. Shown: the feature
gap to the source statistics falls, only adapter and normalisation weights change, the
adapted checkpoint reproduces the reported metrics through the stock tools/test.py, the
source statistics are measured exactly and reload, and an aggressive learning rate trips
the safeguard, which restores the source weights (a diverging run here; an entropy
collapse on a toy classifier, where a class share falls below its floor). That TTA lifts
the Dice of a segmentor that has learnt is shown in test_tta_effect.py.
"""
import json

import cv2
import numpy as np
import pytest
import torch

from mmseg_ht.datasets.domain_shift import DomainShift, shift_image
from mmseg_ht.models.adapters import is_adapter_parameter
from mmseg_ht.tta import CollapseGuard, SourceStatistics, select_tta_parameters
from mmseg_ht.tta.statistics import alignment_loss, channel_moments
from tests.conftest import run_tool_in_process
from tests.test_tools.test_seg_tools import FAST_LOADERS, SHORT

# The demo segmentor's own small tower (112 px, patch 4), narrowed further for speed.
TINY_SETTINGS = {
    'model.backbone.arch.vision_cfg.width': 32,
    'model.backbone.arch.vision_cfg.head_width': 16,
    'model.backbone.adapter.bottleneck': 16,
    'model.decode_head.in_channels': [32, 32, 32],
    'model.decode_head.channels': 32
}
TINY = [f'{key}={value}'.replace(' ', '') for key, value in TINY_SETTINGS.items()]

pytestmark = pytest.mark.usefixtures('one_torch_thread')
CONFIG = 'configs/tta/clip-ht_phantom.py'


def test_shift_moves_mask_with_depth_and_changes_intensity():
    image = np.full((100, 80), 120, np.uint8)
    mask = np.zeros((100, 80), np.uint8)
    mask[40:60, 30:50] = 1
    shift = DomainShift(gain=0.5, depth=2.0, blur=1.0, speckle=0.3, attenuation=6.0)
    shifted, moved = shift_image(image, shift, np.random.default_rng(0), mask)
    assert moved.sum() == pytest.approx(mask.sum() / 4, rel=0.1)  # zoom-out by 2: a quarter
    assert moved[:50].sum() == moved.sum() and shifted[60:].max() == 0  # below the new depth
    assert shifted[:20].mean() < 0.6 * 120 and shifted[:20].std() > 5  # darker and speckled
    with pytest.raises(ValueError, match='depth'):
        DomainShift(depth=0.5)


def test_guard_floor():
    guard = CollapseGuard(band=2.0)
    guard.set_reference(torch.tensor([0.8, 0.2]))
    assert guard.check(torch.tensor([0.7, 0.3])) is None
    assert guard.check(torch.tensor([0.5, 0.5])) is None  # a rare class may grow
    assert 'class 1 share 0.0500 fell below 0.1000' in guard.check(torch.tensor([0.95, 0.05]))
    assert 'class 0' in guard.check(torch.tensor([0.3, 0.7]))
    guard.set_reference(torch.tensor([0.985, 0.015]))  # a 1.5 % foreground vanishing is seen
    assert 'class 1' in guard.check(torch.tensor([0.995, 0.005]))
    guard.set_reference(torch.tensor([1.0, 0.0]), source_shares=torch.tensor([0.5, 0.5]))
    assert guard.floors() == [0.25, 0.0]  # the lower reference: class 0 may fall to 25 %
    assert guard.check(torch.tensor([0.5, 0.5])) is None


@pytest.fixture(scope='module')
def source_and_target(tmp_path_factory):
    from mmseg_ht.datasets.phantom import make_phantom_dataset
    root = tmp_path_factory.mktemp('tta')
    make_phantom_dataset(root / 'source', num_train=4, num_val=2, num_test=4, size=64, seed=0)
    run_tool_in_process(
        'tools/make_shifted_dataset.py',
        str(root / 'source'),
        str(root / 'target'),
        '--gain',
        '0.6',
        '--blur',
        '1',
        '--depth',
        '1.3',
        '--speckle',
        '0.4',
        '--attenuation',
        '6',
        data_root=root)
    run_tool_in_process(
        'tools/train.py',
        CONFIG,
        '--work-dir',
        str(root / 'train'),
        '--cfg-options',
        *TINY,
        *FAST_LOADERS,
        *SHORT,
        data_root=root / 'source')
    return root / 'train' / 'iter_2.pth', root / 'target', root / 'source'


def build_segmentor():
    from mmengine.config import Config
    from mmseg.registry import MODELS
    cfg = Config.fromfile(CONFIG)
    cfg.merge_from_dict(TINY_SETTINGS)
    return MODELS.build(cfg.model)


def run_tta(checkpoint, target, work_dir, *options):
    out = work_dir / 'adapted.pth'
    run_tool_in_process(
        'tools/tta.py',
        CONFIG,
        str(checkpoint),
        str(target),
        '--out',
        str(out),
        '--work-dir',
        str(work_dir),
        '--batch-size',
        '2',
        *options,
        '--cfg-options',
        *TINY,
        *FAST_LOADERS,
        data_root=target)
    return out, json.loads((work_dir / 'tta_results.json').read_text())


def test_tta_adapts_only_adapters_and_norms_and_saves_a_testable_checkpoint(
        source_and_target, tmp_path):
    checkpoint, target, source = source_and_target
    assert json.loads((target / 'shift_info.json').read_text())['shift']['gain'] == 0.6
    out, result = run_tta(checkpoint, target, tmp_path, '--source-data', str(source), '--steps',
                          '3', '--lr', '1e-3', '--band', '100')
    report = result['tta']
    assert report['steps_done'] == 3 and not report['stopped_by_guard']
    assert report['feature_gap_after'] < report['feature_gap_before']
    assert result['settings']['align_weight'] == 1.0 and result['source_data'] == str(source)
    assert set(result['before']) == set(result['after']) and 'Dice' in result['after']
    source = torch.load(checkpoint, weights_only=True)['state_dict']
    adapted = torch.load(out, weights_only=True)
    changed = {k for k, v in adapted['state_dict'].items() if not torch.equal(v, source[k])}
    allowed = set(select_tta_parameters(build_segmentor()))
    assert changed <= allowed, changed - allowed
    assert any(is_adapter_parameter(k) for k in changed) and any('ln' in k for k in changed)
    assert adapted['meta']['tta']['steps_done'] == 3
    run_tool_in_process(
        'tools/test.py',
        CONFIG,
        str(out),
        '--work-dir',
        str(tmp_path / 'test'),
        '--cfg-options',
        *TINY,
        *FAST_LOADERS,
        data_root=target)
    tested = json.loads((tmp_path / 'test' / 'test_results.json').read_text())['metrics']
    assert tested['Dice'] == pytest.approx(result['after']['Dice'], abs=1e-4)


def test_source_statistics_are_exact_and_reload(source_and_target, tmp_path):
    """The stored moments equal the moments of all source train images in one batch."""
    from mmengine.runner import load_checkpoint

    from tools.tta import STATISTICS_FILE
    checkpoint, target, source = source_and_target
    run_tta(checkpoint, target, tmp_path, '--source-data', str(source), '--steps', '1')
    stats = SourceStatistics.load(tmp_path / STATISTICS_FILE)
    model = build_segmentor().eval()
    load_checkpoint(model, str(checkpoint), map_location='cpu')
    images = [
        cv2.resize(cv2.imread(str(p)), (112, 112), interpolation=cv2.INTER_LINEAR)
        for p in sorted((source / 'img_dir' / 'train').glob('*.png'))
    ]
    assert stats.num_images == len(images) == 4
    batch = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).flip(1).float()  # BGR->RGB
    with torch.no_grad():
        expected = channel_moments(model.backbone(batch))
    assert alignment_loss(expected, stats.moments) == pytest.approx(0.0, abs=2e-3)
    shifted = [(m + 1.0, v) for m, v in stats.moments]  # every channel mean off by 1
    assert alignment_loss(shifted, stats.moments) == pytest.approx(len(shifted), rel=1e-5)
    with pytest.raises(ValueError, match='another model'):
        alignment_loss(expected[:2], stats.moments)


def test_alignment_needs_a_source(source_and_target, tmp_path, capsys):
    checkpoint, target, _ = source_and_target
    with pytest.raises(SystemExit) as exit_:
        run_tta(checkpoint, target, tmp_path)
    assert exit_.value.code == 2  # a TTASettingsError, printed by cli_main
    assert 'tta.py: error: feature alignment needs the source statistics: give --source-data' \
        in capsys.readouterr().err


def test_safeguard_stops_a_diverging_adaptation(source_and_target, tmp_path):
    checkpoint, target, source = source_and_target
    _, result = run_tta(checkpoint, target, tmp_path, '--source-data', str(source), '--steps', '4',
                        '--lr', '0.5')
    report = result['tta']
    assert report['stopped_by_guard'], json.dumps(report)
    assert report['steps_done'] < 4 and np.isfinite(report['entropy_after'])
    # the source weights are back: the same predictions as before adaptation
    assert report['shares_after'] == report['shares_before']
    assert result['after']['Dice'] == pytest.approx(result['before']['Dice'], abs=1e-6)


class ToyClassifier(torch.nn.Module):
    """LayerNorm + Linear on 8-D points: the smallest model with a norm to adapt."""

    def __init__(self) -> None:
        super().__init__()
        self.norm, self.fc = torch.nn.LayerNorm(8), torch.nn.Linear(8, 2)
        self.data_preprocessor = lambda batch, training: batch

    def forward(self, inputs, data_samples=None, mode='tensor'):
        return self.fc(self.norm(inputs))


def test_safeguard_stops_entropy_collapse():
    """Ambiguous points: entropy minimisation pushes them all into one class; the guard stops it."""
    from mmseg_ht.tta import TestTimeAdapter
    torch.manual_seed(0)
    points = torch.randn(64, 8)
    loader = [dict(inputs=points[i:i + 16], data_samples=None) for i in range(0, 64, 16)]
    settings = dict(
        steps=60, lr=0.05, align_weight=0.0, flip_weight=0.0, entropy_weight=1.0, monitor_batches=4)
    free = ToyClassifier()
    guarded = ToyClassifier()
    guarded.load_state_dict(free.state_dict())
    unguarded = TestTimeAdapter(band=float('inf'), **settings).adapt(free, loader)
    assert min(unguarded.shares_after) < 0.1 < min(unguarded.shares_before)  # collapsed
    source = {k: v.clone() for k, v in guarded.state_dict().items()}
    report = TestTimeAdapter(band=1.5, **settings).adapt(guarded, loader)
    assert report.stopped_by_guard and 'fell below' in report.reason, report
    assert 0 < report.steps_done < 60  # some steps passed the guard, then one did not ...
    assert all(torch.equal(v, source[k]) for k, v in guarded.state_dict().items())  # ... undone
    assert report.shares_after == report.shares_before


def test_parameter_selection_freezes_everything_else():
    from mmseg_ht.models.backbones import CLIPViT
    backbone = CLIPViT(
        arch='mmseg_ht-tiny-vit16', adapter=dict(type='HTAdapter', bottleneck=8, blocks=[0, 1]))
    chosen = select_tta_parameters(backbone)
    trainable = {n for n, p in backbone.named_parameters() if p.requires_grad}
    assert trainable == set(chosen)
    assert any(n.startswith('adapters.') for n in chosen) and any('ln_' in n for n in chosen)
    assert not any(n.startswith('tower.') and ('attn' in n or 'mlp' in n) for n in trainable)
    frozen = CLIPViT(arch='mmseg_ht-tiny-vit16')
    with pytest.raises(ValueError, match='nothing could adapt'):
        select_tta_parameters(frozen, norms=False)


CLS_SHIFT = ['--gain', '0.6', '--blur', '2', '--speckle', '0.4', '--attenuation', '6']


def test_tta_brings_back_the_class_a_shift_removed(stripes_root, tmp_path):
    """tools/tta.py with a classification config. A tiny classifier that has learnt the
    stripes (20 seeded iterations) still ranks the shifted images perfectly (AUC) but puts
    them all into one class; aligning the feature statistics with the source's brings the
    other class back. The guard's floors use the lower of the target and source shares, so
    moving from 100/0 towards the source's 50/50 is allowed."""
    from tests.test_classification.test_cls_tools import FAST_LOADERS as CLS_LOADERS
    from tests.test_classification.test_cls_tools import TINY_CLS
    config = 'configs/tta/clip-ht-cls_busi.py'
    run_tool_in_process(
        'tools/make_shifted_dataset.py',
        str(stripes_root),
        str(tmp_path / 'tgt'),
        *CLS_SHIFT,
        data_root=stripes_root)
    run_tool_in_process(
        'tools/train.py',
        config,
        '--work-dir',
        str(tmp_path / 'train'),
        '--cfg-options',
        *TINY_CLS,
        *CLS_LOADERS,
        'train_cfg.max_iters=20',
        'train_cfg.val_interval=20',
        'train_dataloader.batch_size=8',
        'default_hooks.checkpoint.interval=20',
        'optim_wrapper.optimizer.lr=1e-3',
        'randomness.seed=0',
        data_root=stripes_root)
    run_tool_in_process(
        'tools/tta.py',
        config,
        str(tmp_path / 'train' / 'iter_20.pth'),
        str(tmp_path / 'tgt'),
        '--out',
        str(tmp_path / 'adapted.pth'),
        '--source-data',
        str(stripes_root),
        '--steps',
        '20',
        '--lr',
        '3e-4',
        '--batch-size',
        '8',
        '--work-dir',
        str(tmp_path),
        '--cfg-options',
        *TINY_CLS,
        *CLS_LOADERS,
        data_root=tmp_path / 'tgt')
    result = json.loads((tmp_path / 'tta_results.json').read_text())
    before, after, report = result['before'], result['after'], result['tta']
    summary = json.dumps(dict(before=before, after=after, shares=report['shares_after']))
    assert set(after) == {f'cls/{k}' for k in ('accuracy', 'precision', 'recall', 'f1', 'auc')}
    assert before['cls/auc'] >= 95.0 and before['cls/accuracy'] <= 75.0, summary  # the shift
    assert report['source_shares'] == pytest.approx([0.5, 0.5], abs=0.2), summary
    assert not report['stopped_by_guard'] and report['steps_done'] == 20, summary
    assert after['cls/accuracy'] >= before['cls/accuracy'] + 25.0, summary
    assert report['feature_gap_after'] < 0.7 * report['feature_gap_before'], summary
