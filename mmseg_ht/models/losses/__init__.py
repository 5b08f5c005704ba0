"""Segmentation losses."""
from .dice_ce_loss import DiceCELoss, dice_ce_loss

__all__ = ['DiceCELoss', 'dice_ce_loss']
