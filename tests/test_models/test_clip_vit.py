"""CLIPViT backbone: shapes, freezing, gradients, deepcopy, autocast, weights loading."""
import copy
import io
import os

import pytest
import torch
from mmseg.registry import MODELS

import mmseg_ht  # noqa: F401  (registers modules, installs the mmcv.ops stand-in)
from mmseg_ht.models.backbones import PretrainedMismatchError
from mmseg_ht.utils import UnsafeWeightsError, load_state_dict_safely
from tests.tiny_towers import TINY_ARCHS, TINY_OPENCLIP_ARCH, TINY_TIMM_ARCH

ADAPTERS = [
    None,
    dict(type='HTAdapter', bottleneck=8),
    dict(type='MonaAdapter', bottleneck=8),
    dict(type='LoRAAdapter', rank=4, alpha=8)
]


def build(arch, adapter=None, **kwargs):
    if isinstance(arch, dict):
        kwargs.setdefault('out_indices', (1, 2, 3))
    return MODELS.build(dict(type='CLIPViT', arch=arch, adapter=adapter, **kwargs))


def images(size, batch=2, seed=0):
    return torch.rand(batch, 3, size, size, generator=torch.Generator().manual_seed(seed)) * 255


@pytest.mark.parametrize('family', ['openclip', 'timm'])
@pytest.mark.parametrize('adapter', ADAPTERS, ids=lambda a: a and a['type'])
def test_output_shapes_both_families(family, adapter):
    arch, size = TINY_ARCHS[family]
    backbone = build(arch, adapter, out_indices=(2, 0, 1), out_pooled=True)
    outs = backbone(images(size))
    grid = 4 if family == 'openclip' else 10
    width = 64
    assert len(outs) == 4
    for out in outs[:3]:
        assert out.shape == (2, width, grid, grid)
    assert outs[3].shape == (2, 32)  # pooled, projected embedding


def test_out_indices_order_and_early_stop():
    backbone = build(TINY_OPENCLIP_ARCH, out_indices=(2, 0))
    assert backbone.num_blocks_run == 3
    a, b = backbone(images(32))
    ref = build(TINY_OPENCLIP_ARCH, out_indices=(0, 2))
    ref.load_state_dict(backbone.state_dict())
    r0, r2 = ref(images(32))
    torch.testing.assert_close(a, r2)
    torch.testing.assert_close(b, r0)


def test_maps_match_open_clip_forward_intermediates():
    """Without adapters, our block loop equals open_clip's own intermediates."""
    backbone = build(TINY_OPENCLIP_ARCH, out_indices=(1, 3), out_pooled=True).eval()
    x = images(32)
    ours = backbone(x)
    normalised = (x - backbone.pixel_mean) / backbone.pixel_std
    ref = backbone.tower.forward_intermediates(normalised, indices=[1, 3])
    torch.testing.assert_close(ours[0], ref['image_intermediates'][0])
    torch.testing.assert_close(ours[1], ref['image_intermediates'][1])
    torch.testing.assert_close(ours[2], ref['image_features'])


def test_pooled_embedding_matches_timm_tower_forward():
    backbone = build(TINY_TIMM_ARCH, out_indices=(5, ), out_pooled=True).eval()
    x = images(160)
    pooled = backbone(x)[-1]
    torch.testing.assert_close(pooled, backbone.tower(
        (x - backbone.pixel_mean) / backbone.pixel_std))


@pytest.mark.parametrize('family', ['openclip', 'timm'])
@pytest.mark.parametrize('adapter', ADAPTERS[1:], ids=lambda a: a['type'])
def test_gradients_reach_adapters_and_nothing_frozen(family, adapter):
    arch, size = TINY_ARCHS[family]
    backbone = build(arch, adapter, out_indices=(1, 2)).train()
    sum(o.square().mean() for o in backbone(images(size))).backward()
    # blocks 0-2 run (last output block: 2); the adapters of block 3+ are frozen
    for name, param in backbone.named_parameters():
        if param.requires_grad:
            assert param.grad is not None, name
        else:
            assert param.grad is None, name
    trainable = [n for n, p in backbone.named_parameters() if p.requires_grad]
    assert trainable and all('lora_' in n or n.startswith('adapters.') for n in trainable)
    after_last = [n for n in trainable if n.startswith('adapters.3.') or 'blocks.3.' in n]
    assert not after_last


