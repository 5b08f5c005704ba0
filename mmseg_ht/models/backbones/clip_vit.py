"""CLIPViT: a frozen open_clip image tower with parameter-efficient adapters.

The backbone builds the tower (``towers``), loads local pretrained weights
strictly and safely (``pretrained``), freezes it, attaches one adapter per
selected block, and runs the blocks itself so it can hand out intermediate
token maps and stop after the last block a task needs. CLIP's mean/std
normalisation happens here, once, from the tower's own constants: feed it
RGB images in 0–255 (the data preprocessor only converts BGR→RGB).
"""
from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.logging import MMLogger
from mmseg.registry import MODELS
from torch.utils.checkpoint import checkpoint

from mmseg_ht.compat.torch_versions import attention_guard
from mmseg_ht.models.adapters import AdaptedTower, log_parameter_report
from mmseg_ht.models.adapters.base import patch_tokens_to_map
from mmseg_ht.utils import warn_random_init
from .pretrained import load_pretrained_image_tower
from .tower_families import family_of
from .towers import ArchSpec, build_image_tower

OPENAI_CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
OPENAI_CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


@MODELS.register_module()
class CLIPViT(AdaptedTower):
    """Frozen CLIP image tower + adapters, returning multi-level token maps.

    Attaching, freezing and the adapter weights are ``AdaptedTower``'s.

    Args:
        arch: open_clip model name or model-config dict (see ``towers``).
        pretrained: local weights file; None → random init with a warning.
        out_indices: 0-based blocks whose outputs are returned as
            (B, D, h, w) maps, in this order (paper: 3, 6, 9).
        adapter: adapter config, e.g. ``dict(type='HTAdapter', bottleneck=64,
            blocks='all')``; ``blocks`` is 'all' or a list of block indices.
            None → frozen tower only (the paper's baseline).
        adapter_checkpoint: safetensors file of adapter weights (e.g. from the
            contrastive stage), loaded after the adapters are attached.
        out_pooled: also return the pooled, projected image embedding (B, E)
            as the last output; all blocks then run.
        frozen: freeze the tower (True in every paper experiment).
        normalize: apply CLIP mean/std to 0–255 RGB inputs.
        with_cp: activation checkpointing of the tower's blocks (as mmseg's ``with_cp``):
            a block whose backward is needed (it follows a trained adapter, or holds LoRA)
            keeps only its input and recomputes its activations in the backward pass —
            less memory for large batches, about one more block forward of compute.
            Outputs and gradients are unchanged. Default off.
    """

    def __init__(self,
                 arch: ArchSpec = 'ViT-B-16-quickgelu',
                 pretrained: Optional[str] = None,
                 out_indices: Sequence[int] = (3, 6, 9),
                 adapter: Optional[Dict] = None,
                 adapter_checkpoint: Optional[str] = None,
                 out_pooled: bool = False,
                 frozen: bool = True,
                 normalize: bool = True,
                 with_cp: bool = False,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.arch_name = arch if isinstance(arch, str) else 'custom'
        self.tower = build_image_tower(arch)
        self.family = family_of(self.tower)
        self._load_or_warn(pretrained)
        self.frozen = frozen
        if frozen:
            self.freeze_tower()

        num_blocks = len(self.tower_blocks())
        self.out_indices = self._check_out_indices(out_indices, num_blocks)
        self.out_pooled = out_pooled
        self.with_cp = with_cp
        self.num_blocks_run = num_blocks if out_pooled else max(self.out_indices) + 1
        self.attach_adapters(
            adapter,
            dict(
                dim=self.family.width(self.tower),
                grid_size=self.family.grid_size(self.tower),
                num_prefix_tokens=self.family.num_prefix_tokens(self.tower)))
        if adapter_checkpoint:
            self.load_adapters(adapter_checkpoint)

        mean = torch.tensor(getattr(self.tower, 'image_mean', None) or OPENAI_CLIP_MEAN) * 255
        std = torch.tensor(getattr(self.tower, 'image_std', None) or OPENAI_CLIP_STD) * 255
        self.normalize = normalize
        self.register_buffer('pixel_mean', mean.view(1, 3, 1, 1), persistent=False)
        self.register_buffer('pixel_std', std.view(1, 3, 1, 1), persistent=False)
        log_parameter_report(self)

    # ---------------------------------------------------------------- build
    def _load_or_warn(self, pretrained: Optional[str]) -> None:
        if pretrained:
            load_pretrained_image_tower(self.tower, pretrained, self.arch_name)
            MMLogger.get_current_instance().info(f'CLIPViT: loaded {pretrained}')
        else:
            warn_random_init(
                'CLIPViT', 'model.backbone.pretrained', 'the image tower',
                'Results will be meaningless for anything but smoke tests.',
                'Set pretrained to a local CLIP weights file (see docs/en/weights.md).')

    @staticmethod
    def _check_out_indices(out_indices: Sequence[int], num_blocks: int) -> Tuple[int, ...]:
        out_indices = tuple(int(i) for i in out_indices)
        if not out_indices or any(not 0 <= i < num_blocks for i in out_indices):
            raise ValueError(f'out_indices must be block indices in [0, {num_blocks - 1}], '
                             f'got {out_indices}')
        return out_indices

    def tower_blocks(self) -> nn.ModuleList:
        """The tower's transformer blocks (open_clip resblocks or timm blocks)."""
        return self.family.blocks(self.tower)

    # -------------------------------------------------------------- forward
    def _check_input(self, images: torch.Tensor) -> None:
        expected = self.family.image_size(self.tower)
        size = tuple(int(s) for s in images.shape[-2:])  # ints also while traced
        if size != expected:
            raise ValueError(
                f'CLIPViT expects {expected[0]}x{expected[1]} inputs (its position '
                f'embedding is not interpolated), got {size}: resize/crop to that size in '
                f'the data pipeline (mmseg\'s get_flops.py: --shape {expected[0]}).')

    def tokens_to_map(self, tokens: torch.Tensor) -> torch.Tensor:
        """Drop prefix tokens and reshape (B, prefix + h·w, D) → (B, D, h, w)."""
        patches = tokens[:, self.family.num_prefix_tokens(self.tower):]
        return patch_tokens_to_map(patches, self.family.grid_size(self.tower))

    def _run_block(self, block: nn.Module, tokens: torch.Tensor) -> torch.Tensor:
        """One tower block; checkpointed (``with_cp``) when it records an autograd graph."""
        records_graph = torch.is_grad_enabled() and (tokens.requires_grad
                                                     or any(p.requires_grad
                                                            for p in block.parameters()))

        def run(x: torch.Tensor) -> torch.Tensor:
            with attention_guard(x):  # torch 2.1: no CPU bf16 flash-attention backward
                return block(x)

        if self.with_cp and records_graph:
            return checkpoint(run, tokens, use_reentrant=False)
        return run(tokens)

    def forward(self, images: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Return the maps of ``out_indices`` (+ the pooled embedding if ``out_pooled``)."""
        self._check_input(images)
        if self.normalize:
            images = (images - self.pixel_mean) / self.pixel_std
        # Frozen blocks before the first adapter record no autograd graph by
        # themselves: none of their inputs or parameters requires grad.
        blocks = self.family.blocks(self.tower)
        tokens = self.family.embed(self.tower, images)
        taken = {}
        for index in range(self.num_blocks_run):
            tokens = self._run_block(blocks[index], tokens)
            if str(index) in self.adapters:
                tokens = self.adapters[str(index)](tokens)
            if index in self.out_indices:
                taken[index] = self.tokens_to_map(tokens)
        result = tuple(taken[i] for i in self.out_indices)
        if self.out_pooled:
            result += (self.family.pool(self.tower, tokens), )
        return result
