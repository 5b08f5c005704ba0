"""Converter error handling: unpaired files, corrupt files, size mismatches, odd masks, reruns."""
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from mmseg_ht.datasets.converters import (ConvertOptions, CorruptImageError, MaskSizeMismatchError,
                                          OutputExistsError, SourceLayoutError, UnpairedFilesError,
                                          convert_busi, convert_folder, convert_prostate)
from mmseg_ht.datasets.converters.cli import main
from mmseg_ht.datasets.converters.folder import SPEC as FOLDER_SPEC


@pytest.fixture
def src(tmp_path: Path, make_pairs) -> Path:
    """Folder layout with 10 good pairs."""
    root = tmp_path / 'src'
    make_pairs(root / 'images', root / 'masks', 10)
    return root


def test_unpaired_files_are_listed_or_skipped(src: Path, tmp_path: Path, write_image):
    (src / 'masks' / 'img003.png').unlink()
    write_image(src / 'masks' / 'stray.png', np.zeros((48, 64), np.uint8))
    with pytest.raises(UnpairedFilesError) as error:
        convert_folder(src, tmp_path / 'out')
    message = str(error.value)
    assert 'images/img003.png' in message and 'masks/stray.png' in message
    assert '--skip-unpaired' in message

    report = convert_folder(src, tmp_path / 'out2', ConvertOptions(skip_unpaired=True))
    assert sum(report.counts.values()) == 9
    assert report.skipped_by_reason() == {'image without mask': 1, 'mask without image': 1}


def test_busi_image_without_mask(tmp_path: Path, write_image):
    root = tmp_path / 'busi'
    write_image(root / 'benign' / 'benign (1).png', np.full((20, 30), 90, np.uint8))
    (root / 'malignant').mkdir()
    with pytest.raises(UnpairedFilesError, match=r'benign/benign \(1\)\.png'):
        convert_busi(root, tmp_path / 'out')
    with pytest.raises(SourceLayoutError, match="'normal/'"):
        convert_busi(
            root, tmp_path / 'out2', ConvertOptions(skip_unpaired=True), include_normal=True)


def test_corrupt_image_named_or_skipped(src: Path, tmp_path: Path):
    (src / 'images' / 'img004.png').write_bytes(b'not a png at all')
    with pytest.raises(CorruptImageError) as error:
        convert_folder(src, tmp_path / 'out')
    assert 'img004.png' in str(error.value) and 'Remove or replace' in str(error.value)
    assert not (tmp_path / 'out').exists()  # found while pairing (headers), before any writing

    report = convert_folder(src, tmp_path / 'out2', ConvertOptions(skip_corrupt=True))
    assert sum(report.counts.values()) == 9
    assert report.skipped == [{'file': 'images/img004.png', 'reason': 'unreadable or corrupt file'}]


def test_mask_size_mismatch_names_both_files(src: Path, tmp_path: Path, write_image):
    write_image(src / 'masks' / 'img002.png', np.zeros((40, 50), np.uint8))
    with pytest.raises(MaskSizeMismatchError) as error:
        convert_folder(src, tmp_path / 'out')
    message = str(error.value)
    assert 'masks/img002.png' in message and 'images/img002.png' in message
    assert '50x40' in message and '64x48' in message


def test_non_binary_masks_are_binarised_and_counted(src: Path, tmp_path: Path, write_image):
    shape = (48, 64)
    ramp = np.tile(np.linspace(0, 255, 64).astype(np.uint8), (48, 1))  # anti-aliased-like
    write_image(src / 'masks' / 'img000.png', ramp)
    colour = np.zeros(shape + (3, ), np.uint8)
    colour[:, 32:, 2] = 200  # red lesion in BGR
    write_image(src / 'masks' / 'img001.png', colour)
    palette = Image.fromarray(np.where(ramp > 200, 2, 0).astype(np.uint8), mode='P')
    palette.putpalette([0, 0, 0, 0, 0, 0, 255, 255, 0] + [0] * 759)
    palette.save(src / 'masks' / 'img002.png')
    indexed = Image.fromarray((ramp > 100).astype(np.uint8), mode='P')
    indexed.putpalette([0, 0, 0, 128, 0, 0] + [0] * 762)
    indexed.save(src / 'masks' / 'img003.png')
    write_image(src / 'masks' / 'img004.png', np.where(ramp > 50, 38, 0).astype(np.uint8))

    out = tmp_path / 'out'
    report = convert_folder(src, out, ConvertOptions(), all_test=True)
    assert sorted(report.masks_binarised) == [f'images/img00{i}.png' for i in (0, 1, 2, 4)]

    def mask(name):
        return cv2.imread(str(out / 'ann_dir' / 'test' / name), cv2.IMREAD_UNCHANGED)

    np.testing.assert_array_equal(mask('img000.png'), (ramp > 127).astype(np.uint8))
    assert mask('img001.png')[:, 32:].all() and not mask('img001.png')[:, :32].any()
    np.testing.assert_array_equal(mask('img002.png'), (ramp > 200).astype(np.uint8))
    np.testing.assert_array_equal(mask('img003.png'), (ramp > 100).astype(np.uint8))
    np.testing.assert_array_equal(mask('img004.png'), (ramp > 50).astype(np.uint8))
    saved = json.loads((out / 'conversion_report.json').read_text())
    assert saved['masks_binarised']['count'] == 4


def test_existing_output_needs_overwrite(src: Path, tmp_path: Path, capsys):
    out = tmp_path / 'out'
    convert_folder(src, out)
    with pytest.raises(OutputExistsError, match='--overwrite'):
        convert_folder(src, out)
    (src / 'images' / 'img009.png').unlink()
    (src / 'masks' / 'img009.png').unlink()
    report = convert_folder(src, out, ConvertOptions(overwrite=True))
    assert sum(report.counts.values()) == 9
    assert len(list((out / 'img_dir').rglob('*.png'))) == 9
    # the CLI prints the error without a traceback and exits with 1
    assert main(FOLDER_SPEC, [str(src), str(out)]) == 1
    assert 'already holds a converted data set' in capsys.readouterr().err
    with pytest.raises(Exception, match='must not be SRC_DIR'):
        convert_folder(src, src / 'out')


def test_missing_source_and_prostate_shape_mismatch(prostate_src: Path, tmp_path: Path):
    with pytest.raises(SourceLayoutError, match='does not exist'):
        convert_folder(tmp_path / 'nowhere', tmp_path / 'out')
    import nibabel as nib
    path = prostate_src / 'test' / 'expert_annotations' / 'expert_annotation_test_02.nii.gz'
    nib.save(nib.Nifti1Image(np.zeros((40, 30, 5), np.uint8), np.eye(4)), str(path))
    with pytest.raises(MaskSizeMismatchError, match='expert_annotation_test_02'):
        convert_prostate(prostate_src, tmp_path / 'out2')
