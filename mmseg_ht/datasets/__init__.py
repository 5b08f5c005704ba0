"""Datasets of ultrasound segmentation/classification sets and their converters."""
