"""Segment a set of files and write masks, overlays, lesions.csv, images.csv and report.html.

Every file is read, segmented and measured on its own: a file that cannot be read (or
fails later) is recorded with the reason and the run goes on with the rest.
"""
import csv
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmengine.utils import ProgressBar

from mmseg_ht.visualization.error_overlay import draw_error_overlay
from .inputs import InputImage, read_input, unique_stems
from .measurements import LesionMeasurement, Spacing, measure_lesions
from .predictor import SegmentationPredictor
from .report import image_card, write_report
from .spacing import resolve_spacing

LESION_COLUMNS = ('image', 'lesion', 'area_px', 'area_mm2', 'max_diameter_mm',
                  'perpendicular_diameter_mm', 'centroid_x', 'centroid_y', 'bbox',
                  'mean_probability')
# After the required columns (and the classifier's): pixel diameters and the spacing used.
EXTRA_COLUMNS = ('max_diameter_px', 'perpendicular_diameter_px', 'spacing_row_mm', 'spacing_col_mm',
                 'spacing_source', 'source_file')
IMAGE_COLUMNS = ('image', 'source_file', 'frame_index', 'status', 'lesions', 'height', 'width',
                 'spacing_row_mm', 'spacing_col_mm', 'spacing_source', 'error')
REPORT_COLUMNS = ('lesion', 'area_px', 'area_mm2', 'max_diameter_mm', 'perpendicular_diameter_mm',
                  'max_diameter_px', 'mean_probability')


@dataclass
class ImageResult:
    """What was found in one image."""

    image: InputImage
    spacing: Optional[Spacing]
    spacing_source: str
    lesions: List[LesionMeasurement]
    classification: Dict[str, float] = field(default_factory=dict)


@dataclass
class RunSummary:
    """All results and failures of a run, and where they were written."""

    results: List[ImageResult]
    failures: List[Tuple[str, str]]  # (file, reason)
    lesions_csv: Path
    images_csv: Path
    report: Path


def _format(value: object) -> object:
    """CSV cell: None → empty, floats rounded to 4 decimals, bbox as 'x y w h'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ''
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, tuple):
        return ' '.join(str(v) for v in value)
    return value


def lesion_rows(result: ImageResult) -> List[dict]:
    """One dict per lesion with every lesions.csv column."""
    spacing = result.spacing or (None, None)
    rows = []
    for lesion in result.lesions:
        row = dict(image=result.image.name, **asdict(lesion))
        row.update({f'{name}_probability': p for name, p in result.classification.items()})
        row.update(
            spacing_row_mm=spacing[0],
            spacing_col_mm=spacing[1],
            spacing_source=result.spacing_source,
            source_file=str(result.image.path))
        rows.append(row)
    return rows


def _overlay(image: np.ndarray, lesions: Sequence[LesionMeasurement],
             mask: np.ndarray) -> np.ndarray:
    """The prediction tinted over the image, each lesion numbered at its centroid."""
    canvas = draw_error_overlay(image, mask, legend=False)
    scale = max(0.4, min(canvas.shape[:2]) / 400)
    for lesion in lesions:
        position = (int(lesion.centroid_x), int(lesion.centroid_y))
        for colour, width in (((0, 0, 0), 3), ((255, 255, 255), 1)):
            cv2.putText(canvas, str(lesion.lesion), position, cv2.FONT_HERSHEY_SIMPLEX, scale,
                        colour, max(1, round(width * scale)), cv2.LINE_AA)
    return canvas


def _write_csv(path: Path, columns: Sequence[str], rows: Sequence[dict]) -> Path:
    with open(path, 'w', newline='', encoding='utf-8') as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), extrasaction='ignore')
        writer.writeheader()
        for row in rows:
            writer.writerow({key: _format(row.get(key)) for key in columns})
    return path


def _spacing_text(spacing: Optional[Spacing], source: str) -> str:
    if spacing is None:
        return 'unknown (mm values left empty)'
    return f'{spacing[0]:.4g} × {spacing[1]:.4g} mm (row × col), from {source}'


def run_folder_inference(files: Sequence[Path],
                         predictor: SegmentationPredictor,
                         out_dir: Path,
                         spacing_table: Optional[Dict[str, Spacing]] = None,
                         default_spacing: Optional[Spacing] = None,
                         mask_values: Tuple[int, int] = (0, 1),
                         classifier: Optional[Callable[[np.ndarray], Dict[str, float]]] = None,
                         title: str = 'Lesion segmentation report',
                         notes: Sequence[str] = (),
                         progress: bool = True) -> RunSummary:
    """Segment every frame of ``files``; write outputs under ``out_dir`` (module doc)."""
    out_dir = Path(out_dir)
    (out_dir / 'masks').mkdir(parents=True, exist_ok=True)
    (out_dir / 'overlays').mkdir(parents=True, exist_ok=True)
    results, failures, image_rows, cards = [], [], [], []
    bar = ProgressBar(len(files)) if progress else None
    for path, stem in unique_stems(files).items():
        try:
            inputs = read_input(path, stem)
        except Exception as err:  # unreadable input: record it, continue with the rest
            failures.append((str(path), str(err)))
            image_rows.append(
                dict(image=stem, source_file=str(path), status='failed', error=str(err)))
            inputs = []
        for item in inputs:
            row = dict(image=item.name, source_file=str(path), frame_index=item.frame_index)
            try:
                spacing, source = resolve_spacing(item, spacing_table, default_spacing)
                prediction = predictor(item.image)
                lesions = measure_lesions(prediction.mask, spacing, prediction.probability)
                scores = classifier(item.image) if classifier else {}
                cv2.imwrite(
                    str(out_dir / 'masks' / f'{item.name}.png'),
                    np.where(prediction.mask > 0, mask_values[1], mask_values[0]).astype(np.uint8))
                overlay = _overlay(item.image, lesions, prediction.mask)
                cv2.imwrite(str(out_dir / 'overlays' / f'{item.name}.png'), overlay)
            except Exception as err:  # one bad image must not end the run
                error = f'{type(err).__name__}: {err}'
                failures.append((f'{path} ({item.name})', error))
                image_rows.append(dict(row, status='failed', error=error))
                continue
            result = ImageResult(item, spacing, source, lesions, scores)
            results.append(result)
            image_rows.append(
                dict(
                    row,
                    status='ok',
                    lesions=len(lesions),
                    height=item.image.shape[0],
                    width=item.image.shape[1],
                    spacing_row_mm=(spacing or (None, None))[0],
                    spacing_col_mm=(spacing or (None, None))[1],
                    spacing_source=source))
            extra = ', '.join(f'{name}: {p:.3f}' for name, p in scores.items())
            cards.append(
                image_card(item.name, str(path), item.image, overlay, lesion_rows(result),
                           REPORT_COLUMNS, _spacing_text(spacing, source), extra))
        if bar is not None:
            bar.update()
    if bar is not None:
        print()
    class_columns = tuple(f'{name}_probability' for name in (
        classifier.classes if classifier is not None and hasattr(classifier, 'classes') else ()))
    rows = [row for result in results for row in lesion_rows(result)]
    lesions_csv = _write_csv(out_dir / 'lesions.csv',
                             LESION_COLUMNS + class_columns + EXTRA_COLUMNS, rows)
    images_csv = _write_csv(out_dir / 'images.csv', IMAGE_COLUMNS, image_rows)
    report = write_report(out_dir / 'report.html', title, cards, failures, notes)
    return RunSummary(results, failures, lesions_csv, images_csv, report)
