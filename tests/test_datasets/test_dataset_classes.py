"""The mmseg data set classes reading converted folders, and their early, explicit errors."""
from pathlib import Path

import numpy as np
import pytest
from mmseg.registry import DATASETS

import mmseg_ht.datasets as ht_datasets
from mmseg_ht.datasets.converters import convert_folder

SPLIT = dict(img_path='img_dir/train', seg_map_path='ann_dir/train')
CLASS_NAMES = {
    'BUSIDataset': 'lesion',
    'DDTIDataset': 'nodule',
    'TN3KDataset': 'nodule',
    'ProstateDataset': 'prostate',
    'LNDataset': 'lymph node',
    'PhantomUSDataset': 'lesion',
    'BinaryUltrasoundDataset': 'foreground',
}


@pytest.fixture
def data_root(folder_src: Path, tmp_path: Path) -> Path:
    """A converted folder data set (16 train / 2 val / 2 test)."""
    root = tmp_path / 'converted'
    convert_folder(folder_src, root)
    return root


def build(type_name: str, root: Path, **kwargs):
    """Build a data set of the train split of ``root`` (``kwargs`` override the defaults)."""
    cfg = dict(type=type_name, data_root=str(root), data_prefix=SPLIT, pipeline=[])
    return DATASETS.build({**cfg, **kwargs})


@pytest.mark.parametrize('type_name', sorted(CLASS_NAMES))
def test_every_class_loads_a_converted_folder(type_name: str, data_root: Path):
    dataset = build(type_name, data_root)
    assert len(dataset) == 16
    assert dataset.metainfo['classes'] == ('background', CLASS_NAMES[type_name])
    assert dataset.metainfo['palette'] == [[0, 0, 0], [255, 0, 0]]
    assert dataset.reduce_zero_label is False
    info = dataset[0]
    assert info['img_path'].endswith('.png') and Path(info['seg_map_path']).is_file()
    assert type_name in ht_datasets.__all__


def test_pipeline_yields_binary_labels(data_root: Path):
    dataset = build(
        'BUSIDataset',
        data_root,
        test_mode=True,
        pipeline=[dict(type='LoadImageFromFile'),
                  dict(type='mmseg.LoadAnnotations')])
    sample = dataset[0]
    assert sample['img'].ndim == 3 and sample['img'].shape[2] == 3  # gray PNG -> 3-channel BGR
    assert set(np.unique(sample['gt_seg_map'])) <= {0, 1}


def test_missing_root_names_the_converter(tmp_path: Path):
    with pytest.raises(FileNotFoundError) as error:
        build('BUSIDataset', tmp_path / 'no_such_root')
    message = str(error.value)
    assert 'no_such_root' in message
    assert 'python tools/dataset_converters/busi.py SRC OUT' in message and 'DATA_ROOT' in message
    with pytest.raises(FileNotFoundError, match='make_phantom_dataset'):
        build('PhantomUSDataset', tmp_path / 'no_such_root')


def test_empty_or_missing_image_folder(data_root: Path):
    with pytest.raises(FileNotFoundError, match=r'image folder does not exist: .*img_dir/nope'):
        build(
            'TN3KDataset',
            data_root,
            data_prefix=dict(img_path='img_dir/nope', seg_map_path='ann_dir/train'))
    (data_root / 'img_dir' / 'empty').mkdir()
    with pytest.raises(FileNotFoundError, match=r'no \*\.png images in .*tn3k\.py'):
        build(
            'TN3KDataset',
            data_root,
            data_prefix=dict(img_path='img_dir/empty', seg_map_path='ann_dir/train'))


def test_unpaired_split_lists_files(data_root: Path):
    images = sorted((data_root / 'img_dir' / 'train').glob('*.png'))
    (data_root / 'ann_dir' / 'train' / images[0].name).unlink()
    (data_root / 'ann_dir' / 'train' / 'orphan.png').write_bytes(b'')
    with pytest.raises(FileNotFoundError) as error:
        build('LNDataset', data_root)
    message = str(error.value)
    assert '1 image(s) in' in message and images[0].name in message
    assert '1 mask(s) in' in message and 'orphan.png' in message
