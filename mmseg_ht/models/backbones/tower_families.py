"""Uniform access to the two ViT families open_clip builds.

OpenAI-style towers (``open_clip.transformer.VisionTransformer``; OpenAI CLIP,
MetaCLIP, UniMedCLIP) and timm trunks inside ``open_clip.timm_model.TimmModel``
(BiomedCLIP) embed, stack blocks and pool differently. A family is a
stateless class of static methods, so the backbone can run the blocks itself
(taking intermediate maps, stopping early) without wrapping or patching them.
"""
from typing import Tuple, Type

import torch
import torch.nn as nn
from open_clip.timm_model import TimmModel
from open_clip.transformer import VisionTransformer


class TowerFamily:
    """Interface of a family; every method takes the tower as first argument."""

    @staticmethod
    def matches(tower: nn.Module) -> bool:
        raise NotImplementedError

    @staticmethod
    def blocks(tower: nn.Module) -> nn.ModuleList:
        raise NotImplementedError

    @staticmethod
    def embed(tower: nn.Module, images: torch.Tensor) -> torch.Tensor:
        """Patch + position embedding: (B, 3, H, W) → tokens (B, prefix + h·w, D)."""
        raise NotImplementedError

    @staticmethod
    def pool(tower: nn.Module, tokens: torch.Tensor) -> torch.Tensor:
        """Final norm, pooling and projection: tokens → image embedding (B, E)."""
        raise NotImplementedError

    @staticmethod
    def width(tower: nn.Module) -> int:
        raise NotImplementedError

    @staticmethod
    def grid_size(tower: nn.Module) -> Tuple[int, int]:
        raise NotImplementedError

    @staticmethod
    def image_size(tower: nn.Module) -> Tuple[int, int]:
        raise NotImplementedError

    @staticmethod
    def num_prefix_tokens(tower: nn.Module) -> int:
        raise NotImplementedError


def _pair(value) -> Tuple[int, int]:
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


class OpenCLIPViTFamily(TowerFamily):
    """open_clip's own ViT (blocks: ``ResidualAttentionBlock``)."""

    @staticmethod
    def matches(tower: nn.Module) -> bool:
        return isinstance(tower, VisionTransformer)

    @staticmethod
    def blocks(tower: nn.Module) -> nn.ModuleList:
        if not getattr(tower.transformer, 'batch_first', True):
            raise NotImplementedError('sequence-first open_clip transformers are not supported; '
                                      'use open_clip >= 3 (batch_first=True).')
        return tower.transformer.resblocks

    @staticmethod
    def embed(tower: nn.Module, images: torch.Tensor) -> torch.Tensor:
        return tower._embeds(images)

    @staticmethod
    def pool(tower: nn.Module, tokens: torch.Tensor) -> torch.Tensor:
        pooled, _ = tower._pool(tokens)
        return pooled @ tower.proj if tower.proj is not None else pooled

    @staticmethod
    def width(tower: nn.Module) -> int:
        return tower.transformer.width

    @staticmethod
    def grid_size(tower: nn.Module) -> Tuple[int, int]:
        return _pair(tower.grid_size)

    @staticmethod
    def image_size(tower: nn.Module) -> Tuple[int, int]:
        return _pair(tower.image_size)

    @staticmethod
    def num_prefix_tokens(tower: nn.Module) -> int:
        return 1


class TimmViTFamily(TowerFamily):
    """A timm ``VisionTransformer`` trunk in open_clip's ``TimmModel`` (blocks: timm ``Block``)."""

    @staticmethod
    def matches(tower: nn.Module) -> bool:
        return isinstance(tower, TimmModel) and hasattr(tower.trunk, 'blocks')

    @staticmethod
    def blocks(tower: nn.Module) -> nn.ModuleList:
        return tower.trunk.blocks

    @staticmethod
    def embed(tower: nn.Module, images: torch.Tensor) -> torch.Tensor:
        trunk = tower.trunk
        tokens = trunk._pos_embed(trunk.patch_embed(images))
        return trunk.norm_pre(trunk.patch_drop(tokens))

    @staticmethod
    def pool(tower: nn.Module, tokens: torch.Tensor) -> torch.Tensor:
        return tower.head(tower.trunk.forward_head(tower.trunk.norm(tokens)))

    @staticmethod
    def width(tower: nn.Module) -> int:
        return tower.trunk.embed_dim

    @staticmethod
    def grid_size(tower: nn.Module) -> Tuple[int, int]:
        return _pair(tower.trunk.patch_embed.grid_size)

    @staticmethod
    def image_size(tower: nn.Module) -> Tuple[int, int]:
        return _pair(tower.trunk.patch_embed.img_size)

    @staticmethod
    def num_prefix_tokens(tower: nn.Module) -> int:
        return tower.trunk.num_prefix_tokens


FAMILIES = (OpenCLIPViTFamily, TimmViTFamily)


def family_of(tower: nn.Module) -> Type[TowerFamily]:
    """The family that knows how to run ``tower``; error for other towers."""
    for family in FAMILIES:
        if family.matches(tower):
            return family
    raise TypeError(f'{type(tower).__name__} is not a supported image tower: CLIPViT runs '
                    'open_clip VisionTransformer towers and timm ViT trunks (TimmModel).')
