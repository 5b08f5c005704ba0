"""Datasets of ultrasound segmentation/classification sets and their converters.

``converters`` (imported on demand) turns public release layouts into the mmseg
layout these classes read.
"""
from .binary_ultrasound import (BinaryUltrasoundDataset, BUSIDataset, DDTIDataset, LNDataset,
                                PhantomUSDataset, ProstateDataset, TN3KDataset)
from .transforms import DataValidationError, LoadBinaryMask, LoadUltrasoundImage

__all__ = [
    'BinaryUltrasoundDataset', 'BUSIDataset', 'DDTIDataset', 'LNDataset', 'PhantomUSDataset',
    'ProstateDataset', 'TN3KDataset', 'DataValidationError', 'LoadBinaryMask',
    'LoadUltrasoundImage'
]
