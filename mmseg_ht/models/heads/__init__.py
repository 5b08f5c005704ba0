"""Task heads on the multi-level CLIP maps."""
from .multi_level_agg_head import MultiLevelAggHead
from .multi_level_fusion import MultiLevelFusion

__all__ = ['MultiLevelAggHead', 'MultiLevelFusion']
