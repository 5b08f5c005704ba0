"""The Hybrid-tuning (HT) adapter and its ablations.

Per block output X (B, prefix + h·w, D): X' = W_down(LN(X)·γ + X·γx); the
prefix (CLS) tokens bypass the 2-D path; patch tokens become a map F
(B, r, h, w) → frequency filter → multi-scale depth-wise convs fused with
noise-estimator weights (+ F) → 1×1 projection residual; prefix tokens are
put back, GELU, dropout, W_up back to D, plus X.

Ablations (paper): ``frequency_filter=None`` → "NE only"; ``noise_estimation=False``
→ "FF only" (equal weights 1/3); both off → Mona (see ``MonaAdapter``).
"""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn

from mmseg_ht.registry import ADAPTERS
from .base import BaseAdapter, patch_tokens_to_map
from .ht_layers import FrequencyFilter, MultiScaleDepthwiseConv, NoiseEstimator, ScaledLayerNorm


@ADAPTERS.register_module()
class HTAdapter(BaseAdapter):
    """Hybrid-tuning adapter: frequency filtering + noise-estimated multi-scale convs.

    Args:
        dim: token width D of the block (given by the backbone).
        grid_size: patch grid (h, w) (given by the backbone).
        num_prefix_tokens: CLS-like tokens before the patches (given by the backbone).
        bottleneck: width r of the adapter's 2-D path (paper: 64).
        frequency_filter: 'spectral' (per channel and frequency bin, default),
            'channel' (per channel, the authors' released code) or None (off).
        noise_estimation: weight the conv branches per image (True) or
            equally (False).
        kernel_sizes: depth-wise kernel sizes (paper: 3, 5, 7).
        dropout: dropout before the up-projection (paper: 0.1).
    """

    def __init__(self,
                 dim: int,
                 grid_size: Tuple[int, int] = (14, 14),
                 num_prefix_tokens: int = 1,
                 bottleneck: int = 64,
                 frequency_filter: Optional[str] = 'spectral',
                 noise_estimation: bool = True,
                 kernel_sizes: Sequence[int] = (3, 5, 7),
                 dropout: float = 0.1) -> None:
        super().__init__(dim, grid_size, num_prefix_tokens)
        self.norm = ScaledLayerNorm(dim)
        self.down = nn.Linear(dim, bottleneck)
        self.frequency_filter = (
            FrequencyFilter(bottleneck, self.grid_size, frequency_filter)
            if frequency_filter else None)
        self.convs = MultiScaleDepthwiseConv(bottleneck, kernel_sizes)
        self.noise_estimator = (
            NoiseEstimator(bottleneck, self.convs.num_branches) if noise_estimation else None)
        self.act = nn.GELU()
        self.dropout = nn.Dropout(dropout)
        self.up = nn.Linear(bottleneck, dim)

    def spatial_path(self, feature_map: torch.Tensor) -> torch.Tensor:
        """The 2-D path on the patch map F (B, r, h, w)."""
        filtered = self.frequency_filter(feature_map) if self.frequency_filter else feature_map
        weights = self.noise_estimator(filtered) if self.noise_estimator else None
        return self.convs(filtered, residual=feature_map, weights=weights)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.down(self.norm(tokens))
        prefix, patches = x[:, :self.num_prefix_tokens], x[:, self.num_prefix_tokens:]
        patches = self.spatial_path(patch_tokens_to_map(patches,
                                                        self.grid_size)).flatten(2).transpose(1, 2)
        x = torch.cat([prefix, patches], dim=1)
        return tokens + self.up(self.dropout(self.act(x)))


@ADAPTERS.register_module()
class MonaAdapter(HTAdapter):
    """Mona (Yin et al., CVPR 2025): HT without frequency filter and with equal weights."""

    def __init__(self,
                 dim: int,
                 grid_size: Tuple[int, int] = (14, 14),
                 num_prefix_tokens: int = 1,
                 bottleneck: int = 64,
                 kernel_sizes: Sequence[int] = (3, 5, 7),
                 dropout: float = 0.1) -> None:
        super().__init__(
            dim,
            grid_size,
            num_prefix_tokens,
            bottleneck,
            frequency_filter=None,
            noise_estimation=False,
            kernel_sizes=kernel_sizes,
            dropout=dropout)
