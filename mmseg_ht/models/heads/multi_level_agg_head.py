"""MultiLevelAggHead: the paper's segmentation head on CLIPViT's multi-level maps.

Fuses the maps of blocks 3/6/9 (``MultiLevelFusion``), then a 1×1 conv to the
classes. The paper upsamples the 512-channel map to the input size *before*
the 1×1 conv; both steps are linear, so this head applies the conv at token
resolution and lets mmseg's own bilinear resize (in ``loss_by_feat`` and
``predict_by_feat``) upsample the class logits: the same output at about a
quarter of the cost (tested in tests/test_models/test_heads.py).
"""
from typing import List, Sequence

import torch
from mmseg.registry import MODELS

from .multi_level_fusion import MultiLevelFusion
from .multi_level_head import MultiLevelDecodeHead


@MODELS.register_module()
class MultiLevelAggHead(MultiLevelDecodeHead):
    """Multi-level aggregation + bilinear decode head (mmseg ``BaseDecodeHead``).

    Args:
        in_channels: widths of the selected backbone outputs (768 each for ViT-B).
        channels: fused width (``reduce_dim``; paper 512).
        in_index: which backbone outputs to fuse.
        Other arguments as ``BaseDecodeHead`` (num_classes, loss_decode …);
        ``dropout_ratio`` defaults to 0 (the paper uses none before the classifier).
    """

    def __init__(self,
                 in_channels: Sequence[int] = (768, 768, 768),
                 channels: int = 512,
                 in_index: Sequence[int] = (0, 1, 2),
                 dropout_ratio: float = 0.0,
                 **kwargs) -> None:
        super().__init__(in_channels, channels, in_index, dropout_ratio, **kwargs)
        self.fusion = MultiLevelFusion(self.in_channels, channels)

    def forward(self, inputs: List[torch.Tensor]) -> torch.Tensor:
        """Class logits at token resolution (B, num_classes, h, w)."""
        return self.cls_seg(self.fusion(self._transform_inputs(inputs)))
