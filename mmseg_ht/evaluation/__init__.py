"""Evaluation metrics (Dice, IoU, HD95, ASD)."""
from .surface_distance import (EMPTY_POLICIES, ImageScores, binary_masks, dice_iou, image_diagonal,
                               mask_edges, score_image, summarize_scores, surface_distances)
from .surface_metric import SurfaceMetric

__all__ = [
    'EMPTY_POLICIES', 'ImageScores', 'SurfaceMetric', 'binary_masks', 'dice_iou', 'image_diagonal',
    'mask_edges', 'score_image', 'summarize_scores', 'surface_distances'
]
