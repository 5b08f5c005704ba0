"""Fusion of several ViT token maps into one map (shared by the seg and cls heads).

Per level: Linear(C_in → C) then a refinement LN → Linear → GELU → Linear
(the reference code's projection); the levels are summed element-wise.
"""
from typing import Sequence

import torch
import torch.nn as nn


class LevelProjection(nn.Sequential):
    """Project one level's tokens to the fused width and refine them."""

    def __init__(self, in_channels: int, channels: int) -> None:
        super().__init__(
            nn.Linear(in_channels, channels), nn.LayerNorm(channels), nn.Linear(channels, channels),
            nn.GELU(), nn.Linear(channels, channels))


class MultiLevelFusion(nn.Module):
    """Maps [(B, C_i, h, w)] → one (B, channels, h, w) map by projection and sum."""

    def __init__(self, in_channels: Sequence[int], channels: int) -> None:
        super().__init__()
        self.projections = nn.ModuleList(LevelProjection(c, channels) for c in in_channels)

    def forward(self, maps: Sequence[torch.Tensor]) -> torch.Tensor:
        if len(maps) != len(self.projections):
            raise ValueError(f'expected {len(self.projections)} maps, got {len(maps)}')
        batch, _, height, width = maps[0].shape
        fused = sum(proj(m.flatten(2).transpose(1, 2)) for proj, m in zip(self.projections, maps))
        return fused.transpose(1, 2).reshape(batch, -1, height, width)
