"""Hand-made mmseg layouts (no converter): every bad file is an error naming it, or a documented
conversion.

The pipelines are those of configs/_base_/datasets/us_binary_seg.py (mmcv's
LoadImageFromFile + CheckUltrasoundImage, LoadBinaryMask), read through the BUSIDataset class.
"""
import cv2
import numpy as np
import pytest
import torch
from mmengine.dataset import Compose
from mmengine.registry import DefaultScope
from PIL import Image
from reliability_helpers import (build_dataset, config_pipelines, disk, png_bytes, speckle,
                                 write_file)

from mmseg_ht.datasets.image_io import DataValidationError, decode_image_bytes
from mmseg_ht.datasets.transforms import LoadBinaryMask, LoadUltrasoundImage

TRAIN, TEST = config_pipelines()


def load(root, pipeline=TEST, **kwargs):
    """The packed sample of the only pair in ``root``."""
    return build_dataset(root, pipeline, test_mode=pipeline is TEST, **kwargs)[0]


def labels(sample) -> set:
    return set(torch.unique(sample['data_samples'].gt_sem_seg.data).tolist())


def palette_mask(indices: np.ndarray, colours) -> Image.Image:
    image = Image.fromarray(indices.astype(np.uint8), 'P')
    image.putpalette([c for colour in colours for c in colour] + [0] * (768 - 3 * len(colours)))
    return image


# ------------------------------------------------------------------ masks that would be misread


@pytest.mark.parametrize('name, mask, problem', [
    ('0/255', disk(value=255), r"\{0, 255\}: 255 is mmseg's ignore label"),
    ('16-bit 0/256', disk(value=256, dtype=np.uint16), r'uint16 values are \{0, 256\}'),
    ('16-bit 0/65535', disk(value=65535, dtype=np.uint16), r'uint16 values are \{0, 65535\}'),
    ('soft edges', np.clip(disk(value=255).astype(float) * np.linspace(0.2, 1, 56), 0, 255).astype(
        np.uint8), r'values are \{0, .*not \{0, 1\}'),
    ('labels 0/1/2', disk() + np.eye(40, 56, dtype=np.uint8), r'values are \{0, 1, 2\}'),
    ('RGB colours', np.dstack(
        [disk(value=255), np.zeros(
            (40, 56), np.uint8), disk(value=128)]), 'colour mask'),
    ('palette colours', palette_mask(disk() * 2, [(0, 0, 0), (9, 9, 9),
                                                  (255, 0, 0)]), 'colour mask'),
])
@pytest.mark.parametrize('pipeline', ['train', 'test'])
def test_non_binary_masks_are_errors_naming_the_file(layout, name, mask, problem, pipeline):
    root = layout(speckle(), mask, stem='bad_mask')
    with pytest.raises(DataValidationError, match=problem) as error:
        load(root, TRAIN if pipeline == 'train' else TEST)
    message = str(error.value)
    assert str(root / 'ann_dir/train/bad_mask.png') in message
    assert 'binarize=True' in message and 'dataset_converters' in message  # the remedies
    assert error.value.path.endswith('bad_mask.png')


@pytest.mark.parametrize('name, mask', [
    ('uint8 0/1', disk()),
    ('16-bit 0/1', disk(dtype=np.uint16)),
    ('3 equal channels', np.dstack([disk()] * 3)),
    ('gray + alpha', Image.fromarray(np.dstack([disk(), np.full((40, 56), 255, np.uint8)]), 'LA')),
    ('RGBA equal channels', np.dstack([disk()] * 3 + [np.full((40, 56), 255, np.uint8)])),
    ('palette indices 0/1', palette_mask(disk(), [(0, 0, 0), (255, 0, 0)])),
    ('1-bit', Image.fromarray(disk().astype(bool))),
])
def test_masks_that_are_binary_in_another_encoding_load_unchanged(layout, name, mask):
    sample = load(layout(speckle(), mask))
    gt = sample['data_samples'].gt_sem_seg.data[0].numpy()
    np.testing.assert_array_equal(gt, disk())


@pytest.mark.parametrize(
    'mask, foreground',
    [
        (disk(value=255), disk()),
        (np.dstack([np.zeros((40, 56), np.uint8),
                    np.zeros((40, 56), np.uint8),
                    disk(value=255)]), disk()),  # red lesion on black (BGR)
        (palette_mask(disk() * 2, [(0, 0, 0), (9, 9, 9), (255, 0, 0)]), disk()),
    ])
