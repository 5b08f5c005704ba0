"""FrozenAwareDDP: find_unused_parameters decided from the model, for every adapter type.

DDP runs in this process with a one-rank gloo group: DDP's unused-parameter failure
("Expected to have finished reduction in the prior iteration") needs no second rank.
"""
import socket

import pytest
import torch
import torch.distributed as dist
from mmengine.model import MMDistributedDataParallel
from mmengine.optim import OptimWrapper
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS

import mmseg_ht  # noqa: F401
from mmseg_ht.engine.ddp import FrozenAwareDDP, decide_find_unused_parameters
from tests.tiny_towers import TINY_OPENCLIP_ARCH

pytestmark = pytest.mark.usefixtures('one_torch_thread')

ADAPTERS = [
    None,
    dict(type='HTAdapter', bottleneck=8),
    dict(type='MonaAdapter', bottleneck=8),
    dict(type='LoRAAdapter', rank=4, alpha=8)
]


def segmentor(adapter=None, **backbone) -> torch.nn.Module:
    """Tiny EncoderDecoder (4-block tower, 32 px) tapping blocks 0 and 1 only."""
    init_default_scope('mmseg')
    torch.manual_seed(0)
    return MODELS.build(
        dict(
            type='EncoderDecoder',
            data_preprocessor=dict(type='SegDataPreProcessor', mean=None, std=None, size=(32, 32)),
            backbone=dict(
                type='CLIPViT',
                arch=TINY_OPENCLIP_ARCH,
                adapter=adapter,
                out_indices=(0, 1),
                **backbone),
            decode_head=dict(
                type='MultiLevelAggHead',
                in_channels=(64, 64),
                in_index=(0, 1),
                channels=16,
                num_classes=2,
                loss_decode=dict(type='CrossEntropyLoss')),
            train_cfg=dict(),
            test_cfg=dict(mode='whole')))


def batch(seed: int) -> dict:
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    gen = torch.Generator().manual_seed(seed)
    samples = []
    for _ in range(2):
        sample = SegDataSample(metainfo=dict(img_shape=(32, 32), ori_shape=(32, 32)))
        sample.gt_sem_seg = PixelData(data=(torch.rand(1, 32, 32, generator=gen) > 0.5).long())
        samples.append(sample)
    return dict(
        inputs=[
            torch.randint(0, 256, (3, 32, 32), generator=gen, dtype=torch.uint8) for _ in range(2)
        ],
        data_samples=samples)


@pytest.fixture(scope='module')
def one_rank_group():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    dist.init_process_group('gloo', init_method=f'tcp://127.0.0.1:{port}', rank=0, world_size=1)
    yield
    dist.destroy_process_group()


def train_three_steps(ddp: MMDistributedDataParallel) -> list:
    optim = OptimWrapper(
        torch.optim.AdamW([p for p in ddp.parameters() if p.requires_grad], lr=1e-3))
    return [ddp.train_step(batch(i), optim_wrapper=optim)['loss'].item() for i in range(3)]


@pytest.mark.parametrize('adapter', ADAPTERS, ids=lambda a: a and a['type'])
def test_adapters_after_the_last_tapped_block_need_no_flag(adapter, one_rank_group):
    """Adapters sit on all 4 blocks, maps come from blocks 0-1: nothing trainable is unused."""
    model = segmentor(adapter).train()  # the tower stays in eval mode, the head trains
    flag, reason = decide_find_unused_parameters(model)
    assert (flag, reason.startswith('all ')) == (False, True), reason
    ddp = FrozenAwareDDP(model, device_ids=None)
    assert ddp.find_unused_parameters is False
    losses = train_three_steps(ddp)
    assert all(torch.isfinite(torch.tensor(losses)))
    # the probe (eval mode inside) gave the train modes back
    assert model.backbone.tower.training is False and model.decode_head.training is True


def test_unused_trainable_parameters_are_found_named_and_handled(one_rank_group):
    """An unfrozen tower (blocks 2-3 and the pooled head never run) needs the flag."""
    model = segmentor(frozen=False)
    flag, reason = decide_find_unused_parameters(model)
    assert flag is True
    for module in ('resblocks.2 (12)', 'resblocks.3 (12)', 'ln_post (2)', 'backbone.tower.proj'):
        assert module in reason
    with pytest.raises(RuntimeError, match='finished reduction'):
        train_three_steps(
            MMDistributedDataParallel(segmentor(frozen=False), find_unused_parameters=False))
    ddp = FrozenAwareDDP(model, device_ids=None)
    assert ddp.find_unused_parameters is True
    assert len(train_three_steps(ddp)) == 3


def test_explicit_setting_is_kept(one_rank_group):
    ddp = FrozenAwareDDP(
        segmentor(dict(type='HTAdapter', bottleneck=8)),
        device_ids=None,
        find_unused_parameters=True)
    assert ddp.find_unused_parameters is True


def test_probe_leaves_no_gradients(one_rank_group):
    model = segmentor(dict(type='LoRAAdapter', rank=4, alpha=8))
    decide_find_unused_parameters(model)
    assert all(p.grad is None for p in model.parameters())


def test_tools_wrapper_config():
    """Training gets FrozenAwareDDP ('auto' unless set), testing mmengine's, configs win."""
    from mmengine.config import Config

    from mmseg_ht.engine.config_setup import default_model_wrapper, setup_launcher
    assert default_model_wrapper(
        Config(), training=True) == dict(
            type='FrozenAwareDDP', broadcast_buffers=False, find_unused_parameters='auto')
    assert default_model_wrapper(Config(dict(find_unused_parameters=True)),
                                 True)['find_unused_parameters'] is True
    assert default_model_wrapper(Config(), training=False)['type'] == 'MMDistributedDataParallel'
    own = dict(type='MMFullyShardedDataParallel')
    assert default_model_wrapper(Config(dict(model_wrapper_cfg=own)), True) == own
    cfg = Config()
    assert setup_launcher(cfg, 'none') is False
    assert cfg.launcher == 'none' and 'model_wrapper_cfg' not in cfg


def test_gradient_accumulation_through_the_ddp_wrapper(one_rank_group):
    """accumulative_counts=2 on two batches of 1 == one step on their batch of 2 (SGD)."""
    from mmengine.optim import build_optim_wrapper
    adapter = dict(type='HTAdapter', bottleneck=8, dropout=0.0)
    data = batch(0)
    halves = [{k: v[i:i + 1] for k, v in data.items()} for i in range(2)]
    results = []
    for counts, batches in ((1, [data]), (2, halves)):
        model = segmentor(adapter)
        model.decode_head.dropout = None
        ddp = FrozenAwareDDP(model, device_ids=None)
        optim = build_optim_wrapper(
            ddp,
            dict(
                type='OptimWrapper', accumulative_counts=counts, optimizer=dict(type='SGD',
                                                                                lr=0.5)))
        optim.initialize_count_status(ddp, 0, counts)
        for part in batches:
            ddp.train_step(part, optim_wrapper=optim)
        results.append({
            k: v.detach().clone()
            for k, v in model.named_parameters() if v.requires_grad
        })
    moved = 0.0
    initial = {k: v for k, v in segmentor(adapter).named_parameters() if v.requires_grad}
    for key, value in results[0].items():
        torch.testing.assert_close(results[1][key], value, rtol=1e-5, atol=1e-6, msg=key)
        moved = max(moved, (value - initial[key]).abs().max().item())
    assert moved > 1e-3
