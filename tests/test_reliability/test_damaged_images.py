"""Truncated or damaged images are an error naming the file everywhere images are read
(folder converter, segmentation masks, classification pipelines; the stage-1 caption
corpus drops them), and the classification
pipelines read 16-bit images like the segmentation loader (stretched, not cut).

A JPEG without its end marker decodes in OpenCV with grey rows (libjpeg only
warns "Premature end of JPEG file"): without the check it becomes training data.
"""
import subprocess
import sys

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import DefaultScope
from reliability_helpers import REPO, disk, png_bytes, speckle, write_file

import mmseg_ht.classification  # noqa: F401  (mmpretrain registrations)
from mmseg_ht.contrastive.caption_corpus import IMAGE_UNREADABLE, check_image
from mmseg_ht.datasets.image_io import DataValidationError, decode_mask_bytes
from mmseg_ht.datasets.transforms import LoadUltrasoundImage


def jpeg_bytes(array: np.ndarray) -> bytes:
    ok, data = cv2.imencode('.jpg', array)
    assert ok
    return data.tobytes()


def cut(data: bytes) -> bytes:
    """The first half of a file, as a copy interrupted mid-way leaves it."""
    return data[:len(data) // 2]


def test_folder_converter_exits_non_zero_naming_a_truncated_jpeg(tmp_path):
    src = tmp_path / 'src'
    for index in range(4):
        image = jpeg_bytes(speckle((64, 64), seed=index))
        write_file(src / 'images' / f'case{index}.jpg', cut(image) if index == 2 else image)
        write_file(src / 'masks' / f'case{index}.png', disk((64, 64)) * 255)
    result = subprocess.run(
        [sys.executable, 'tools/dataset_converters/folder.py',
         str(src),
         str(tmp_path / 'out')],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-2000:]
    assert 'case2.jpg' in output and 'truncated' in output, output[-2000:]
    assert not list((tmp_path / 'out').rglob('case2*.png'))  # nothing half-grey was written


@pytest.mark.parametrize('data, problem', [
    (cut(jpeg_bytes(disk((64, 64)) * 255)), 'JPEG data is truncated'),
    (png_bytes(disk((64, 64)))[:-12], 'PNG data is truncated'),
])
def test_truncated_mask_is_an_error_naming_the_file(data, problem):
    with pytest.raises(DataValidationError, match=f'cannot read mask cut_mask.*{problem}'):
        decode_mask_bytes(data, 'cut_mask')


def classification_pipelines():
    cfg = Config.fromfile(str(REPO / 'configs/_base_/cls/datasets/us_binary_cls.py'))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return [Compose(cfg[name]) for name in ('train_pipeline', 'test_pipeline')]


def test_classification_pipelines_read_16_bit_images_stretched(tmp_path):
    path = write_file(tmp_path / 'twelve_bit.png', speckle((64, 64), dtype=np.uint16, high=4096))
    for pipeline in classification_pipelines():
        assert isinstance(pipeline.transforms[0], LoadUltrasoundImage)
        inputs = pipeline(dict(img_path=str(path), gt_label=0))['inputs']
        assert inputs.shape == (3, 224, 224) and inputs.max() >= 250 and inputs.min() <= 5


@pytest.mark.parametrize('name, data', [
    ('cut.jpg', cut(jpeg_bytes(speckle((64, 64))))),
    ('cut.png', cut(png_bytes(speckle((64, 64))))),
    ('empty.png', b''),
])
def test_classification_pipelines_refuse_damaged_images(tmp_path, name, data):
    path = write_file(tmp_path / name, data)
    for pipeline in classification_pipelines():
        with pytest.raises(DataValidationError, match=f'cannot read image {path}'):
            pipeline(dict(img_path=str(path), gt_label=0))


def test_caption_corpus_drops_a_truncated_image(tmp_path):
    image = jpeg_bytes(speckle((64, 64)))
    assert check_image(write_file(tmp_path / 'whole.jpg', image)) is None
    assert check_image(write_file(tmp_path / 'cut.jpg', cut(image))) == IMAGE_UNREADABLE
