"""MultiLevelClsHead: the paper's classification head on the multi-level CLIP maps.

The token maps of blocks 3/6/9 are fused exactly as for segmentation
(``MultiLevelFusion``: per-level Linear + LN/Linear/GELU/Linear refinement,
summed), average-pooled over the grid, and classified by an MLP
Linear → ReLU → Dropout → Linear (reference code: hidden width = fused width,
dropout 0.1). Loss: mmpretrain's sigmoid ``FocalLoss`` on the one-hot target.
"""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.models.heads import ClsHead
from mmpretrain.registry import MODELS

from mmseg_ht.models.heads.multi_level_fusion import MultiLevelFusion

# gamma 2 and alpha 0.5: with two classes this equals MONAI's FocalLoss(to_onehot_y=True)
# (sigmoid, no alpha weighting, mean over N x C) used by the reference code.
DEFAULT_FOCAL_LOSS = dict(type='FocalLoss', gamma=2.0, alpha=0.5, loss_weight=1.0)


@MODELS.register_module()
class MultiLevelClsHead(ClsHead):
    """Fuse several (B, C_i, h, w) maps, pool, and classify with an MLP.

    Args:
        num_classes: number of classes (2: benign, malignant).
        in_channels: channels of the fused maps (768 per level for ViT-B/16).
        channels: fused width (reference code: 512).
        in_index: which backbone outputs to fuse (the backbone may append
            its pooled embedding after the maps).
        hidden_channels: MLP hidden width; None → ``channels``.
        dropout: dropout between the two Linear layers.
        loss: mmpretrain loss config (default: focal loss, see module doc).
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: Sequence[int] = (768, 768, 768),
                 channels: int = 512,
                 in_index: Sequence[int] = (0, 1, 2),
                 hidden_channels: Optional[int] = None,
                 dropout: float = 0.1,
                 loss: dict = DEFAULT_FOCAL_LOSS,
                 init_cfg: Optional[dict] = None,
                 **kwargs) -> None:
        super().__init__(loss=loss, init_cfg=init_cfg, **kwargs)
        if num_classes < 2:
            raise ValueError(f'num_classes must be at least 2, got {num_classes}')
        in_index = tuple(int(i) for i in in_index)
        if len(in_index) != len(in_channels):
            raise ValueError(f'in_index {in_index} and in_channels {tuple(in_channels)} '
                             'must have the same length')
        self.num_classes = num_classes
        self.in_index = in_index
        hidden_channels = hidden_channels or channels
        self.fusion = MultiLevelFusion(in_channels, channels)
        self.pre_mlp = nn.Sequential(
            nn.Linear(channels, hidden_channels), nn.ReLU(inplace=True), nn.Dropout(dropout))
        self.fc = nn.Linear(hidden_channels, num_classes)

    def fused_map(self, feats: Tuple[torch.Tensor, ...]) -> torch.Tensor:
        """The fused (B, channels, h, w) map of the selected backbone outputs."""
        if max(self.in_index) >= len(feats):
            raise ValueError(f'in_index {self.in_index} needs {max(self.in_index) + 1} backbone '
                             f'outputs, got {len(feats)}')
        return self.fusion([feats[i] for i in self.in_index])

    def pre_logits(self, feats: Tuple[torch.Tensor, ...]) -> torch.Tensor:
        """Fused map → pooled vector → first MLP layer (B, hidden_channels)."""
        pooled = F.adaptive_avg_pool2d(self.fused_map(feats), 1).flatten(1)
        return self.pre_mlp(pooled)

    def forward(self, feats: Tuple[torch.Tensor, ...]) -> torch.Tensor:
        """Class logits (B, num_classes)."""
        return self.fc(self.pre_logits(feats))
