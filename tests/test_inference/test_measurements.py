"""Lesion measurements on drawn shapes whose answers are known."""
import math

import numpy as np
import pytest

from mmseg_ht.inference.measurements import check_spacing, measure_lesions


def rectangle(height=100, width=120, top=10, left=20, h=30, w=40):
    mask = np.zeros((height, width), np.uint8)
    mask[top:top + h, left:left + w] = 1
    return mask


def test_rectangle_area_diagonal_and_perpendicular_chord():
    (lesion, ) = measure_lesions(rectangle(h=30, w=40))
    assert lesion.area_px == 1200
    assert lesion.max_diameter_px == pytest.approx(50.0)  # 3-4-5 diagonal
    assert lesion.perpendicular_diameter_px == pytest.approx(30 * 50 / 40)
    assert (lesion.centroid_x, lesion.centroid_y) == (pytest.approx(39.5), pytest.approx(24.5))
    assert lesion.bbox == (20, 10, 40, 30)
    assert lesion.area_mm2 is None and lesion.max_diameter_mm is None


def test_square_diameters_are_its_two_diagonals():
    (lesion, ) = measure_lesions(rectangle(h=20, w=20), spacing=(0.5, 0.5))
    assert lesion.max_diameter_mm == pytest.approx(10 * math.sqrt(2))
    assert lesion.perpendicular_diameter_mm == pytest.approx(10 * math.sqrt(2))
    assert lesion.area_mm2 == pytest.approx(100.0)


def test_anisotropic_spacing_scales_rows_and_columns_separately():
    # 30 rows x 40 columns of 0.2 mm (row) x 0.1 mm (col) pixels: a 4 mm x 6 mm rectangle.
    (lesion, ) = measure_lesions(rectangle(h=30, w=40), spacing=(0.2, 0.1))
    assert lesion.area_mm2 == pytest.approx(1200 * 0.02)
    width_mm, height_mm = 4.0, 6.0
    diagonal = math.hypot(width_mm, height_mm)
    assert lesion.max_diameter_mm == pytest.approx(diagonal)
    assert lesion.perpendicular_diameter_mm == pytest.approx(width_mm * diagonal / height_mm)
    # pixel values stay those of a 1 x 1 spacing
    assert lesion.max_diameter_px == pytest.approx(50.0)


@pytest.mark.parametrize('angle', [0, 30, 90, 135])
def test_ellipse_axes_within_one_pixel(angle):
    # pixels whose centre lies inside the ellipse (semi-axes 80 and 35, rotated)
    rows, cols = np.mgrid[0:300, 0:300] - 150.0
    theta = math.radians(angle)
    u = cols * math.cos(theta) + rows * math.sin(theta)
    v = -cols * math.sin(theta) + rows * math.cos(theta)
    mask = ((u / 80)**2 + (v / 35)**2 <= 1).astype(np.uint8)
    (lesion, ) = measure_lesions(mask, spacing=(0.1, 0.1))
    assert 2 * 80 <= lesion.max_diameter_px <= 2 * 80 + math.sqrt(2)
    assert abs(lesion.perpendicular_diameter_px - 2 * 35) <= math.sqrt(2)
    assert lesion.max_diameter_mm == pytest.approx(lesion.max_diameter_px * 0.1)
    assert lesion.area_px == pytest.approx(math.pi * 80 * 35, rel=0.02)


def test_ellipse_under_anisotropic_spacing_measures_the_physical_ellipse():
    # A circle of radius 20 mm imaged with 0.5 mm rows and 0.25 mm columns is an ellipse
    # of 80 x 40 pixel semi-axes (columns x rows); physically both diameters are 40 mm.
    rows, cols = np.mgrid[0:120, 0:200]
    mask = (((cols - 100) / 80.0)**2 + ((rows - 60) / 40.0)**2 <= 1).astype(np.uint8)
    (lesion, ) = measure_lesions(mask, spacing=(0.5, 0.25))
    one_pixel = math.hypot(0.5, 0.25)  # whole edge pixels count: up to a pixel more
    assert 40.0 <= lesion.max_diameter_mm <= 40.0 + one_pixel
    assert 40.0 - one_pixel <= lesion.perpendicular_diameter_mm <= 40.0 + one_pixel
    assert lesion.area_mm2 == pytest.approx(math.pi * 20**2, rel=0.02)
    assert lesion.max_diameter_px == pytest.approx(160, abs=1.5)


def test_lesion_split_in_two_is_counted_as_two_largest_first():
    mask = rectangle(h=30, w=40)
    mask[:, 45] = 0  # a one-pixel background gap
    lesions = measure_lesions(mask, spacing=(1.0, 1.0))
    assert [lesion.lesion for lesion in lesions] == [1, 2]
    assert [lesion.area_px for lesion in lesions] == [30 * 25, 30 * 14]
    assert [lesion.bbox for lesion in lesions] == [(20, 10, 25, 30), (46, 10, 14, 30)]


def test_diagonal_touch_is_one_lesion_and_single_pixels_are_measured():
    mask = np.zeros((10, 10), np.uint8)
    mask[2, 2] = mask[3, 3] = 1
    (lesion, ) = measure_lesions(mask)
    assert lesion.area_px == 2
    assert lesion.max_diameter_px == pytest.approx(2 * math.sqrt(2))
    (single, ) = measure_lesions(np.pad(np.ones((1, 1)), 3), spacing=(0.3, 0.3))
    assert single.max_diameter_mm == pytest.approx(0.3 * math.sqrt(2))
    assert measure_lesions(np.zeros((5, 5))) == []


def test_mean_probability_is_taken_over_the_lesion_pixels():
    mask = rectangle(h=2, w=2)
    probability = np.zeros(mask.shape, np.float32)
    probability[10:12, 20:22] = [[0.6, 0.8], [1.0, 0.6]]
    (lesion, ) = measure_lesions(mask, probability=probability)
    assert lesion.mean_probability == pytest.approx(0.75)


@pytest.mark.parametrize('bad', [(0.0, 1.0), (1.0, ), (-1, 2), (float('nan'), 1)])
def test_bad_spacing_is_refused(bad):
    with pytest.raises(ValueError, match='positive'):
        check_spacing(bad, 'scan.png')
