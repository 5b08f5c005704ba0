"""Drawing of prediction overlays; mmseg's segmentation visualizer for any image layout."""
from .error_overlay import (FN_COLOUR, FP_COLOUR, GT_OUTLINE_COLOUR, PRED_COLOUR, TP_COLOUR,
                            dice_score, draw_error_overlay, legend_height)
from .seg_visualizer import ContiguousSegLocalVisualizer

__all__ = [
    'ContiguousSegLocalVisualizer', 'draw_error_overlay', 'dice_score', 'legend_height',
    'TP_COLOUR', 'FP_COLOUR', 'FN_COLOUR', 'GT_OUTLINE_COLOUR', 'PRED_COLOUR'
]