def test_frozen_tower_stays_in_eval_mode():
    backbone = build(TINY_OPENCLIP_ARCH, dict(type='HTAdapter', bottleneck=8)).train()
    assert not backbone.tower.training
    assert all(m.training for m in backbone.adapters.modules())
    backbone.eval()
    assert not any(m.training for m in backbone.adapters.modules())


@pytest.mark.parametrize('adapter', ADAPTERS[1:], ids=lambda a: a['type'])
def test_deepcopy_and_pickle_keep_the_adapted_model(adapter):
    backbone = build(TINY_OPENCLIP_ARCH, adapter).eval()
    with torch.no_grad():  # make adapters non-trivial
        for name, p in backbone.named_parameters():
            if p.requires_grad:
                p.add_(0.05 * torch.randn_like(p))
    x = images(32)
    ref = backbone(x)
    clone = copy.deepcopy(backbone)
    for a, b in zip(ref, clone(x)):
        torch.testing.assert_close(a, b)
    with torch.no_grad():  # the copy owns its weights: changing it leaves the original alone
        for p in clone.parameters():
            if p.requires_grad:
                p.mul_(3)
    assert not torch.allclose(clone(x)[0], ref[0])
    torch.testing.assert_close(backbone(x)[0], ref[0])
    buffer = io.BytesIO()
    torch.save(backbone, buffer)
    buffer.seek(0)
    restored = torch.load(buffer, weights_only=False)
    torch.testing.assert_close(restored(x)[0], ref[0])


@pytest.mark.parametrize('family', ['openclip', 'timm'])
def test_bf16_autocast_forward(family):
    arch, size = TINY_ARCHS[family]
    backbone = build(arch, dict(type='HTAdapter', bottleneck=8)).eval()
    x = images(size)
    ref = backbone(x)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        outs = backbone(x)
    for a, b in zip(outs, ref):
        assert torch.isfinite(a).all()
        assert torch.allclose(a.float(), b, atol=0.15 * b.abs().max().item())


def test_wrong_input_size_is_a_clear_error():
    backbone = build(TINY_OPENCLIP_ARCH)
    with pytest.raises(ValueError, match='expects 32x32 inputs'):
        backbone(images(48))


def test_bad_out_indices_and_unknown_arch():
    with pytest.raises(ValueError, match='out_indices'):
        build(TINY_OPENCLIP_ARCH, out_indices=(4, ))
    with pytest.raises(ValueError, match='unknown open_clip architecture'):
        build('ViT-B-16-nonexistent')


# ------------------------------------------------------------------ weights
def _full_clip_state_dict(backbone):
    """What an open_clip checkpoint looks like: the tower under 'visual.' + text keys."""
    state = {f'visual.{k}': v.clone() for k, v in backbone.tower.state_dict().items()}
    state['text_projection'] = torch.zeros(4, 4)
    return state


@pytest.mark.parametrize('family', ['openclip', 'timm'])
@pytest.mark.parametrize('layout', ['open_clip', 'wrapped', 'safetensors', 'bare'])
def test_pretrained_layouts_load(tmp_path, family, layout):
    arch, _ = TINY_ARCHS[family]
    source = build(arch)
    state = _full_clip_state_dict(source)
    path = tmp_path / 'weights.pt'
    if layout == 'open_clip':
        torch.save(state, path)
    elif layout == 'wrapped':
        torch.save({'state_dict': {f'module.{k}': v for k, v in state.items()}, 'epoch': 3}, path)
    elif layout == 'safetensors':
        from safetensors.torch import save_file
        path = tmp_path / 'weights.safetensors'
        save_file(state, str(path))
    else:
        torch.save(source.tower.state_dict(), path)
    loaded = build(arch, pretrained=str(path))
    for key, value in source.tower.state_dict().items():
        torch.testing.assert_close(loaded.tower.state_dict()[key], value)


