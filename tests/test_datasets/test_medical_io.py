"""``read_frames``: formats by content, DICOM/NIfTI frames and their spacing, clear errors."""
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from mmseg_ht.datasets.converters.medical_io import read_frames, sniff_format
from mmseg_ht.datasets.transforms import DataValidationError
from tests.test_datasets.medical_files import write_dicom, write_nifti_image

GRADIENT = (np.arange(30 * 40).reshape(30, 40) % 251).astype(np.uint8)


def test_dicom_ultrasound_region_spacing_cm_to_mm(tmp_path: Path):
    (frame, ) = read_frames(
        write_dicom(
            tmp_path / 'a.dcm', GRADIENT, region_cm=(0.01, 0.02), pixel_spacing_mm=(9.0, 9.0)))
    assert frame.spacing_mm == pytest.approx((0.1, 0.2))  # region wins over PixelSpacing
    assert frame.spacing_source == 'DICOM ultrasound region'
    assert (frame.source_format, frame.frame_index) == ('dicom', None)
    np.testing.assert_array_equal(frame.array, GRADIENT)


def test_dicom_regions_not_in_cm_fall_back_to_pixel_spacing(tmp_path: Path):
    seconds = ((0.5, 0.5), 4, (0, 0, 39, 29))  # unit code 4 = seconds (M-mode/Doppler strip)
    path = write_dicom(
        tmp_path / 'b.dcm', GRADIENT, pixel_spacing_mm=(0.3, 0.25), extra_regions=[seconds])
    (frame, ) = read_frames(path)
    assert frame.spacing_mm == pytest.approx((0.3, 0.25))
    assert frame.spacing_source == 'DICOM PixelSpacing'


def test_dicom_differing_regions_use_the_largest(tmp_path: Path):
    small = ((0.05, 0.05), 3, (0, 0, 9, 9))
    large = ((0.02, 0.03), 3, (10, 0, 39, 29))
    (frame, ) = read_frames(write_dicom(tmp_path / 'c.dcm', GRADIENT, extra_regions=[small, large]))
    assert frame.spacing_mm == pytest.approx((0.2, 0.3))
    assert frame.spacing_source.startswith('DICOM ultrasound region (largest of 2')


def test_dicom_without_any_spacing(tmp_path: Path):
    (frame, ) = read_frames(write_dicom(tmp_path / 'none.dcm', GRADIENT))
    assert frame.spacing_mm is None and frame.spacing_source == 'none'


