"""Inference on users' own images: predictions, lesion measurements, reports, ONNX export."""
