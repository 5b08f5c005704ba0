"""Attaching adapters to the blocks of a frozen transformer (image or text tower)."""
import copy
from typing import Dict, Iterable, Union

import torch.nn as nn

from mmseg_ht.registry import ADAPTERS
from .base import BaseAdapter
from .lora import LoRAModule


def resolve_block_indices(blocks: Union[str, Iterable[int]], num_blocks: int) -> list:
    """'all' or explicit 0-based indices → a sorted, checked list."""
    if blocks == 'all':
        return list(range(num_blocks))
    indices = sorted(int(i) for i in blocks)
    if any(not 0 <= i < num_blocks for i in indices):
        raise ValueError(f'adapter blocks must lie in [0, {num_blocks - 1}], got {indices}')
    return indices


def attach_adapters(blocks: nn.ModuleList, adapter_cfg: Dict, geometry: Dict) -> Dict[int, BaseAdapter]:
    """Build one adapter per selected block and attach it.

    ``adapter_cfg['blocks']`` selects blocks ('all' by default); ``geometry``
    (dim, grid_size, num_prefix_tokens) goes to every adapter. Returns the
    output adapters by block index (in-block adapters such as LoRA live
    inside their blocks and are not returned).
    """
    cfg = copy.deepcopy(adapter_cfg)
    indices = resolve_block_indices(cfg.pop('blocks', 'all'), len(blocks))
    # _scope_ keeps the lookup in ADAPTERS under any runner default_scope
    cfg['_scope_'] = ADAPTERS.scope
    output_adapters = {}
    for index in indices:
        adapter = ADAPTERS.build(cfg, default_args=geometry)
        adapter.attach(blocks[index])
        if adapter.acts_on_output:
            output_adapters[index] = adapter
    return output_adapters


def train_adapters_only(tower: nn.Module, mode: bool) -> None:
    """Keep a frozen tower in eval mode while the LoRA layers inside follow ``mode``."""
    tower.eval()
    for module in tower.modules():
        if isinstance(module, LoRAModule):
            module.train(mode)
