"""Reading image–caption tables (CSV/TSV, JSONL or a JSON list of objects).

Exports of ROCO, PMC-OA, MedPix and the like name their columns differently;
the image and caption columns are found among common names unless given.
"""
import csv
import json
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

from mmseg_ht.utils.errors import MmsegHtError

IMAGE_KEYS = ('image_path', 'image', 'img_path', 'image_file', 'file_name', 'filename', 'file',
              'path', 'pmc_image', 'image_name', 'name')
CAPTION_KEYS = ('caption', 'text_caption', 'text', 'captions', 'description', 'title', 'report',
                'sentence')


class CaptionTableError(MmsegHtError, ValueError):
    """The table cannot be read or its columns cannot be identified."""


def read_rows(path: Path) -> List[Dict[str, object]]:
    """All rows of a CSV/TSV, JSONL or JSON-list file as dicts."""
    suffix = path.suffix.lower()
    if suffix in ('.csv', '.tsv'):
        with open(path, newline='', encoding='utf-8-sig') as handle:
            return list(csv.DictReader(handle, delimiter='\t' if suffix == '.tsv' else ','))
    if suffix in ('.jsonl', '.ndjson'):
        rows = []
        with open(path, encoding='utf-8-sig') as handle:
            for number, line in enumerate(handle, 1):
                if line.strip():
                    try:
                        rows.append(json.loads(line))
                    except json.JSONDecodeError as err:
                        raise CaptionTableError(
                            f'{path}:{number}: not a JSON object ({err})') from err
        return rows
    if suffix == '.json':
        with open(path, encoding='utf-8-sig') as handle:
            data = json.load(handle)
        if isinstance(data, dict):  # {"data_list": [...]} or {"images": [...]}
            data = next((v for v in data.values() if isinstance(v, list)), None)
        if not isinstance(data, list):
            raise CaptionTableError(f'{path}: expected a JSON list of objects')
        return data
    raise CaptionTableError(f'{path}: unsupported table format {suffix!r} '
                            '(use .csv, .tsv, .jsonl or .json)')


def find_column(columns: List[str], wanted: Optional[str], candidates: Tuple[str, ...], what: str,
                path: Path) -> str:
    """The column named ``wanted``, or the first known name present (case-insensitive)."""
    if wanted:
        if wanted not in columns:
            raise CaptionTableError(f'{path}: no column {wanted!r}; columns are {columns}')
        return wanted
    lower = {c.lower(): c for c in columns}
    for name in candidates:
        if name in lower:
            return lower[name]
    raise CaptionTableError(
        f'{path}: cannot tell which column holds the {what}; columns are {columns}. '
        f'Name it with --{what}-key.')


def iter_pairs(path: Path,
               image_key: Optional[str] = None,
               caption_key: Optional[str] = None) -> Iterator[Tuple[int, object, object]]:
    """Yield (row number, image value, caption value); row 1 is the first data row."""
    rows = read_rows(path)
    if not rows:
        return
    columns = list(rows[0].keys())
    image_key = find_column(columns, image_key, IMAGE_KEYS, 'image', path)
    caption_key = find_column(columns, caption_key, CAPTION_KEYS, 'caption', path)
    for number, row in enumerate(rows, 1):
        yield number, row.get(image_key), row.get(caption_key)
