"""Folder converter on GIF, DICOM and NIfTI sources: pairing problems named, spacing stored."""
import csv
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from mmseg_ht.datasets import LNDataset
from mmseg_ht.datasets.converters import (ConvertOptions, UnpairedFilesError, convert_folder,
                                          convert_prostate)
from mmseg_ht.datasets.converters.cli import main
from mmseg_ht.datasets.converters.folder import SPEC as FOLDER_SPEC
from tests.test_datasets.conftest import disk_mask, speckle_image, write
from tests.test_datasets.medical_files import write_dicom, write_nifti_image

SHAPE = (48, 64)


def read_csv(path: Path) -> dict:
    with open(path, newline='') as handle:
        return {row.get('filename') or row['image']: row for row in csv.DictReader(handle)}


def png_images_gif_masks(root: Path, count: int = 10) -> Path:
    """PNG images with GIF masks of the same stem (a common DDTI-derivative layout)."""
    for i in range(count):
        (root / 'images').mkdir(parents=True, exist_ok=True)
        (root / 'masks').mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(root / 'images' / f'nodule{i:02d}.png'), speckle_image(SHAPE, i))
        mask = Image.fromarray(disk_mask(SHAPE, (20 + i, 24), 8))
        mask.save(root / 'masks' / f'nodule{i:02d}.gif')
    return root


