"""Pixel spacing of each inferred image: from its file, else from the command line.

Precedence: the file's own spacing (DICOM ultrasound region / PixelSpacing, NIfTI
header), else the row for that file in ``--spacing-csv``, else ``--spacing``, else none
(mm values are then left empty). Where the spacing came from is reported per image.
"""
import csv
from pathlib import Path
from typing import Dict, Optional, Tuple

from mmseg_ht.datasets.converters.medical_io import NONE
from .inputs import InputImage
from .measurements import Spacing, check_spacing

CLI_SOURCE = '--spacing'
CSV_SOURCE = '--spacing-csv'


def parse_spacing(text: str) -> Spacing:
    """'0.1' (square pixels) or '0.2,0.1' (row_mm,col_mm) → (row_mm, col_mm)."""
    try:
        values = tuple(float(v) for v in str(text).replace('x', ',').split(','))
    except ValueError:
        values = ()
    if len(values) == 1:
        values = values * 2
    if len(values) != 2:
        raise ValueError(f'--spacing {text!r}: give one number (mm per pixel) or two '
                         '"ROW_MM,COL_MM"')
    return check_spacing(values, f'--spacing {text}')


def read_spacing_csv(path: str) -> Dict[str, Spacing]:
    """``image`` → spacing from a CSV with columns ``image`` and ``spacing_mm`` or
    ``row_mm``,``col_mm``. ``image`` is a file name or stem (as given, no folders)."""
    csv_path = Path(path)
    if not csv_path.is_file():
        raise FileNotFoundError(f'--spacing-csv: file not found: {path}')
    with open(csv_path, newline='', encoding='utf-8-sig') as handle:
        rows = list(csv.DictReader(handle))
    columns = set(rows[0]) if rows else set()
    if 'image' not in columns or not ({'spacing_mm'} <= columns or {'row_mm', 'col_mm'} <= columns):
        raise ValueError(f'{path}: needs a header with "image" and "spacing_mm" (or "row_mm" and '
                         f'"col_mm"), found {sorted(columns)}')
    table = {}
    for number, row in enumerate(rows, start=2):
        where = f'{path} line {number} ({row["image"]})'
        try:
            pair = ((row['row_mm'], row['col_mm']) if row.get('row_mm') not in (None, '') else
                    (row['spacing_mm'], row['spacing_mm']))
            table[row['image'].strip()] = check_spacing(pair, where)
        except (TypeError, ValueError) as err:
            raise ValueError(f'{where}: {err}') from err
    return table


def resolve_spacing(image: InputImage,
                    table: Optional[Dict[str, Spacing]] = None,
                    default: Optional[Spacing] = None) -> Tuple[Optional[Spacing], str]:
    """(spacing, source) for ``image`` by the precedence in the module doc."""
    if image.spacing_mm is not None:
        return tuple(image.spacing_mm), image.spacing_source
    for key in (image.path.name, image.name, image.path.stem):
        if table and key in table:
            return table[key], CSV_SOURCE
    if default is not None:
        return default, CLI_SOURCE
    return None, NONE
