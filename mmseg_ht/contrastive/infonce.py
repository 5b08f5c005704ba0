"""Symmetric InfoNCE (CLIP's contrastive loss), with multiple positives.

For L2-normalised image and text embeddings I, T (B×E) and logit scale s,
logits = s · I Tᵀ. The loss is the mean of the image→text and text→image
cross-entropies. With ``positive_mask`` (B×B, True where pair i and j match:
same caption text or same image) the target of a row is uniform over its
positives; with the identity mask (the default) this is exactly CLIP's loss.
Without it, two identical captions in a batch would be pushed apart.
"""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS


def positive_mask_from_ids(image_ids: torch.Tensor, text_ids: torch.Tensor) -> torch.Tensor:
    """B×B mask: pairs i, j share their image or their caption."""
    return (image_ids[:, None] == image_ids[None]) | (text_ids[:, None] == text_ids[None])


def soft_cross_entropy(logits: torch.Tensor, positives: torch.Tensor) -> torch.Tensor:
    """Mean over rows of −Σ_j target_ij · log softmax(logits)_ij, target uniform on positives."""
    target = positives.float() / positives.float().sum(dim=1, keepdim=True)
    return -(target * F.log_softmax(logits, dim=1)).sum(dim=1).mean()


@MODELS.register_module()
class InfoNCELoss(nn.Module):
    """Symmetric InfoNCE on (unnormalised) image and text embeddings.

    Args:
        loss_weight: factor on the loss.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self,
                image_embeds: torch.Tensor,
                text_embeds: torch.Tensor,
                logit_scale: torch.Tensor,
                positive_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        image_embeds = F.normalize(image_embeds.float(), dim=-1)
        text_embeds = F.normalize(text_embeds.float(), dim=-1)
        logits = logit_scale * image_embeds @ text_embeds.t()
        if positive_mask is None:
            positive_mask = torch.eye(len(logits), dtype=torch.bool, device=logits.device)
        loss = 0.5 * (
            soft_cross_entropy(logits, positive_mask) +
            soft_cross_entropy(logits.t(), positive_mask.t()))
        return self.loss_weight * loss
