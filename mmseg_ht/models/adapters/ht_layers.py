"""Building blocks of the Hybrid-tuning (HT) adapter (paper eqs. 1–5).

Two modules compute the same result as the paper's order of operations in a
cheaper order (equivalence tested in tests/test_models/test_fast_paths.py;
parameters and state-dict keys are those of the straightforward form):

* ``ScaledLayerNorm``: LN(x)·γ with LN's own affine (a, b) is LN with affine
  (a·γ, b·γ) — one fused layer-norm kernel instead of LN + a full-size multiply
  (and its backward, which had to keep LN(x) for γ's gradient).
* ``MultiScaleDepthwiseConv``: Σ_i w_i·conv_i(x), depth-wise kernels 3/5/7 with
  padding k//2, is ONE depth-wise conv with the largest kernel whose weights are
  Σ_i w_i·pad(K_i) (smaller kernels zero-padded to the centre) and bias Σ_i w_i·b_i.
  Equal weights (Mona): an ordinary depth-wise 7×7 conv. Per-image weights (HT):
  a grouped conv over B·C groups on the batch folded into channels. No stack of
  branch outputs, 49 instead of 9+25+49 multiply-adds per output pixel.
"""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F


class ScaledLayerNorm(nn.Module):
    """LN(x)·γ + x·γx with learnable per-channel γ (init 1e-6) and γx (init 1)."""

    def __init__(self, dim: int, gamma_init: float = 1e-6) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.gamma = nn.Parameter(torch.full((dim, ), gamma_init))
        self.gamma_x = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # = self.norm(x) * self.gamma + x * self.gamma_x, with γ folded into LN's affine.
        norm = self.norm
        weight = norm.weight * self.gamma if norm.weight is not None else self.gamma
        bias = norm.bias * self.gamma if norm.bias is not None else None
        return F.layer_norm(x, norm.normalized_shape, weight, bias, norm.eps) + x * self.gamma_x


class FrequencyFilter(nn.Module):
    """Learnable filter in the 2-D Fourier domain: irfft2(rfft2(F) ⊙ K).

    ``mode='spectral'`` (default): one real gain per channel and frequency bin,
    K of shape (C, h, w//2+1), so periodic artefacts such as reverberation
    can be damped selectively. ``mode='channel'``: K of shape (C, 1, 1), the
    authors' released form, which is only a per-channel scale. K starts at 1:
    the filter is the identity at initialisation. The transform always runs
    in float32 (half-precision FFTs only take power-of-two sizes).
    """

    MODES = ('spectral', 'channel')

    def __init__(self, channels: int, grid_size: Tuple[int, int], mode: str = 'spectral') -> None:
        super().__init__()
        if mode not in self.MODES:
            raise ValueError(f'frequency_filter must be one of {self.MODES} or None, got {mode!r}')
        self.mode = mode
        self.grid_size = tuple(grid_size)
        h, w = self.grid_size
        shape = (channels, h, w // 2 + 1) if mode == 'spectral' else (channels, 1, 1)
        self.weight = nn.Parameter(torch.ones(shape))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-2:] != self.grid_size and self.mode == 'spectral':
            raise ValueError(f'the spectral filter was built for a {self.grid_size} token grid, '
                             f'got {tuple(x.shape[-2:])}; inputs must be the tower\'s image size')
        with torch.autocast(device_type=x.device.type, enabled=False):
            spectrum = torch.fft.rfft2(x.float(), norm='ortho')
            filtered = torch.fft.irfft2(
                spectrum * self.weight.float(), s=x.shape[-2:], norm='ortho')
        return filtered.to(x.dtype)


