"""``spacing.csv``: the physical pixel size of every converted image, written by the converters
and read by the data set classes into each sample's metainfo (``spacing``, mm, (row, col)).

Columns: ``image`` (path relative to the data root, e.g. ``img_dir/test/a.png``),
``row_mm``, ``col_mm`` (blank when the source stores no spacing), ``spacing_source``
(``medical_io``'s description) and ``source_format``.
"""
import csv
import io
from typing import Dict, Mapping, Optional, Tuple

SPACING_FILE = 'spacing.csv'
SPACING_COLUMNS = ('image', 'row_mm', 'col_mm', 'spacing_source', 'source_format')

Spacing = Tuple[float, float]


def spacing_row(image: str, spacing_mm: Optional[Spacing], spacing_source: str,
                source_format: str) -> Dict[str, str]:
    """The row of one written image (``image`` relative to the data root)."""
    row_mm, col_mm = (f'{v:.6g}' for v in spacing_mm) if spacing_mm else ('', '')
    return dict(
        image=image,
        row_mm=row_mm,
        col_mm=col_mm,
        spacing_source=spacing_source,
        source_format=source_format)


def _spacing(row: Mapping[str, str], where: str) -> Optional[Spacing]:
    """(row_mm, col_mm) of one CSV row, None when blank; ValueError naming ``where`` if bad."""
    values = ((row.get('row_mm') or '').strip(), (row.get('col_mm') or '').strip())
    if values == ('', ''):
        return None
    try:
        pair = (float(values[0]), float(values[1]))
    except ValueError:
        pair = (0.0, 0.0)
    if not all(v > 0 for v in pair):
        raise ValueError(f'{where}: row_mm/col_mm must be positive numbers or both blank, '
                         f'got {values}')
    return pair


def parse_spacing_table(text: str, name: str = SPACING_FILE) -> Dict[str, Optional[Spacing]]:
    """Map image path (relative to the data root) -> (row, col) mm spacing or None."""
    reader = csv.DictReader(io.StringIO(text))
    missing = {'image', 'row_mm', 'col_mm'} - set(reader.fieldnames or ())
    if missing:
        raise ValueError(f'{name} lacks the column(s) {sorted(missing)}; expected '
                         f'{",".join(SPACING_COLUMNS)}')
    table = {}
    for line, row in enumerate(reader, start=2):
        image = (row.get('image') or '').strip()
        if image:
            table[image] = _spacing(row, f'{name} line {line}')
    return table
