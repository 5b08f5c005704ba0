"""HT / Mona / LoRA adapters: the maths of each piece and the ablation switches."""
import pytest
import torch
import torch.nn.functional as F
from mmseg.registry import MODELS

import mmseg_ht  # noqa: F401
from mmseg_ht.models.adapters import HTAdapter, LoRAAdapter, MonaAdapter
from mmseg_ht.models.adapters.ht_layers import FrequencyFilter, NoiseEstimator
from tests.tiny_towers import TINY_ARCHS, TINY_OPENCLIP_ARCH

GRID = (6, 6)


def tokens(batch=3, dim=32, grid=GRID, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(batch, 1 + grid[0] * grid[1], dim, generator=gen)


def test_spectral_filter_is_identity_at_init():
    flt = FrequencyFilter(8, GRID, 'spectral')
    assert flt.weight.shape == (8, 6, 4)  # h x (w // 2 + 1) bins per channel
    x = torch.randn(2, 8, *GRID)
    torch.testing.assert_close(flt(x), x, atol=1e-5, rtol=1e-5)


def test_spectral_filter_acts_per_frequency_and_channel_mode_only_scales():
    x = torch.randn(2, 4, *GRID)
    spectral = FrequencyFilter(4, GRID, 'spectral')
    with torch.no_grad():
        spectral.weight.zero_()
        spectral.weight[:, 0, 0] = 1.0  # keep only the DC bin: a per-channel mean
    torch.testing.assert_close(
        spectral(x), x.mean(dim=(2, 3), keepdim=True).expand_as(x), atol=1e-5, rtol=1e-5)
    channel = FrequencyFilter(4, GRID, 'channel')
    assert channel.weight.shape == (4, 1, 1)
    with torch.no_grad():
        channel.weight.fill_(2.0)
    torch.testing.assert_close(channel(x), 2 * x, atol=1e-5, rtol=1e-5)


def test_fft_runs_in_float32_under_autocast():
    flt = FrequencyFilter(4, (14, 14), 'spectral')  # 14 is not a power of two
    x = torch.randn(2, 4, 14, 14)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        y = flt(x.bfloat16())
    assert y.dtype == torch.bfloat16
    torch.testing.assert_close(y.float(), x, atol=0.05, rtol=0.05)


def test_noise_estimator_weights_sum_to_one_per_image():
    estimator = NoiseEstimator(16, num_branches=3)
    weights = estimator(torch.randn(5, 16, *GRID))
    assert weights.shape == (5, 3)
    torch.testing.assert_close(weights.sum(dim=1), torch.ones(5))
    assert (weights > 0).all()
    assert not torch.allclose(weights[0], weights[1])  # per image, not global


def test_ablation_switches_build_the_right_parts():
    full = HTAdapter(32, GRID, bottleneck=8)
    ne_only = HTAdapter(32, GRID, bottleneck=8, frequency_filter=None)
    ff_only = HTAdapter(32, GRID, bottleneck=8, noise_estimation=False)
    mona = MonaAdapter(32, GRID, bottleneck=8)
    assert full.frequency_filter.mode == 'spectral' and full.noise_estimator is not None
    assert ne_only.frequency_filter is None and ne_only.noise_estimator is not None
    assert ff_only.frequency_filter is not None and ff_only.noise_estimator is None
    assert mona.frequency_filter is None and mona.noise_estimator is None
    with pytest.raises(ValueError, match='frequency_filter'):
        HTAdapter(32, GRID, frequency_filter='wavelet')


def _reference_ht(adapter, x, weights):
    """Straightforward re-implementation of the HT equations, for comparison."""
    h = adapter.down(adapter.norm.norm(x) * adapter.norm.gamma + x * adapter.norm.gamma_x)
    cls, patches = h[:, :1], h[:, 1:]
    fmap = patches.transpose(1, 2).reshape(x.shape[0], -1, *GRID)
    filtered = adapter.frequency_filter(fmap) if adapter.frequency_filter else fmap
    convs = [conv(filtered) for conv in adapter.convs.convs]
    if weights == 'equal':
        fused = sum(convs) / 3 + fmap
    else:
        w = adapter.noise_estimator(filtered)
        fused = sum(w[:, i, None, None, None] * c for i, c in enumerate(convs)) + fmap
    out = fused + adapter.convs.proj(fused)
    out = torch.cat([cls, out.flatten(2).transpose(1, 2)], dim=1)
    return x + adapter.up(F.gelu(out))


@pytest.mark.parametrize('kind', ['full', 'ne_only', 'ff_only', 'mona'])
def test_forward_matches_the_equations(kind):
    torch.manual_seed(0)
    adapter = {
        'full': HTAdapter(32, GRID, bottleneck=8),
        'ne_only': HTAdapter(32, GRID, bottleneck=8, frequency_filter=None),
        'ff_only': HTAdapter(32, GRID, bottleneck=8, noise_estimation=False),
        'mona': MonaAdapter(32, GRID, bottleneck=8)
    }[kind].eval()
    with torch.no_grad():
        adapter.norm.gamma.fill_(0.5)
        if adapter.frequency_filter is not None:
            adapter.frequency_filter.weight.uniform_(0.5, 1.5)
    x = tokens()
    weights = 'equal' if kind in ('ff_only', 'mona') else 'estimated'
    torch.testing.assert_close(adapter(x), _reference_ht(adapter, x, weights), atol=1e-5, rtol=1e-5)


def test_frequency_filter_changes_output_only_when_enabled():
    torch.manual_seed(0)
    full = HTAdapter(32, GRID, bottleneck=8).eval()
    x = tokens()
    before = full(x)
    with torch.no_grad():
        full.frequency_filter.weight[:, 2:, :] = 0.0  # cut high vertical frequencies
    assert not torch.allclose(full(x), before)


def test_cls_token_bypasses_the_spatial_path():
    torch.manual_seed(0)
    adapter = HTAdapter(32, GRID, bottleneck=8).eval()
    x = tokens()
    y = x.clone()
    y[:, 1:] += torch.randn_like(y[:, 1:])  # change only patch tokens
    torch.testing.assert_close(adapter(x)[:, 0], adapter(y)[:, 0])


def test_no_nan_on_constant_inputs():
    adapter = HTAdapter(32, GRID, bottleneck=8).eval()
    for value in (0.0, 1.0, 1e4):
        x = torch.full((2, 37, 32), value)
        assert torch.isfinite(adapter(x)).all()


@pytest.mark.parametrize('family', ['openclip', 'timm'])
@pytest.mark.parametrize('targets', [('q', 'k', 'v'), ('q', 'v'), ('q', 'k', 'v', 'o')])
def test_lora_starts_as_the_frozen_model_and_then_changes_it(family, targets):
    arch, size = TINY_ARCHS[family]
    x = torch.rand(2, 3, size, size) * 255
    plain = MODELS.build(dict(type='CLIPViT', arch=arch, out_indices=(1, 3))).eval()
    lora = MODELS.build(
        dict(
            type='CLIPViT',
            arch=arch,
            out_indices=(1, 3),
            adapter=dict(type='LoRAAdapter', rank=4, alpha=8, targets=targets)))
    lora.eval()
    wrapped = '.base.' if 'o' in targets else '.'
    renames = (('attn.in_proj_weight', 'attn.in_proj.weight'), ('attn.in_proj_bias',
                                                                'attn.in_proj.bias'),
               ('attn.out_proj.', 'attn.out_proj' + wrapped), ('attn.proj.', 'attn.proj' + wrapped))

    def renamed(key: str) -> str:
        for old, new in renames:
            key = key.replace(old, new)
        return key

    missing = lora.load_state_dict({
        renamed(k): v
        for k, v in plain.state_dict().items()
    },
                                   strict=False).missing_keys
    assert all('lora_' in k for k in missing)
    for a, b in zip(lora(x), plain(x)):
        torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-4)
    with torch.no_grad():
        for name, p in lora.named_parameters():
            if 'lora_up' in name:
                p.normal_(0, 0.1)
    assert not torch.allclose(lora(x)[0], plain(x)[0], atol=1e-3)


