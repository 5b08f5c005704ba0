"""The reordered (fast) computations equal the straightforward order of operations.

See the module docstring of mmseg_ht/models/adapters/ht_layers.py for what is reordered:
γ folded into the layer norm's affine, and the weighted sum of the k=3/5/7 depth-wise
convs computed as one depth-wise conv with the combined kernel (per image for HT).
Outputs and every gradient are compared with the paper's order.
"""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import mmseg_ht  # noqa: F401
from mmseg_ht.models.adapters import HTAdapter, MonaAdapter
from mmseg_ht.models.adapters.ht_layers import MultiScaleDepthwiseConv, ScaledLayerNorm

TOL = dict(atol=1e-5, rtol=1e-5)
# gradients of a squared loss are sums over many terms: float32 rounding of the two orders
GRAD_TOL = dict(atol=1e-4, rtol=1e-4)


def _perturb(module: nn.Module, seed: int = 0) -> nn.Module:
    """Move every parameter away from its init (γ = 1e-6 or zero biases hide mistakes)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.add_(torch.randn(p.shape, generator=gen) * 0.3)
    return module


def _grads(module: nn.Module, *inputs: torch.Tensor) -> list:
    return [p.grad.clone() for p in module.parameters()] + [t.grad.clone() for t in inputs]


def _straight_scaled_norm(module: ScaledLayerNorm, x: torch.Tensor) -> torch.Tensor:
    return module.norm(x) * module.gamma + x * module.gamma_x


def _straight_branches(module: MultiScaleDepthwiseConv, x, residual, weights):
    """The paper's order: every branch, stacked, weighted (or averaged), summed."""
    branches = torch.stack([conv(x) for conv in module.convs], dim=1)
    fused = branches.mean(dim=1) if weights is None else \
        (branches * weights[:, :, None, None, None]).sum(dim=1)
    fused = fused + residual
    return fused + module.proj(fused)


def test_scaled_layer_norm_fold_equals_ln_times_gamma():
    module = _perturb(ScaledLayerNorm(24))
    x = torch.randn(3, 7, 24, requires_grad=True)
    fast = module(x)
    fast.square().sum().backward()
    fast_grads = _grads(module, x)
    module.zero_grad()
    x.grad = None
    slow = _straight_scaled_norm(module, x)
    slow.square().sum().backward()
    torch.testing.assert_close(fast, slow, **TOL)
    for a, b in zip(fast_grads, _grads(module, x)):
        torch.testing.assert_close(a, b, **GRAD_TOL)


@pytest.mark.parametrize('per_image', [True, False], ids=['HT-weights', 'Mona-mean'])
@pytest.mark.parametrize('kernel_sizes', [(3, 5, 7), (1, 3), (2, 4)])
def test_one_combined_depthwise_conv_equals_weighted_branches(per_image, kernel_sizes):
    module = _perturb(MultiScaleDepthwiseConv(6, kernel_sizes))
    x = torch.randn(4, 6, 9, 9, requires_grad=True)
    residual = torch.randn(4, 6, *module.convs[0](x).shape[-2:], requires_grad=True)
    logits = torch.randn(4, len(kernel_sizes), requires_grad=True)

    fast = module(x, residual, logits.softmax(dim=1) if per_image else None)
    fast.square().sum().backward()
    fast_grads = _grads(module, x, residual) + ([logits.grad.clone()] if per_image else [])
    module.zero_grad()
    for t in (x, residual, logits):
        t.grad = None
    slow = _straight_branches(module, x, residual, logits.softmax(dim=1) if per_image else None)
    slow.square().sum().backward()
    slow_grads = _grads(module, x, residual) + ([logits.grad.clone()] if per_image else [])

    torch.testing.assert_close(fast, slow, **TOL)
    for a, b in zip(fast_grads, slow_grads):
        torch.testing.assert_close(a, b, **GRAD_TOL)


def test_combined_kernel_is_the_centred_weighted_sum():
    module = _perturb(MultiScaleDepthwiseConv(2, (3, 5, 7)))
    weights = torch.tensor([[1.0, 0.0, 0.0], [0.2, 0.3, 0.5]])
    kernel, bias = module.fused_kernel(weights)
    assert kernel.shape == (2, 2, 1, 7, 7) and bias.shape == (2, 2)
    k3 = module.convs[0].weight
    torch.testing.assert_close(kernel[0, :, :, 2:5, 2:5], k3)  # the 3x3 sits in the centre
    assert kernel[0, :, :, :2].abs().sum() == 0 and kernel[0, :, :, 5:].abs().sum() == 0
    torch.testing.assert_close(
        bias[1],
        0.2 * module.convs[0].bias + 0.3 * module.convs[1].bias + 0.5 * module.convs[2].bias)


@pytest.mark.parametrize('adapter_cls', [HTAdapter, MonaAdapter])
def test_whole_adapter_equals_straightforward_order_with_unchanged_state_dict(adapter_cls):
    torch.manual_seed(0)
    adapter = _perturb(adapter_cls(32, (14, 14), bottleneck=8)).eval()
    assert {k
            for k in adapter.state_dict() if k.startswith(('norm.', 'convs.'))} == {
                'norm.norm.weight', 'norm.norm.bias', 'norm.gamma', 'norm.gamma_x',
                'convs.proj.weight', 'convs.proj.bias',
                *(f'convs.convs.{i}.{n}' for i in range(3) for n in ('weight', 'bias'))
            }
    x = torch.randn(3, 197, 32)

    h = adapter.down(_straight_scaled_norm(adapter.norm, x))
    fmap = h[:, 1:].transpose(1, 2).reshape(3, -1, 14, 14)
    filtered = adapter.frequency_filter(fmap) if adapter.frequency_filter else fmap
    weights = adapter.noise_estimator(filtered) if adapter.noise_estimator else None
    patches = _straight_branches(adapter.convs, filtered, fmap, weights).flatten(2).transpose(1, 2)
    expected = x + adapter.up(F.gelu(torch.cat([h[:, :1], patches], dim=1)))
    torch.testing.assert_close(adapter(x), expected, **TOL)


def test_fast_path_under_bfloat16_autocast_stays_close():
    adapter = _perturb(HTAdapter(32, (14, 14), bottleneck=8)).eval()
    x = torch.randn(2, 197, 32)
    reference = adapter(x)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = adapter(x)
    assert out.dtype == torch.float32  # the residual stream (x) keeps its dtype
    torch.testing.assert_close(out, reference, atol=0.1, rtol=0.05)
