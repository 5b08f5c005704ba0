"""MultiLevelDecodeHead: the mmseg decode head over several backbone levels at once.

Both heads of the package read the maps of blocks 3/6/9 together; mmseg's
``BaseDecodeHead`` does the selection (``input_transform='multiple_select'``)
once the widths and indices are lists. Dropout before the classifier defaults
to 0, as in the paper.
"""
from typing import Sequence

from mmseg.models.decode_heads.decode_head import BaseDecodeHead


class MultiLevelDecodeHead(BaseDecodeHead):
    """``BaseDecodeHead`` with ``multiple_select`` inputs and no dropout by default."""

    def __init__(self,
                 in_channels: Sequence[int],
                 channels: int,
                 in_index: Sequence[int],
                 dropout_ratio: float = 0.0,
                 **kwargs) -> None:
        super().__init__(
            in_channels=list(in_channels),
            channels=channels,
            in_index=list(in_index),
            input_transform='multiple_select',
            dropout_ratio=dropout_ratio,
            **kwargs)