def test_lora_rejects_unknown_targets_and_blocks():
    with pytest.raises(ValueError, match='targets'):
        LoRAAdapter(32, targets=('x', ))
    with pytest.raises(TypeError, match='cannot add LoRA'):
        LoRAAdapter(32).attach(torch.nn.Linear(2, 2))


@pytest.mark.parametrize(
    'adapter', [dict(type='HTAdapter', bottleneck=8),
                dict(type='LoRAAdapter', rank=4)],
    ids=['ht', 'lora'])
def test_adapter_checkpoint_round_trip(tmp_path, adapter):
    cfg = dict(type='CLIPViT', arch=TINY_OPENCLIP_ARCH, out_indices=(1, 3), adapter=adapter)
    source = MODELS.build(cfg).eval()
    with torch.no_grad():
        for p in source.parameters():
            if p.requires_grad:
                p.add_(0.1 * torch.randn_like(p))
    path = source.save_adapters(tmp_path / 'adapters.safetensors')
    target = MODELS.build(cfg).eval()
    target.load_state_dict(
        {
            k: v
            for k, v in source.state_dict().items()
            if 'lora_' not in k and not k.startswith('adapters.')
        },
        strict=False)
    x = torch.rand(2, 3, 32, 32) * 255
    assert not torch.allclose(target(x)[0], source(x)[0])
    target.load_adapters(path)
    for a, b in zip(target(x), source(x)):
        torch.testing.assert_close(a, b)
    via_config = MODELS.build(dict(cfg, adapter_checkpoint=str(path))).eval()
    via_config.tower.load_state_dict(source.tower.state_dict())
    torch.testing.assert_close(via_config(x)[0], source(x)[0])
    wrong = MODELS.build(dict(cfg, adapter=dict(type='MonaAdapter', bottleneck=16)))
    with pytest.raises(ValueError, match='adapters.safetensors'):
        wrong.load_adapters(path)
