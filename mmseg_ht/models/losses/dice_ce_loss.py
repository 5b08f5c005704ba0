"""The paper's segmentation loss: MONAI's ``DiceCELoss`` as an mmseg loss module.

The reference code trains every segmentor with ``monai.losses.DiceCELoss(
to_onehot_y=True, softmax=True, squared_pred=True, smooth_nr=1e-8,
smooth_dr=1e-8)``: a soft Dice computed **per sample and per class**
(background included) with squared denominators, averaged over classes and
samples, plus the mean cross-entropy. mmseg 1.x's ``DiceLoss`` is another
quantity: it flattens classes × pixels into one vector, so with the
background included its value is close to pixel accuracy and it hardly
penalises a model that predicts no lesion at all.

mmseg's ``ignore_index`` (255) is honoured in both terms: ignored pixels (and
the padding ``SegDataPreProcessor`` adds) count neither in the Dice sums nor
in the cross-entropy mean. Without ignored pixels the value equals MONAI's
(tested against the formula in tests; against MONAI itself in
``benchmarks/loss_vs_monai.py``).
"""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS


def dice_ce_loss(logits: torch.Tensor,
                 labels: torch.Tensor,
                 ignore_index: int = 255,
                 smooth_nr: float = 1e-8,
                 smooth_dr: float = 1e-8,
                 lambda_dice: float = 1.0,
                 lambda_ce: float = 1.0) -> torch.Tensor:
    """MONAI-style Dice + CE of ``logits`` (B, C, H, W) against integer ``labels`` (B, H, W).

    Dice per (sample, class): ``1 - (2·Σ p·y + smooth_nr) / (Σ p² + Σ y² + smooth_dr)`` with
    ``p = softmax(logits)`` and one-hot ``y``, sums over valid pixels only, then the mean
    over samples and classes. CE: mean over valid pixels (0 when no pixel is valid).
    """
    if logits.dim() != 4 or labels.dim() != 3 or logits.shape[0] != labels.shape[0] \
            or logits.shape[2:] != labels.shape[1:]:
        raise ValueError(f'DiceCELoss expects logits (B, C, H, W) and labels (B, H, W) of the '
                         f'same size, got {tuple(logits.shape)} and {tuple(labels.shape)}')
    num_classes = logits.shape[1]
    labels = labels.long()
    valid = labels != ignore_index
    safe_labels = torch.where(valid, labels, torch.zeros_like(labels))
    if (safe_labels >= num_classes).any() or (safe_labels < 0).any():
        bad = torch.unique(labels[valid & ((labels >= num_classes) | (labels < 0))])
        raise ValueError(
            f'DiceCELoss: label values {bad.tolist()} are outside 0..{num_classes - 1} '
            f'(and are not ignore_index={ignore_index})')
    logits = logits.float()  # the sums of squares need float32 under autocast
    weight = valid.unsqueeze(1).to(logits.dtype)  # (B, 1, H, W)
    probs = logits.softmax(dim=1) * weight
    onehot = F.one_hot(safe_labels, num_classes).permute(0, 3, 1, 2).to(logits.dtype) * weight
    intersection = (probs * onehot).sum(dim=(2, 3))
    denominator = (probs * probs).sum(dim=(2, 3)) + (onehot * onehot).sum(dim=(2, 3))
    dice = 1.0 - (2.0 * intersection + smooth_nr) / (denominator + smooth_dr)
    ce = F.cross_entropy(logits, labels, ignore_index=ignore_index, reduction='sum')
    ce = ce / valid.sum().clamp(min=1)
    return lambda_dice * dice.mean() + lambda_ce * ce


@MODELS.register_module()
class DiceCELoss(nn.Module):
    """mmseg loss module computing ``dice_ce_loss`` (MONAI ``DiceCELoss`` with the paper's
    settings).

    Args:
        smooth_nr / smooth_dr: Dice smoothing (MONAI's arguments; the paper's 1e-8).
        lambda_dice / lambda_ce: weights of the two terms (MONAI's; 1 and 1).
        loss_weight: overall factor (mmseg convention).
        loss_name: key in the loss dict; must start with ``loss_`` for mmseg to back-propagate it.
    """

    def __init__(self,
                 smooth_nr: float = 1e-8,
                 smooth_dr: float = 1e-8,
                 lambda_dice: float = 1.0,
                 lambda_ce: float = 1.0,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_dice_ce') -> None:
        super().__init__()
        if not loss_name.startswith('loss_'):
            raise ValueError(f"loss_name must start with 'loss_' (mmseg only back-propagates "
                             f'those), got {loss_name!r}')
        self.smooth_nr, self.smooth_dr = smooth_nr, smooth_dr
        self.lambda_dice, self.lambda_ce = lambda_dice, lambda_ce
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    def forward(self,
                pred: torch.Tensor,
                target: torch.Tensor,
                weight: Optional[torch.Tensor] = None,
                ignore_index: int = 255,
                **kwargs) -> torch.Tensor:
        """Loss of class logits ``pred`` (B, C, H, W) against labels ``target`` (B, H, W)."""
        if weight is not None:
            raise ValueError('DiceCELoss does not support per-pixel weights (seg_weight); '
                             'use CrossEntropyLoss for weighted training')
        return self.loss_weight * dice_ce_loss(
            pred,
            target,
            ignore_index=ignore_index,
            smooth_nr=self.smooth_nr,
            smooth_dr=self.smooth_dr,
            lambda_dice=self.lambda_dice,
            lambda_ce=self.lambda_ce)

    @property
    def loss_name(self) -> str:
        """Name of this loss in the loss dict (mmseg convention)."""
        return self._loss_name