class NoiseEstimator(nn.Module):
    """Per-image branch weights: softmax(MLP(GAP(F))) over the conv branches."""

    def __init__(self, channels: int, num_branches: int = 3, reduction: int = 4) -> None:
        super().__init__()
        hidden = max(channels // reduction, 1)
        self.mlp = nn.Sequential(
            nn.Conv2d(channels, hidden, 1), nn.ReLU(inplace=True),
            nn.Conv2d(hidden, num_branches, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits = self.mlp(F.adaptive_avg_pool2d(x, 1)).flatten(1)
        return logits.float().softmax(dim=1).to(x.dtype)


class MultiScaleDepthwiseConv(nn.Module):
    """Depth-wise convs of several kernel sizes, fused with weights, plus 1×1 projection.

    out = y + proj(y), y = Σ_i w_i · conv_i(x) + residual. ``weights`` of shape
    (B, n) come from the noise estimator; ``None`` means equal weights 1/n
    (Mona). Separable: the depth-wise convs mix space, the shared 1×1
    projection mixes channels.
    """

    def __init__(self, channels: int, kernel_sizes: Sequence[int] = (3, 5, 7)) -> None:
        super().__init__()
        self.convs = nn.ModuleList(
            nn.Conv2d(channels, channels, k, padding=k // 2, groups=channels) for k in kernel_sizes)
        self.proj = nn.Conv2d(channels, channels, 1)

    @property
    def num_branches(self) -> int:
        return len(self.convs)

    def _fusable(self) -> bool:
        sizes = [conv.kernel_size for conv in self.convs]
        largest = self._largest_kernel_size()
        return all(k[0] == k[1] and k[0] % 2 == largest % 2 and conv.padding == (k[0] // 2, ) *
                   2 and conv.stride == (1, 1) and conv.dilation == (1, 1)
                   for k, conv in zip(sizes, self.convs))

    def _largest_kernel_size(self) -> int:
        return max(conv.kernel_size[0] for conv in self.convs)

    def fused_kernel(self, weights: Optional[torch.Tensor] = None):
        """Kernel (…, C, 1, K, K) and bias (…, C) of the single equivalent depth-wise conv.

        ``weights`` (B, n) → per-image kernels (B, C, 1, K, K); None → mean over branches.
        """
        largest = self._largest_kernel_size()
        kernels = []
        for conv in self.convs:
            p = (largest - conv.kernel_size[0]) // 2
            kernels.append(F.pad(conv.weight, (p, p, p, p)))
        kernels = torch.stack(kernels)  # n, C, 1, K, K
        biases = torch.stack([conv.bias for conv in self.convs])  # n, C
        if weights is None:
            return kernels.mean(dim=0), biases.mean(dim=0)
        weights = weights.to(kernels.dtype)
        kernel = torch.einsum('bn,nckij->bckij', weights, kernels)
        return kernel, weights @ biases

    def branch_sum(self, x: torch.Tensor, weights: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Σ_i w_i·conv_i(x) (mean if ``weights`` is None), as one depth-wise conv."""
        if not self._fusable():  # e.g. even and odd kernel sizes mixed: no common centre
            branches = torch.stack([conv(x) for conv in self.convs], dim=1)
            if weights is None:
                return branches.mean(dim=1)
            return (branches * weights[:, :, None, None, None]).sum(dim=1)
        kernel, bias = self.fused_kernel(weights)
        # From the modules, not kernel.shape: a traced shape is a tensor, which torch 2.1's
        # jit trace (mmengine's FLOP counter) turns into an empty padding list.
        pad = self._largest_kernel_size() // 2
        if weights is None:
            return F.conv2d(x, kernel, bias, padding=pad, groups=x.shape[1])
        batch, channels, height, width = x.shape
        out = F.conv2d(
            x.reshape(1, batch * channels, height, width),
            kernel.reshape(batch * channels, 1, *kernel.shape[-2:]),
            bias.reshape(-1),
            padding=pad,
            groups=batch * channels)
        return out.view(batch, channels, *out.shape[-2:])

    def forward(self,
                x: torch.Tensor,
                residual: torch.Tensor,
                weights: Optional[torch.Tensor] = None) -> torch.Tensor:
        fused = self.branch_sum(x, weights) + residual
        return fused + self.proj(fused)
