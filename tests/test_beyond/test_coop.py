"""CoOp prompt learning end to end on a tiny random CLIP: K-shot sampling, train, save, load, test.

The stripes task is separable in the frozen tiny image tower's embedding, but
the random text tower puts the two class prompts anywhere: with its initial
random context CoOp is at chance. Training only the context through
tools/train.py (mmpretrain's runner) on 4 shots per class must lower the loss
and make the stock tools/test.py report a clearly higher accuracy; the
exported context file must reproduce the trained model's predictions.
"""
import json

import pytest
import torch
from mmengine.config import DictAction
from mmengine.runner import Runner

from mmseg_ht.classification.k_shot import k_shot_indices
from mmseg_ht.engine import load_config
from mmseg_ht.engine.testing_config import without_training
from tests.conftest import run_tool_in_process
from tests.test_classification.test_cls_tools import FAST_LOADERS, TINY

pytestmark = pytest.mark.usefixtures('one_torch_thread')
CONFIG = 'configs/coop/clip-coop_busi.py'


def test_k_shot_sampling_is_seeded_nested_and_per_class():
    labels = [0] * 10 + [1] * 6
    two = k_shot_indices(labels, 2, seed=3)
    four = k_shot_indices(labels, 4, seed=3)
    assert [labels[i] for i in two].count(0) == 2 and [labels[i] for i in two].count(1) == 2
    assert set(two) <= set(four) and k_shot_indices(labels, 2, seed=3) == two
    assert k_shot_indices(labels, 2, seed=4) != two
    with pytest.raises(ValueError, match='shots'):
        k_shot_indices(labels, 0)


def tiny_options(weights):
    return [
        f'model.backbone.arch={TINY}', f'model.text_encoder.arch={TINY}',
        f'model.backbone.pretrained={weights}', f'model.text_encoder.pretrained={weights}',
        'model.n_ctx=4', *FAST_LOADERS
    ]


def test_accuracy(config_options, data_root, monkeypatch, work_dir, checkpoint=None):
    """Accuracy of the CoOp config on the test split (untrained context without a checkpoint)."""
    monkeypatch.setenv('DATA_ROOT', str(data_root))
    options = {
        k: DictAction._parse_iterable(v)
        for k, v in (o.split('=', 1) for o in config_options)
    }
    cfg = without_training(load_config(CONFIG, options, str(work_dir)))
    cfg.load_from = checkpoint
    return Runner.from_cfg(cfg).test()['cls/accuracy']


test_accuracy.__test__ = False  # a helper, not a test


def test_coop_learns_the_context_and_saves_it(bright_stripes_root, tiny_clip_weights, tmp_path,
                                              monkeypatch):
    options = tiny_options(tiny_clip_weights)
    work_dir = tmp_path / 'train'
    run_tool_in_process(
        'tools/train.py',
        CONFIG,
        '--work-dir',
        str(work_dir),
        '--cfg-options',
        *options,
        'train_dataloader.dataset.shots=4',
        'train_dataloader.batch_size=8',
        'train_cfg.max_iters=30',
        'train_cfg.val_interval=30',
        'optim_wrapper.optimizer.lr=0.05',
        'default_hooks.checkpoint.interval=30',
        'default_hooks.logger.interval=1',
        data_root=bright_stripes_root)
    log = [
        json.loads(line)
        for line in next(work_dir.glob('*/vis_data/scalars.json')).read_text().splitlines()
    ]
    losses = [line['loss'] for line in log if 'loss' in line]
    assert len(losses) == 30 and sum(losses[-5:]) < 0.5 * sum(losses[:5]), losses

    before = test_accuracy(options, bright_stripes_root, monkeypatch, tmp_path / 'before')
    run_tool_in_process(
        'tools/test.py',
        CONFIG,
        str(work_dir / 'iter_30.pth'),
        '--work-dir',
        str(tmp_path / 'after'),
        '--cfg-options',
        *options,
        data_root=bright_stripes_root)
    after = json.loads((tmp_path / 'after' / 'test_results.json').read_text())['metrics']
    assert after['cls/accuracy'] >= 90.0 and after['cls/accuracy'] > before + 20, (before, after)

    context_file = work_dir / 'prompt_context.safetensors'
    assert context_file.stat().st_size < 10_000  # the context alone, not the towers
    reloaded = test_accuracy([*options, f'model.context_checkpoint={context_file}'],
                             bright_stripes_root, monkeypatch, tmp_path / 'reloaded')
    assert reloaded == after['cls/accuracy']
    trained = torch.load(work_dir / 'iter_30.pth', weights_only=True)['state_dict']
    assert 'prompt_context.context' in trained


def test_context_file_must_fit(tiny_clip_weights, tmp_path):
    from mmpretrain.registry import MODELS

    import mmseg_ht.classification.coop  # noqa: F401  (registers CoOpClassifier)
    from mmseg_ht.classification.coop import save_prompt_context

    def build(**kwargs):
        return MODELS.build(
            dict(
                type='CoOpClassifier',
                backbone=dict(type='CLIPViT', arch=TINY),
                text_encoder=dict(arch=TINY, pretrained=str(tiny_clip_weights)),
                **kwargs))

    path = save_prompt_context(build(n_ctx=4), tmp_path / 'ctx.safetensors')
    with pytest.raises(ValueError, match='ctx.safetensors.*does not fit'):
        build(n_ctx=6, context_checkpoint=str(path))
    phrase = build(ctx_init='an ultrasound image of a')
    assert phrase.prompt_context.n_ctx == 5
