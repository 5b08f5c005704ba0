"""AdaptedTower: a frozen pretrained tower plus PEFT adapters, handled by one class.

As mmpretrain's ``LoRAModel`` keeps wrapping, freezing and the state dict of
one PEFT method together, this base class of ``CLIPViT`` (image towers: open_clip
and timm ViTs) and ``OpenCLIPTextEncoder`` (open_clip and Hugging Face BERT text
towers) does for every adapter type (HT and its ablations, Mona, LoRA):

* attach: one adapter per selected block, built from the ``ADAPTERS``
  registry. Output adapters (HT, Mona) live in ``self.adapters``
  (state-dict keys ``adapters.<block>.*``) and the subclass applies them after
  their block; in-block adapters (LoRA) replace projections inside the
  tower's blocks (keys ``tower.….lora_down`` / ``lora_up``). Keys and module
  order are those of every checkpoint written so far.
* freeze: the tower is frozen and stays in eval mode under ``train()``; the
  LoRA layers inside follow the mode. Adapters after the last block a task
  runs are frozen too (they never reach a loss).
* adapter weights: ``adapter_state_dict`` (chosen by ``is_adapter_parameter``),
  ``load_adapter_state_dict`` (checked key for key and shape for shape),
  ``load_adapters`` / ``save_adapters`` (files, read and written safely).

Parameter accounting of an adapted tower: ``parameter_report.log_parameter_report``.
"""
import copy
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Optional, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmseg_ht.registry import ADAPTERS
from mmseg_ht.utils import check_fits, load_state_dict_safely, save_state_dict_safely
from .checkpoint import (IMAGE_FORMAT, AdapterMismatchError, is_adapter_parameter,
                         split_checkpoint_adapters, strip_to_tower_names)
from .lora import LoRAModule


def resolve_block_indices(blocks: Union[str, Iterable[int]], num_blocks: int) -> List[int]:
    """'all' or explicit 0-based indices → a sorted, checked list."""
    if blocks == 'all':
        return list(range(num_blocks))
    indices = sorted(int(i) for i in blocks)
    if any(not 0 <= i < num_blocks for i in indices):
        raise ValueError(f'adapter blocks must lie in [0, {num_blocks - 1}], got {indices}')
    return indices


class AdaptedTower(BaseModule):
    """Base class: a frozen ``self.tower`` with adapters; see the module docstring.

    Subclasses build ``self.tower``, set ``arch_name``, implement ``tower_blocks``
    and call ``freeze_tower`` and ``attach_adapters``. A subclass whose forward
    stops early sets ``num_blocks_run`` first (None: all blocks run); adapters
    after that block cannot train.
    """

    frozen: bool = True
    arch_name: str = ''
    num_blocks_run: Optional[int] = None
    tower_kind: str = 'image'  # its part of a whole-model checkpoint: 'image' or 'text'

    def tower_blocks(self) -> nn.ModuleList:  # pragma: no cover - abstract
        """The transformer blocks of ``self.tower``, in order."""
        raise NotImplementedError

    def blocks_run(self) -> int:
        """How many blocks the forward pass runs."""
        return len(self.tower_blocks()) if self.num_blocks_run is None else self.num_blocks_run

    # ------------------------------------------------------------ attach, freeze
    def freeze_tower(self) -> None:
        """Freeze every pretrained parameter of the tower."""
        self.frozen = True
        self.tower.requires_grad_(False)

    def attach_adapters(self,
                        adapter_cfg: Optional[Dict],
                        geometry: Dict,
                        output_adapters: bool = True) -> None:
        """Build one adapter per selected block and attach it.

        ``adapter_cfg['blocks']`` selects blocks ('all' by default); ``geometry``
        (dim, grid_size, num_prefix_tokens) goes to every adapter. With
        ``output_adapters=False`` (text towers) only in-block adapters are allowed.
        """
        self.adapters = nn.ModuleDict()
        if not adapter_cfg:
            return
        cfg = copy.deepcopy(dict(adapter_cfg))
        blocks = self.tower_blocks()
        indices = resolve_block_indices(cfg.pop('blocks', 'all'), len(blocks))
        cfg['_scope_'] = ADAPTERS.scope  # keeps the lookup in ADAPTERS under any default scope
        for index in indices:
            adapter = ADAPTERS.build(cfg, default_args=geometry)
            if adapter.acts_on_output and not output_adapters:
                raise ValueError(f'{cfg["type"]} acts on token maps; only in-block adapters '
                                 f'(LoRAAdapter) can adapt the {type(self).__name__} tower')
            adapter.attach(blocks[index])
            if adapter.acts_on_output:
                self.adapters[str(index)] = adapter
        for index in range(self.blocks_run(), len(blocks)):
            # Never run, so never reaches a loss: keep it out of the optimizer
            # (and DDP's unused-parameter check). Its weights still load/export.
            blocks[index].requires_grad_(False)
            if str(index) in self.adapters:
                self.adapters[str(index)].requires_grad_(False)

    def train(self, mode: bool = True) -> 'AdaptedTower':
        """A frozen tower stays in eval mode (dropout off); adapters follow ``mode``."""
        super().train(mode)
        if self.frozen:
            self.tower.eval()
            for module in self.tower.modules():
                if isinstance(module, LoRAModule):
                    module.train(mode)
        return self

    # ------------------------------------------------------------ adapter weights
    def adapter_state_dict(self) -> Dict[str, torch.Tensor]:
        """The adapter parameters, by name relative to this module."""
        return {
            name: param
            for name, param in self.named_parameters() if is_adapter_parameter(name)
        }

    def load_adapter_state_dict(self, weights: Mapping[str, torch.Tensor], source: str) -> None:
        """Copy ``weights`` (exactly this tower's adapter keys and shapes) into the adapters.

        An ``AdapterMismatchError`` (a ``ValueError``) names ``source`` and the
        offending keys otherwise.
        """
        expected = self.adapter_state_dict()
        check_fits(
            expected, weights, AdapterMismatchError,
            f'{source}: adapter weights do not fit this {type(self).__name__}',
            'The weights must come from a model with the same arch and adapter config '
            '(type, bottleneck/rank, blocks).')
        with torch.no_grad():
            for name, param in expected.items():
                param.copy_(weights[name])

    def load_adapters(self, path: Union[str, Path]) -> List[str]:
        """Load an adapter file (safetensors, or a plain-tensor .pth read weights-only).

        An adapter file, or a whole-model checkpoint: there this tower's part
        (``backbone.*`` or ``text_encoder.*``, see ``tower_kind``) is taken; another
        model prefix is dropped. The file's other tensors are ignored. Returns the
        loaded names.
        """
        weights = load_state_dict_safely(path)
        towers = split_checkpoint_adapters(weights)
        if any(towers.values()):
            weights = towers[self.tower_kind]
        else:
            weights = {
                k: v
                for k, v in strip_to_tower_names(weights).items() if is_adapter_parameter(k)
            }
        self.load_adapter_state_dict(weights, str(path))
        return sorted(weights)

    def save_adapters(self,
                      path: Union[str, Path],
                      metadata: Optional[Mapping[str, object]] = None) -> Path:
        """Write the adapter parameters to a safetensors file (metadata as strings)."""
        weights = self.adapter_state_dict()
        if not weights:
            raise ValueError(f'this {type(self).__name__} has no adapter parameters to export')
        info = {'format': IMAGE_FORMAT, 'arch': self.arch_name}
        info.update(metadata or {})
        return save_state_dict_safely(weights, path, metadata={k: str(v) for k, v in info.items()})
