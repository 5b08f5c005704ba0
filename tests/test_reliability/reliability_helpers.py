"""Helpers of the reliability tests: hand-made mmseg layouts read through the real pipelines,
and a pickle payload that leaves a marker file when it runs."""
import os
from pathlib import Path
from typing import Tuple, Union

import cv2
import numpy as np
from mmengine.config import Config  # noqa: E402
from mmengine.registry import DefaultScope  # noqa: E402
from mmseg.registry import DATASETS  # noqa: E402
from PIL import Image

import mmseg_ht  # noqa: F401  (installs the mmcv.ops stand-in before mmseg is imported)

REPO = Path(__file__).resolve().parents[2]
SPLIT = dict(img_path='img_dir/train', seg_map_path='ann_dir/train')


class Exploit:
    """Unpickling this runs ``touch marker`` (a checkpoint that carries code)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.system, (f'touch {self.marker}', )


def config_pipelines() -> Tuple[list, list]:
    """(train_pipeline, test_pipeline) of configs/_base_/datasets/us_binary_seg.py."""
    cfg = Config.fromfile(str(REPO / 'configs/_base_/datasets/us_binary_seg.py'))
    return list(cfg.train_pipeline), list(cfg.test_pipeline)


def write_file(path: Path, content: Union[np.ndarray, Image.Image, bytes]) -> Path:
    """Write an array (OpenCV, PNG keeps uint8/uint16 and 1/3/4 channels), a PIL image or bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, Image.Image):
        content.save(path)
    else:
        assert cv2.imwrite(str(path), content), path
    return path


def png_bytes(array: np.ndarray) -> bytes:
    ok, buffer = cv2.imencode('.png', array)
    assert ok
    return buffer.tobytes()


def speckle(shape=(40, 56), seed=0, dtype=np.uint8, high=None) -> np.ndarray:
    rng = np.random.default_rng(seed)
    high = high or (230 if dtype == np.uint8 else 4095)
    return rng.integers(20, high, size=shape).astype(dtype)


def disk(shape=(40, 56), value=1, dtype=np.uint8) -> np.ndarray:
    mask = np.zeros(shape, dtype=np.uint8)
    cv2.circle(mask, (shape[1] // 2, shape[0] // 2), max(1, min(shape) // 4), 1, -1)
    return (mask.astype(dtype) * value).astype(dtype)


def build_dataset(root: Path, pipeline: list, type_name: str = 'BUSIDataset', **kwargs):
    cfg = dict(type=type_name, data_root=str(root), data_prefix=SPLIT, pipeline=pipeline, **kwargs)
    with DefaultScope.overwrite_default_scope('mmseg'):  # the configs' default_scope
        return DATASETS.build(cfg)