def test_pretrained_torchscript_archive(tmp_path):
    """OpenAI's released .pt files are TorchScript archives holding 'visual.*'."""
    source = build(TINY_OPENCLIP_ARCH).eval()

    class Holder(torch.nn.Module):

        def __init__(self, tower):
            super().__init__()
            self.visual = tower

        def forward(self, x):
            return self.visual(x)

    path = tmp_path / 'ViT-B-16.pt'
    torch.jit.trace(Holder(source.tower), torch.rand(1, 3, 32, 32)).save(str(path))
    loaded = build(TINY_OPENCLIP_ARCH, pretrained=str(path))
    x = images(32)
    torch.testing.assert_close(loaded(x)[0], source(x)[0])


def test_pretrained_of_another_architecture_names_file_and_keys(tmp_path):
    path = tmp_path / 'other.pt'
    torch.save(_full_clip_state_dict(build(TINY_TIMM_ARCH)), path)
    with pytest.raises(PretrainedMismatchError) as info:
        build(TINY_OPENCLIP_ARCH, pretrained=str(path))
    message = str(info.value)
    assert str(path) in message and 'missing keys' in message and 'conv1.weight' in message
    wide = dict(TINY_OPENCLIP_ARCH, vision_cfg=dict(TINY_OPENCLIP_ARCH['vision_cfg'], width=96))
    torch.save(_full_clip_state_dict(build(wide)), path)
    with pytest.raises(PretrainedMismatchError, match='shape mismatches'):
        build(TINY_OPENCLIP_ARCH, pretrained=str(path))


def test_missing_weights_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pt'):
        build(TINY_OPENCLIP_ARCH, pretrained=str(tmp_path / 'nope.pt'))


class _Exploit:
    """Unpickling this runs a shell command — what a malicious checkpoint does."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f'touch {self.marker}', )


def test_safe_loading_refuses_code_executing_pickle(tmp_path):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {'w': torch.zeros(1)}, 'payload': _Exploit(marker)}, path)
    with pytest.raises(UnsafeWeightsError, match='evil.pth'):
        load_state_dict_safely(path)
    with pytest.raises(UnsafeWeightsError):
        build(TINY_OPENCLIP_ARCH, pretrained=str(path))
    assert not marker.exists()


def test_random_init_warns_loudly():
    with pytest.warns(UserWarning, match='randomly initialised'):
        build(TINY_OPENCLIP_ARCH)


# --------------------------------------------------------- real ViT-B/16 sizes
@pytest.mark.parametrize(
    'adapter, expected', [
        (dict(type='HTAdapter'), 12 * 120_131),
        (dict(type='HTAdapter', frequency_filter='channel'), 12 * 113_027),
        (dict(type='MonaAdapter'), 12 * 111_872),
        (dict(type='LoRAAdapter', rank=16, alpha=32), 12 * 3 * 16 * (768 + 768)),
        (None, 0),
    ],
    ids=['ht', 'ht-channel', 'mona', 'lora', 'frozen'])
def test_parameter_counts_of_real_vit_b16(adapter, expected):
    backbone = build('ViT-B-16-quickgelu', adapter)
    attached = sum(p.numel() for p in backbone.adapter_state_dict().values())
    trainable = sum(p.numel() for p in backbone.parameters() if p.requires_grad)
    assert attached == expected
    # blocks 10 and 11 run only when the pooled embedding is asked for
    assert trainable == expected * 10 // 12
    assert sum(p.numel() for p in backbone.tower.parameters() if not p.requires_grad) - (
        expected * 2 // 12 if adapter and adapter['type'] == 'LoRAAdapter' else 0) == 86_192_640


def test_out_pooled_runs_and_trains_every_adapter():
    backbone = build(
        TINY_OPENCLIP_ARCH,
        dict(type='HTAdapter', bottleneck=8),
        out_indices=(1, ),
        out_pooled=True)
    assert backbone.num_blocks_run == 4
    assert all(p.requires_grad for p in backbone.adapters.parameters())
    partial = build(TINY_OPENCLIP_ARCH, dict(type='HTAdapter', bottleneck=8), out_indices=(1, ))
    assert partial.num_blocks_run == 2
    assert not any(p.requires_grad for p in partial.adapters['3'].parameters())


def test_biomedclip_tower_builds_from_bundled_config():
    backbone = build('BiomedCLIP-PubMedBERT_256-vit_base_patch16_224', dict(type='HTAdapter'))
    assert len(backbone.family.blocks(backbone.tower)) == 12
    assert sum(p.numel() for p in backbone.adapters.parameters()) == 12 * 120_131
