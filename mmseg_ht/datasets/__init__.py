"""Datasets of ultrasound segmentation/classification sets and their converters.

``converters`` (imported on demand) turns public release layouts into the mmseg
layout these classes read.
"""
from .binary_ultrasound import (BinaryUltrasoundDataset, BUSIDataset, DDTIDataset, LNDataset,
                                PhantomUSDataset, ProstateDataset, TN3KDataset)
from .image_io import DataValidationError
from .transforms import CheckUltrasoundImage, LoadBinaryMask, LoadUltrasoundImage

__all__ = [
    'BinaryUltrasoundDataset', 'BUSIDataset', 'DDTIDataset', 'LNDataset', 'PhantomUSDataset',
    'ProstateDataset', 'TN3KDataset', 'DataValidationError', 'CheckUltrasoundImage',
    'LoadBinaryMask', 'LoadUltrasoundImage'
]
