"""Building blocks of the Hybrid-tuning (HT) adapter (paper eqs. 1–5)."""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F


class ScaledLayerNorm(nn.Module):
    """LN(x)·γ + x·γx with learnable per-channel γ (init 1e-6) and γx (init 1)."""

    def __init__(self, dim: int, gamma_init: float = 1e-6) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.gamma = nn.Parameter(torch.full((dim,), gamma_init))
        self.gamma_x = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x) * self.gamma + x * self.gamma_x


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
            raise ValueError(
                f'the spectral filter was built for a {self.grid_size} token grid, '
                f'got {tuple(x.shape[-2:])}; inputs must be the tower\'s image size')
        with torch.autocast(device_type=x.device.type, enabled=False):
            spectrum = torch.fft.rfft2(x.float(), norm='ortho')
            filtered = torch.fft.irfft2(spectrum * self.weight.float(), s=x.shape[-2:], norm='ortho')
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
            nn.Conv2d(channels, channels, k, padding=k // 2, groups=channels)
            for k in kernel_sizes)
        self.proj = nn.Conv2d(channels, channels, 1)

    @property
    def num_branches(self) -> int:
        return len(self.convs)

    def forward(self, x: torch.Tensor, residual: torch.Tensor,
                weights: Optional[torch.Tensor] = None) -> torch.Tensor:
        branches = torch.stack([conv(x) for conv in self.convs], dim=1)  # B, n, C, H, W
        if weights is None:
            fused = branches.mean(dim=1)
        else:
            fused = (branches * weights[:, :, None, None, None]).sum(dim=1)
        fused = fused + residual
        return fused + self.proj(fused)
