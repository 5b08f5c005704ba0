"""Which files tools/infer.py reads, their names, and the spacing precedence."""
from pathlib import Path

import cv2
import numpy as np
import pytest

from mmseg_ht.inference.inputs import collect_inputs, read_input, unique_stems
from mmseg_ht.inference.spacing import parse_spacing, read_spacing_csv, resolve_spacing
from tests.test_datasets.medical_files import write_dicom


@pytest.fixture
def folder(tmp_path) -> Path:
    cv2.imwrite(str(tmp_path / 'a.png'), np.full((20, 30), 128, np.uint8))
    cv2.imwrite(str(tmp_path / 'b.tif'), np.full((20, 30), 40000, np.uint16))  # 16-bit
    write_dicom(tmp_path / 'IM0001', np.zeros((3, 16, 24), np.uint8), region_cm=(0.02, 0.01))
    write_dicom(tmp_path / 'a.dcm', np.zeros((16, 24), np.uint8))  # no spacing
    (tmp_path / 'notes.txt').write_text('not an image')
    (tmp_path / 'README').write_text('no extension, not DICOM')
    return tmp_path


def test_folder_takes_images_and_extensionless_dicom_only(folder):
    assert [p.name for p in collect_inputs(str(folder))] == ['IM0001', 'a.dcm', 'a.png', 'b.tif']
    assert [p.name for p in collect_inputs(str(folder / '*.png'))] == ['a.png']
    with pytest.raises(FileNotFoundError, match='no input images found'):
        collect_inputs(str(folder / '*.jpg'))


def test_names_are_unique_and_frames_are_numbered(folder):
    files = collect_inputs(str(folder))
    stems = unique_stems(files)
    assert sorted(stems.values()) == ['IM0001', 'a', 'a_png', 'b']
    frames = read_input(folder / 'IM0001', stems[folder / 'IM0001'])
    assert [f.name for f in frames] == ['IM0001_frame0', 'IM0001_frame1', 'IM0001_frame2']
    assert frames[0].spacing_mm == pytest.approx((0.2, 0.1))
    (tiff, ) = read_input(folder / 'b.tif', 'b')
    assert tiff.image.dtype == np.uint8 and tiff.image.shape == (20, 30, 3)


def test_spacing_precedence_file_then_csv_then_option(folder, tmp_path):
    table_file = tmp_path / 'spacing.csv'
    table_file.write_text('image,row_mm,col_mm,spacing_mm\na.png,0.3,0.4,\nb,,,0.5\n'
                          'IM0001,9,9,\n')
    table = read_spacing_csv(str(table_file))
    stems = unique_stems(collect_inputs(str(folder)))
    by_name = {}
    for path, stem in stems.items():
        for image in read_input(path, stem):
            by_name[image.name] = resolve_spacing(image, table, default=(0.1, 0.1))
    assert by_name['IM0001_frame0'] == ((0.2, 0.1), 'DICOM ultrasound region')  # file wins
    assert by_name['a_png'] == ((0.3, 0.4), '--spacing-csv')  # by file name
    assert by_name['b'] == ((0.5, 0.5), '--spacing-csv')  # by stem
    assert by_name['a'] == ((0.1, 0.1), '--spacing')  # DICOM without
    image = read_input(folder / 'a.dcm', 'a')[0]
    assert resolve_spacing(image) == (None, 'none')


def test_spacing_option_and_csv_errors(tmp_path):
    assert parse_spacing('0.1') == (0.1, 0.1)
    assert parse_spacing('0.2,0.1') == (0.2, 0.1)
    for bad in ('', 'abc', '0.1,0.2,0.3', '0'):
        with pytest.raises(ValueError, match='--spacing'):
            parse_spacing(bad)
    wrong = tmp_path / 'wrong.csv'
    wrong.write_text('file,mm\na.png,0.1\n')
    with pytest.raises(ValueError, match='needs a header with "image"'):
        read_spacing_csv(str(wrong))
    negative = tmp_path / 'negative.csv'
    negative.write_text('image,spacing_mm\na.png,-1\n')
    with pytest.raises(ValueError, match='line 2 .a.png.*positive'):
        read_spacing_csv(str(negative))
    with pytest.raises(FileNotFoundError, match='--spacing-csv'):
        read_spacing_csv(str(tmp_path / 'missing.csv'))