def test_binarize_opt_in_converts_and_logs_each_file_once(layout, mask, foreground, caplog):
    LoadBinaryMask.converted_files.clear()
    root = layout(speckle(), mask, stem='converted')
    pipeline = [dict(t, binarize=True) if t['type'] == 'LoadBinaryMask' else t for t in TEST]
    dataset = build_dataset(root, pipeline, test_mode=True)
    for _ in range(2):
        gt = dataset[0]['data_samples'].gt_sem_seg.data[0].numpy()
        np.testing.assert_array_equal(gt, foreground)
    assert LoadBinaryMask.converted_files == {str(root / 'ann_dir/train/converted.png')}


def test_empty_mask_is_valid_background(layout):
    for pipeline in (TRAIN, TEST):
        sample = load(layout(speckle(), np.zeros((40, 56), np.uint8)), pipeline)
        assert labels(sample) == {0}


# ------------------------------------------------------------------ pairs that do not line up


def test_size_mismatches_and_unreadable_files_are_listed_when_the_set_is_built(layout):
    root = layout(speckle((40, 56)), disk((56, 40)), stem='pair')
    (root / 'img_dir/train/empty.png').write_bytes(b'')
    (root / 'ann_dir/train/empty.png').write_bytes(png_bytes(disk()))
    with pytest.raises(DataValidationError) as error:
        build_dataset(root, TEST)
    message = str(error.value)
    assert '1 unreadable file(s)' in message
    assert 'img_dir/train/empty.png (the file is empty)' in message
    assert '1 mask(s) of another size' in message
    assert 'ann_dir/train/pair.png is 40x56 (WxH), its image 56x40' in message


@pytest.mark.parametrize('pipeline', ['train', 'test'])
def test_size_mismatch_in_the_pipeline_names_both_files_and_sizes(layout, pipeline):
    """Without the build-time header check (check_headers=False) the loader still refuses."""
    root = layout(speckle((40, 56)), disk((56, 40)), stem='pair')
    with pytest.raises(DataValidationError) as error:
        load(root, TRAIN if pipeline == 'train' else TEST, check_headers=False)
    message = str(error.value)
    assert '40x56 (WxH)' in message and '56x40' in message
    assert 'ann_dir/train/pair.png' in message and 'img_dir/train/pair.png' in message


def test_image_without_mask_and_mask_without_image_are_listed(layout, tmp_path):
    root = layout(speckle(), disk(), stem='a')
    (root / 'img_dir/train/a.png').rename(root / 'img_dir/train/b.png')
    with pytest.raises(FileNotFoundError) as error:
        build_dataset(root, TEST)
    assert '1 image(s)' in str(error.value) and 'b.png' in str(error.value)
    assert '1 mask(s)' in str(error.value) and 'a.png' in str(error.value)


# ------------------------------------------------------------------ unreadable image files


@pytest.mark.parametrize('name, content, problem', [
    ('truncated PNG', png_bytes(speckle())[:300], 'truncated or corrupt'),
    ('PNG without its end', png_bytes(speckle())[:-20], 'truncated or corrupt'),
    ('not an image', b'this is a text file, not a PNG', 'truncated or corrupt'),
    ('empty file', b'', 'the file is empty'),
    ('truncated JPEG', cv2.imencode('.jpg',
                                    speckle())[1].tobytes()[:400], 'JPEG data is truncated'),
])
@pytest.mark.parametrize('pipeline', ['train', 'test'])
def test_corrupt_images_name_the_file(layout, name, content, problem, pipeline):
    """Found when the set is built (header), by CheckUltrasoundImage (a cut JPEG, which
    OpenCV decodes with grey rows) or by the data set when mmcv's loader fails."""
    root = layout(content, disk(), stem='broken')
    for check_headers in (True, False):
        with pytest.raises(DataValidationError, match=problem) as error:
            load(root, TRAIN if pipeline == 'train' else TEST, check_headers=check_headers)
        assert str(root / 'img_dir/train/broken.png') in str(error.value)
        assert 'Replace' in str(error.value)


def test_missing_mask_names_it_and_no_mask_path_means_no_ground_truth(layout, tmp_path):
    root = layout(speckle(), disk(), stem='pair')
    (root / 'ann_dir/train/pair.png').unlink()
    info = dict(
        img_path=str(root / 'img_dir/train/pair.png'),
        reduce_zero_label=False,
        seg_fields=[],
        seg_map_path=str(root / 'ann_dir/train/pair.png'))
    with DefaultScope.overwrite_default_scope('mmseg'):
        pipeline = Compose(TEST)
    with pytest.raises(
            FileNotFoundError,
            match='mask .*ann_dir/train/pair.png of image .*pair.png '
            'does not exist'):
        pipeline(dict(info))
    del info['seg_map_path']  # an image without ground truth (inference)
    sample = pipeline(info)
    assert sample['inputs'].shape == (3, 224, 224)
    assert 'gt_sem_seg' not in sample['data_samples']