def test_multiframe_dicom_one_frame_each_with_index(tmp_path: Path):
    stack = np.stack([GRADIENT, 255 - GRADIENT, GRADIENT // 2])
    frames = read_frames(write_dicom(tmp_path / 'cine.dcm', stack, region_cm=(0.015, 0.015)))
    assert [f.frame_index for f in frames] == [0, 1, 2]
    for frame, expected in zip(frames, stack):
        np.testing.assert_array_equal(frame.array, expected)
        assert frame.spacing_mm == pytest.approx((0.15, 0.15))


def test_dicom_without_preamble_or_extension_and_16_bit(tmp_path: Path):
    pixels = (GRADIENT.astype(np.uint16) * 16)
    bare = write_dicom(tmp_path / 'IM_0001', pixels, pixel_spacing_mm=(0.5, 0.5))
    (frame, ) = read_frames(bare)  # no extension: found by the DICM marker
    assert frame.array.dtype == np.uint16 and frame.array.max() == pixels.max()
    raw = write_dicom(tmp_path / 'raw.dcm', GRADIENT, preamble=False)
    assert sniff_format(raw) is None
    assert read_frames(raw)[0].source_format == 'dicom'  # by extension, read with force


def test_dicom_rgb_becomes_bgr_and_monochrome1_is_inverted(tmp_path: Path):
    rgb = np.zeros((30, 40, 3), np.uint8)
    rgb[..., 0] = 200  # red
    (colour, ) = read_frames(write_dicom(tmp_path / 'rgb.dcm', rgb))
    assert colour.array.shape == (30, 40, 3) and colour.array[0, 0].tolist() == [0, 0, 200]
    from pydicom.pixels import convert_color_space
    ybr = write_dicom(
        tmp_path / 'ybr.dcm', convert_color_space(rgb, 'RGB', 'YBR_FULL'), photometric='YBR_FULL')
    assert read_frames(ybr)[0].array[0, 0].tolist() == [0, 0, 200]  # YBR -> RGB -> BGR
    (inverted, ) = read_frames(
        write_dicom(tmp_path / 'm1.dcm', GRADIENT, photometric='MONOCHROME1'))
    np.testing.assert_array_equal(inverted.array, GRADIENT.max() + GRADIENT.min() - GRADIENT)


def test_nifti_anisotropic_slices_along_each_axis(tmp_path: Path):
    volume = np.arange(4 * 5 * 6, dtype=np.int16).reshape(4, 5, 6)
    path = write_nifti_image(tmp_path / 'v.nii.gz', volume, (0.5, 0.8, 3.0))
    frames = read_frames(path)  # axis 2: rows along y (0.8 mm), columns along x (0.5 mm)
    assert len(frames) == 6 and [f.frame_index for f in frames] == list(range(6))
    assert frames[0].array.shape == (5, 4)
    np.testing.assert_array_equal(frames[3].array, volume[:, :, 3].T)
    assert frames[0].spacing_mm == (0.8, 0.5) and frames[0].spacing_source == 'NIfTI header'
    sagittal = read_frames(path, nifti_axis=0)
    assert len(sagittal) == 4 and sagittal[1].array.shape == (6, 5)
    assert sagittal[1].spacing_mm == (3.0, 0.8)


def test_nifti_units_2d_images_and_default_header(tmp_path: Path):
    microns = write_nifti_image(
        tmp_path / 'um.nii', np.ones((4, 5, 2), np.uint8), (200.0, 100.0, 1.0), unit='micron')
    assert read_frames(microns)[0].spacing_mm == pytest.approx((0.1, 0.2))
    (flat, ) = read_frames(
        write_nifti_image(tmp_path / 'flat.nii.gz', np.ones((4, 5), np.uint8), (0.3, 0.4)))
    assert flat.frame_index is None and flat.array.shape == (5, 4)
    assert flat.spacing_mm == (0.4, 0.3)
    default = write_nifti_image(
        tmp_path / 'd.nii.gz', np.ones((4, 5, 2), np.uint8), (1, 1, 1), unit=None)
    assert read_frames(default)[0].spacing_mm is None  # pixdim 1 without units: no spacing


def test_raster_formats_by_content_not_extension(tmp_path: Path):
    cv2.imwrite(str(tmp_path / 'real.jpg'), GRADIENT)
    (tmp_path / 'named.png').write_bytes((tmp_path / 'real.jpg').read_bytes())
    (frame, ) = read_frames(tmp_path / 'named.png')
    assert frame.source_format == 'jpeg' and frame.spacing_mm is None
    for ext, fmt in (('.bmp', 'bmp'), ('.tif', 'tiff'), ('.png', 'png')):
        cv2.imwrite(str(tmp_path / f'g{ext}'), GRADIENT)
        (frame, ) = read_frames(tmp_path / f'g{ext}')
        assert frame.source_format == fmt
        np.testing.assert_array_equal(frame.array, GRADIENT)


def test_gif_first_frame_and_animated_gif_refused(tmp_path: Path):
    Image.fromarray(GRADIENT).save(tmp_path / 'g.gif')
    (frame, ) = read_frames(tmp_path / 'g.gif')
    assert frame.source_format == 'gif' and frame.array.shape == (30, 40)
    np.testing.assert_array_equal(frame.array, GRADIENT)
    frames = [Image.fromarray(GRADIENT), Image.fromarray(255 - GRADIENT)]
    frames[0].save(tmp_path / 'anim.gif', save_all=True, append_images=frames[1:])
    with pytest.raises(DataValidationError, match='anim.gif: an animated GIF with 2 frames'):
        read_frames(tmp_path / 'anim.gif')


@pytest.mark.parametrize('name,content,problem', [
    ('w.webp', None, 'WebP images are not supported'),
    ('notes.txt', b'hello', 'unsupported file type (extension .txt'),
    ('fake.png', b'not a png at all', 'the content is not PNG although the extension is .png'),
    ('empty.png', b'', 'the file is empty'),
    ('report.dcm', None, 'holds no image'),
])
def test_unusable_files_name_the_file_and_the_reason(tmp_path: Path, name, content, problem):
    path = tmp_path / name
    if name.endswith('.webp'):
        Image.fromarray(GRADIENT).save(path)
    elif name.endswith('.dcm'):
        write_dicom(path, GRADIENT)
        import pydicom
        ds = pydicom.dcmread(path)
        del ds.PixelData
        ds.save_as(path)
    else:
        path.write_bytes(content)
    with pytest.raises(DataValidationError) as error:
        read_frames(path)
    assert str(path) in str(error.value) and problem in str(error.value)
    assert error.value.path == str(path)
