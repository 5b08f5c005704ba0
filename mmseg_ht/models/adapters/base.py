"""The contract between an adapted tower (``AdaptedTower``) and its adapters.

``AdaptedTower.attach_adapters`` builds one adapter per selected transformer block
from the ``ADAPTERS`` registry, passing the block geometry as default arguments
(``dim``, ``grid_size``, ``num_prefix_tokens``). It then calls
``adapter.attach(block)`` once. Two kinds exist:

* output adapters (HT, Mona) transform the block's output tokens; the
  backbone applies them after the block (``acts_on_output = True``);
* in-block adapters (LoRA) change the block's own projections in
  ``attach`` and keep no parameters of their own (``acts_on_output = False``).
"""
from typing import Tuple

import torch
import torch.nn as nn


def patch_tokens_to_map(patch_tokens: torch.Tensor, grid_size: Tuple[int, int]) -> torch.Tensor:
    """Patch tokens (B, h·w, C) → map (B, C, h, w); an error names both sizes."""
    h, w = grid_size
    if patch_tokens.shape[1] != h * w:
        raise ValueError(f'expected {h}x{w}={h * w} patch tokens, got {patch_tokens.shape[1]}')
    return patch_tokens.transpose(1, 2).reshape(patch_tokens.shape[0], -1, h, w)


class BaseAdapter(nn.Module):
    """Base class of all adapters; see the module docstring."""

    acts_on_output: bool = True

    def __init__(self,
                 dim: int,
                 grid_size: Tuple[int, int] = (14, 14),
                 num_prefix_tokens: int = 1) -> None:
        super().__init__()
        self.dim = dim
        self.grid_size = tuple(grid_size)
        self.num_prefix_tokens = num_prefix_tokens

    def attach(self, block: nn.Module) -> None:
        """Hook into ``block`` (no-op for output adapters)."""

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError(f'{type(self).__name__} does not act on block outputs')
