"""Task heads on the multi-level CLIP maps (and the CLIPSeg baseline decoder)."""
from .clipseg_head import CLIPSegHead
from .multi_level_agg_head import MultiLevelAggHead
from .multi_level_fusion import MultiLevelFusion

__all__ = ['CLIPSegHead', 'MultiLevelAggHead', 'MultiLevelFusion']
