"""Reading the ``labels.csv`` that every converter writes beside ``img_dir/``.

Columns: ``filename,label,split,source,group`` (tools/dataset_converters).
The classification data sets take image labels from it; the split comes
from the folder an image sits in, which is the segmentation split by
construction.
"""
import csv
from pathlib import Path
from typing import Dict, NamedTuple, Union

from mmseg_ht.utils.errors import MmsegHtError

REQUIRED_COLUMNS = ('filename', 'label')


class LabelRow(NamedTuple):
    label: str
    split: str
    source: str


class LabelsFileError(MmsegHtError, ValueError):
    """labels.csv is missing, malformed or does not cover the images."""


def read_labels_csv(path: Union[str, Path], converter_hint: str) -> Dict[str, LabelRow]:
    """Map file name → (label, split, source) from a converter's labels.csv.

    ``converter_hint`` (how to create the file) ends every error message.
    """
    path = Path(path)
    if not path.is_file():
        raise LabelsFileError(
            f'class labels not found: {path} does not exist. Classification reads image '
            f'labels from the labels.csv the converter writes. {converter_hint}')
    with path.open(newline='', encoding='utf-8') as handle:
        reader = csv.DictReader(handle)
        columns = set(reader.fieldnames or ())
        if not set(REQUIRED_COLUMNS) <= columns:
            raise LabelsFileError(
                f'{path}: needs the columns {",".join(REQUIRED_COLUMNS)} (found '
                f'{",".join(reader.fieldnames or []) or "none"}). {converter_hint}')
        rows: Dict[str, LabelRow] = {}
        for line, row in enumerate(reader, start=2):
            name = (row.get('filename') or '').strip()
            if not name:
                raise LabelsFileError(f'{path}, line {line}: empty filename. {converter_hint}')
            if name in rows:
                raise LabelsFileError(
                    f'{path}, line {line}: {name} is listed twice. {converter_hint}')
            rows[name] = LabelRow(
                label=(row.get('label') or '').strip(),
                split=(row.get('split') or '').strip(),
                source=(row.get('source') or '').strip())
    return rows