def test_corrupt_mask_names_the_file(layout):
    root = layout(speckle(), png_bytes(disk())[:40], stem='broken')
    with pytest.raises(DataValidationError, match='cannot read mask .*broken.png'):
        load(root, check_headers=False)
    with pytest.raises(DataValidationError, match='ann_dir/train/broken.png'):
        load(root)


def test_truncated_jpeg_is_detected():
    import cv2
    ok, jpeg = cv2.imencode('.jpg', speckle((64, 64)))
    data = jpeg.tobytes()
    assert decode_image_bytes(data, 'ok.jpg').shape == (64, 64)
    with pytest.raises(DataValidationError, match='JPEG data is truncated'):
        decode_image_bytes(data[:len(data) // 2], 'cut.jpg')


# ------------------------------------------------------------------ images in other encodings


def test_16_bit_image_is_stretched_not_cut(layout):
    """mmseg's loader keeps the high byte: 12-bit data (max 4095) becomes 0..15, nearly black."""
    image = speckle(dtype=np.uint16)
    sample = load(layout(image, disk()), TEST)
    inputs = sample['inputs']
    assert inputs.dtype == torch.uint8 and inputs.shape == (3, 224, 224)
    assert inputs.max() >= 250 and inputs.min() <= 5
    stock = build_dataset(layout(image, disk()), [dict(type='LoadImageFromFile')], test_mode=True)
    assert stock[0]['img'].max() <= 16  # what the stock pipeline would have trained on


def test_rgba_and_gray_alpha_images_drop_alpha(layout):
    gray = speckle()
    reference = load(layout(gray, disk()))['inputs']
    rgba = np.dstack([gray] * 3 + [np.full_like(gray, 7)])
    torch.testing.assert_close(load(layout(rgba, disk()))['inputs'], reference)
    gray_alpha = Image.fromarray(np.dstack([gray, np.full_like(gray, 7)]), 'LA')
    torch.testing.assert_close(load(layout(gray_alpha, disk()))['inputs'], reference)


@pytest.mark.parametrize('shape', [(1, 1), (7, 3), (17, 223), (225, 9)])
def test_images_smaller_than_the_crop_are_resized(layout, shape):
    for pipeline in (TRAIN, TEST):
        sample = load(layout(speckle(shape), disk(shape)), pipeline)
        assert sample['inputs'].shape == (3, 224, 224)
        assert labels(sample) <= {0, 1}
        if pipeline is TEST:  # ground truth stays at the original size for the metric
            assert sample['data_samples'].gt_sem_seg.data.shape[1:] == shape


def test_unsupported_color_type_is_rejected_early():
    from mmseg_ht.datasets.transforms import CheckUltrasoundImage
    for transform in (LoadUltrasoundImage, CheckUltrasoundImage):
        with pytest.raises(ValueError, match='color_type'):
            transform(color_type='unchanged')


@pytest.mark.parametrize('name, image', [
    ('8-bit gray', speckle()),
    ('16-bit gray', speckle(dtype=np.uint16)),
    ('BGR', np.dstack([speckle(seed=s) for s in range(3)])),
    ('16-bit BGRA', np.dstack([speckle(dtype=np.uint16, seed=s) for s in range(4)])),
    ('gray + alpha', Image.fromarray(np.dstack([speckle(),
                                                np.full((40, 56), 9, np.uint8)]), 'LA')),
])
@pytest.mark.parametrize('color_type', ['color', 'grayscale'])
def test_two_step_loading_equals_load_ultrasound_image(tmp_path, name, image, color_type):
    """The segmentation configs' two steps and the one-step loader read files alike."""
    path = str(write_file(tmp_path / 'image.png', image))
    two_steps = [
        dict(type='LoadImageFromFile', color_type='unchanged'),
        dict(type='CheckUltrasoundImage', color_type=color_type)
    ]
    with DefaultScope.overwrite_default_scope('mmseg'):
        two = Compose(two_steps)(dict(img_path=path))
    one = LoadUltrasoundImage(color_type=color_type)(dict(img_path=path))
    assert two['img'].dtype == np.uint8 and two['img'].ndim == (3 if color_type == 'color' else 2)
    np.testing.assert_array_equal(two['img'], one['img'], err_msg=name)
    assert two['img_shape'] == one['img_shape'] == two['ori_shape'] == (40, 56)
