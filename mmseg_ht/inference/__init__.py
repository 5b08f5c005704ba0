"""Inference on users' own images: predictions, lesion measurements, reports, ONNX export.

``tools/infer.py`` and ``tools/deployment/export_onnx.py`` are the command-line front ends.
"""
from .measurements import LesionMeasurement, measure_lesions
from .predictor import ClassificationPredictor, SegmentationPredictor

__all__ = [
    'LesionMeasurement', 'measure_lesions', 'SegmentationPredictor', 'ClassificationPredictor'
]
