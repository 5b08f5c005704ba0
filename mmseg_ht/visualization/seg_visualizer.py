"""``ContiguousSegLocalVisualizer``: mmseg's ``SegLocalVisualizer`` for any image memory layout.

mmseg 1.2.2 draws class names with ``cv2.rectangle`` on ``np.zeros_like(image)``, which keeps
the image's strides. mmseg's own ``browse_dataset.py`` passes ``inputs.permute(1, 2, 0)`` of
a packed (C, H, W) tensor — not C-contiguous — and OpenCV refuses to draw on it ("Layout of
the output array img is incompatible with cv::Mat", open-mmlab/mmsegmentation#3405), for
every data set. This subclass hands mmseg a C-contiguous copy; the drawing is mmseg's.
"""
from typing import Any

import numpy as np
from mmseg.registry import VISUALIZERS
from mmseg.visualization import SegLocalVisualizer


@VISUALIZERS.register_module()
class ContiguousSegLocalVisualizer(SegLocalVisualizer):
    """``SegLocalVisualizer`` that accepts non-contiguous images (e.g. browse_dataset.py's)."""

    def add_datasample(self, name: str, image: np.ndarray, *args: Any, **kwargs: Any) -> None:
        """mmseg's ``add_datasample`` on a C-contiguous copy of ``image`` (no copy if it is)."""
        super().add_datasample(name, np.ascontiguousarray(image), *args, **kwargs)