def test_png_images_with_gif_masks_convert(tmp_path: Path):
    src = png_images_gif_masks(tmp_path / 'src')
    report = convert_folder(src, tmp_path / 'out')
    assert sum(report.counts.values()) == 10
    data = report.to_dict()
    assert data['source_formats'] == {'images': {'png': 10}, 'masks': {'gif': 10}}
    assert data['spacing']['with'] == 0 and data['spacing']['without'] == 10
    row = read_csv(tmp_path / 'out' / 'labels.csv')['nodule03.png']
    mask = cv2.imread(
        str(tmp_path / 'out' / 'ann_dir' / row['split'] / 'nodule03.png'), cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(mask, disk_mask(SHAPE, (23, 24), 8, value=1))


def test_webp_mask_named_with_the_reason_not_missing(tmp_path: Path):
    src = png_images_gif_masks(tmp_path / 'src')
    (src / 'masks' / 'nodule04.gif').unlink()
    Image.fromarray(disk_mask(SHAPE, (20, 24), 8)).save(src / 'masks' / 'nodule04.webp')
    with pytest.raises(UnpairedFilesError) as error:
        convert_folder(src, tmp_path / 'out')
    message = str(error.value)
    assert 'masks/nodule04.webp: WebP images are not supported (extension .webp)' in message
    assert 'images/nodule04.png: its mask cannot be used' in message
    assert 'without a mask' not in message
    report = convert_folder(src, tmp_path / 'out2', ConvertOptions(skip_unpaired=True))
    assert sum(report.counts.values()) == 9
    assert {
        'file': 'masks/nodule04.webp',
        'reason': 'WebP images are not supported (extension .webp)'
    } in report.skipped


def test_several_masks_lonely_masks_and_stray_files(tmp_path: Path):
    src = png_images_gif_masks(tmp_path / 'src')
    cv2.imwrite(str(src / 'masks' / 'nodule01.png'), disk_mask(SHAPE, (20, 24), 8))
    cv2.imwrite(str(src / 'masks' / 'orphan.png'), disk_mask(SHAPE, (20, 24), 8))
    (src / 'images' / 'notes.txt').write_text('scanned 2021')
    (src / 'images' / '.DS_Store').write_bytes(b'\0\0\0\1Bud1')
    with pytest.raises(UnpairedFilesError) as error:
        convert_folder(src, tmp_path / 'out')
    message = str(error.value)
    assert 'masks/nodule01.gif: several masks for one image (nodule01.png)' in message
    assert 'images/nodule01.png: several masks for one image: nodule01.gif, nodule01.png' in message
    assert '1 mask(s) without an image:\n  masks/orphan.png' in message
    assert 'notes.txt' not in message  # another stem: skipped, not an error
    report = convert_folder(src, tmp_path / 'out2', ConvertOptions(skip_unpaired=True))
    assert sum(report.counts.values()) == 9
    reasons = {item['file']: item['reason'] for item in report.skipped}
    assert reasons['images/notes.txt'].startswith('unsupported file type (extension .txt')
    assert reasons['images/.DS_Store'] == 'hidden or system file'
    assert reasons['masks/orphan.png'] == 'mask without image'


@pytest.fixture
def dicom_src(tmp_path: Path) -> Path:
    """6 single-frame DICOMs with an ultrasound region (0.1 x 0.2 mm), one 4-frame cine with
    PixelSpacing 0.3 mm and DICOM masks, one DICOM without spacing (PNG mask)."""
    src = tmp_path / 'dicom_src'
    for i in range(6):
        write_dicom(src / 'images' / f'us{i}.dcm', speckle_image(SHAPE, i), region_cm=(0.01, 0.02))
        write_dicom(src / 'masks' / f'us{i}.dcm', disk_mask(SHAPE, (20 + i, 24), 8, value=1))
    cine = np.stack([speckle_image(SHAPE, 10 + k) for k in range(4)])
    cine_masks = np.stack([disk_mask(SHAPE, (15 + 5 * k, 24), 6) for k in range(4)])
    write_dicom(src / 'images' / 'cine.dcm', cine, pixel_spacing_mm=(0.3, 0.3))
    write_dicom(src / 'masks' / 'cine.dcm', cine_masks)
    write_dicom(src / 'images' / 'IM_0007', speckle_image(SHAPE, 7))  # no extension, no spacing
    cv2.imwrite(str(src / 'masks' / 'IM_0007.png'), disk_mask(SHAPE, (30, 24), 8))
    return src


def test_dicom_folder_frames_spacing_and_report(dicom_src: Path, tmp_path: Path, capsys):
    out = tmp_path / 'out'
    assert main(FOLDER_SPEC, [str(dicom_src), str(out)]) == 0
    summary = capsys.readouterr().out
    assert 'source formats: images dicom 11; masks dicom 10, png 1' in summary
    assert ('pixel spacing (mm): 10 with (DICOM PixelSpacing 4, DICOM ultrasound region 6), '
            '1 without') in summary
    assert 'WARNING: 1 of 11 samples have no pixel spacing' in summary
    labels = read_csv(out / 'labels.csv')
    assert {f'cine_f{k:03d}.png' for k in range(4)} <= set(labels)
    assert labels['cine_f002.png']['source'] == 'images/cine.dcm[frame 2]'
    assert len({labels[f'cine_f{k:03d}.png']['split'] for k in range(4)}) == 1  # one split
    spacing = read_csv(out / 'spacing.csv')
    assert len(spacing) == 11
    us0 = spacing[f'img_dir/{labels["us0.png"]["split"]}/us0.png']
    assert (float(us0['row_mm']), float(us0['col_mm'])) == (0.1, 0.2)
    assert us0['spacing_source'] == 'DICOM ultrasound region' and us0['source_format'] == 'dicom'
    cine2 = spacing[f'img_dir/{labels["cine_f002.png"]["split"]}/cine_f002.png']
    assert (cine2['row_mm'], cine2['col_mm']) == ('0.3', '0.3')
    bare = spacing[f'img_dir/{labels["IM_0007.png"]["split"]}/IM_0007.png']
    assert (bare['row_mm'], bare['spacing_source']) == ('', 'none')
    mask = cv2.imread(
        str(out / 'ann_dir' / labels['cine_f002.png']['split'] / 'cine_f002.png'),
        cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(mask, disk_mask(SHAPE, (25, 24), 6, value=1))
    report = json.loads((out / 'conversion_report.json').read_text())
    assert report['spacing']['files_without'] == ['images/IM_0007']


def test_dataset_puts_spacing_into_the_sample_metainfo(dicom_src: Path, tmp_path: Path):
    out = tmp_path / 'out'
    convert_folder(dicom_src, out, ConvertOptions(), all_test=True)
    pipeline = [
        dict(type='mmseg.LoadUltrasoundImage'),
        dict(type='mmseg.LoadBinaryMask'),
        dict(type='mmseg.PackSegInputs')
    ]
    dataset = LNDataset(
        data_root=str(out),
        pipeline=pipeline,
        data_prefix=dict(img_path='img_dir/test', seg_map_path='ann_dir/test'))
    by_name = {Path(info['img_path']).name: i for i, info in enumerate(dataset.load_data_list())}
    assert dataset.get_data_info(by_name['us3.png'])['spacing'] == (0.1, 0.2)
    assert dataset[by_name['us3.png']]['data_samples'].metainfo['spacing'] == (0.1, 0.2)
    assert dataset[by_name['cine_f001.png']]['data_samples'].metainfo['spacing'] == (0.3, 0.3)
    assert 'spacing' not in dataset[by_name['IM_0007.png']]['data_samples'].metainfo
    (out / 'spacing.csv').write_text('image,row_mm,col_mm\nimg_dir/test/us3.png,-1,0.2\n')
    with pytest.raises(ValueError, match='spacing.csv line 2: row_mm/col_mm must be positive'):
        LNDataset(
            data_root=str(out),
            pipeline=pipeline,
            data_prefix=dict(img_path='img_dir/test', seg_map_path='ann_dir/test'))


def test_cine_with_one_mask_file_per_annotated_frame(tmp_path: Path):
    src = tmp_path / 'src'
    cine = np.stack([speckle_image(SHAPE, k) for k in range(4)])
    write_dicom(src / 'images' / 'cine.dcm', cine, region_cm=(0.02, 0.02))
    for k in (1, 3, 9):  # frame 9 does not exist
        write(src / 'masks' / f'cine_f{k:03d}.png', disk_mask(SHAPE, (20 + k, 24), 8))
    with pytest.raises(UnpairedFilesError, match=r'mask\(s\) without an image:\n  masks/cine_f009'):
        convert_folder(src, tmp_path / 'out')
    (src / 'masks' / 'cine_f009.png').unlink()
    report = convert_folder(src, tmp_path / 'out')
    labels = read_csv(tmp_path / 'out' / 'labels.csv')
    assert sorted(labels) == ['cine_f001.png', 'cine_f003.png']
    assert report.skipped_by_reason() == {'frame without mask': 2}
    assert {item['file']
            for item in report.skipped} == {'images/cine.dcm[frame 0]', 'images/cine.dcm[frame 2]'}
    row = labels['cine_f003.png']
    image = cv2.imread(
        str(tmp_path / 'out' / 'img_dir' / row['split'] / 'cine_f003.png'), cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(image, cine[3])
    assert report.spacing_counts()['by_source'] == {'DICOM ultrasound region': 2}


def test_frame_count_mismatch_is_named(dicom_src: Path, tmp_path: Path):
    write_dicom(dicom_src / 'masks' / 'cine.dcm', np.zeros((3, *SHAPE), np.uint8))
    with pytest.raises(
            UnpairedFilesError,
            match=r'images/cine.dcm: frame count differs: '
            r'images/cine.dcm has 4 frame\(s\), masks/cine.dcm 3'):
        convert_folder(dicom_src, tmp_path / 'out')


def test_nifti_volumes_with_anisotropic_voxels(tmp_path: Path):
    src = tmp_path / 'nifti_src'
    volume = np.random.default_rng(0).integers(0, 1000, (40, 30, 5)).astype(np.int16)
    labels = np.zeros((40, 30, 5), np.uint8)
    labels[10:20, 5:25, 1:4] = 1  # slices 0 and 4 empty
    write_nifti_image(src / 'images' / 'case1.nii.gz', volume, (0.5, 0.8, 3.0))
    write_nifti_image(src / 'masks' / 'case1.nii.gz', labels, (0.5, 0.8, 3.0))
    out = tmp_path / 'out'
    report = convert_folder(src, out)
    assert sum(report.counts.values()) == 5
    assert report.to_dict()['spacing']['by_source'] == {'NIfTI header': 5}
    labels_csv = read_csv(out / 'labels.csv')
    row = labels_csv['case1_z003.png']
    assert row['source'] == 'images/case1.nii.gz[z=3]'
    image = cv2.imread(str(out / 'img_dir' / row['split'] / 'case1_z003.png'), cv2.IMREAD_UNCHANGED)
    assert image.shape == (30, 40) and image.dtype == np.uint8  # rows along y, 16-bit stretched
    spacing = read_csv(out / 'spacing.csv')[f'img_dir/{row["split"]}/case1_z003.png']
    assert (float(spacing['row_mm']), float(spacing['col_mm'])) == (0.8, 0.5)

    sagittal = tmp_path / 'sagittal'
    assert main(FOLDER_SPEC, [str(src), str(sagittal), '--nifti-axis', '0']) == 0
    rows = read_csv(sagittal / 'spacing.csv')
    assert len(rows) == 40
    first = next(r for name, r in rows.items() if name.endswith('case1_x000.png'))
    assert (float(first['row_mm']), float(first['col_mm'])) == (3.0, 0.8)

    annotated = convert_folder(src, tmp_path / 'annotated', skip_empty_frames=True)
    assert sum(annotated.counts.values()) == 3
    assert [item['file'] for item in annotated.skipped
            ] == ['images/case1.nii.gz[z=0]', 'images/case1.nii.gz[z=4]']
    assert annotated.skipped_by_reason() == {'empty mask (--skip-empty-frames)': 2}


def test_prostate_volumes_keep_their_header_spacing(prostate_src: Path, tmp_path: Path):
    scan = prostate_src / 'train' / 'micro_ultrasound_scans' / 'microUS_train_01.nii.gz'
    annotation = prostate_src / 'train' / 'expert_annotations' / 'expert_annotation_train_01.nii.gz'
    import nibabel as nib
    for path in (scan, annotation):
        write_nifti_image(path, np.asanyarray(nib.load(str(path)).dataobj), (0.1, 0.05, 1.0))
    report = convert_prostate(prostate_src, tmp_path / 'out')
    assert report.spacing_counts() == {'with': 4, 'without': 24, 'by_source': {'NIfTI header': 4}}
    rows = read_csv(tmp_path / 'out' / 'spacing.csv')
    with_spacing = {k: (r['row_mm'], r['col_mm']) for k, r in rows.items() if r['row_mm']}
    assert len(with_spacing) == 4 and set(with_spacing.values()) == {('0.05', '0.1')}
    assert all('microUS_train_01_' in name for name in with_spacing)
