"""One self-contained HTML page of an inference run: thumbnails, overlays and lesion table.

Images are embedded as base64 PNG data URIs and the style sheet is inline, so the page
opens offline, can be mailed as one file and loads nothing from anywhere.
"""
import base64
import html
from pathlib import Path
from typing import List, Optional, Sequence

import cv2
import numpy as np

THUMBNAIL_SIZE = 256  # longest side in pixels

STYLE = """
body { font-family: sans-serif; margin: 24px; color: #222; background: #fff; }
h1 { font-size: 22px; } h2 { font-size: 17px; margin: 0 0 6px 0; }
.card { border: 1px solid #ccc; border-radius: 6px; padding: 12px; margin: 12px 0;
        display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
.card img { border: 1px solid #888; background: #000; }
table { border-collapse: collapse; font-size: 13px; }
th, td { border: 1px solid #bbb; padding: 3px 7px; text-align: right; }
th { background: #eee; max-width: 8em; white-space: normal; } td.text { text-align: left; }
.failed { color: #a00; } .note { color: #555; font-size: 13px; }
"""


def thumbnail_data_uri(image: np.ndarray, size: int = THUMBNAIL_SIZE) -> str:
    """A BGR/gray uint8 image, shrunk to ``size`` on its longest side, as a PNG data URI."""
    height, width = image.shape[:2]
    scale = min(1.0, size / max(height, width))
    if scale < 1.0:
        image = cv2.resize(
            image, (max(1, round(width * scale)), max(1, round(height * scale))),
            interpolation=cv2.INTER_AREA)
    ok, encoded = cv2.imencode('.png', image)
    if not ok:
        raise ValueError('could not encode a thumbnail as PNG')
    return 'data:image/png;base64,' + base64.b64encode(encoded.tobytes()).decode('ascii')


def _cell(value: object) -> str:
    if value is None or value == '':
        return '<td>–</td>'
    if isinstance(value, float):
        return f'<td>{value:.2f}</td>'
    if isinstance(value, int):
        return f'<td>{value}</td>'
    return f'<td class="text">{html.escape(str(value))}</td>'


def lesion_table(rows: Sequence[dict], columns: Sequence[str]) -> str:
    """An HTML table of ``rows`` (dicts) with the given columns; '–' for empty values."""
    head = ''.join(f'<th>{html.escape(c.replace("_", " "))}</th>' for c in columns)
    body = ''.join('<tr>' + ''.join(_cell(row.get(c)) for c in columns) + '</tr>' for row in rows)
    return f'<table><tr>{head}</tr>{body}</table>'


def image_card(name: str,
               source: str,
               image: np.ndarray,
               overlay: np.ndarray,
               rows: Sequence[dict],
               columns: Sequence[str],
               spacing_text: str,
               extra: str = '') -> str:
    """One image's section: original and overlay thumbnails beside its lesion table."""
    table = (lesion_table(rows, columns) if rows else '<p class="note">no lesion found</p>')
    return (f'<div class="card" id="{html.escape(name)}">'
            f'<img alt="image {html.escape(name)}" src="{thumbnail_data_uri(image)}">'
            f'<img alt="overlay {html.escape(name)}" src="{thumbnail_data_uri(overlay)}">'
            f'<div><h2>{html.escape(name)}</h2>'
            f'<p class="note">{html.escape(source)}<br>spacing: {html.escape(spacing_text)}'
            f'{("<br>" + html.escape(extra)) if extra else ""}</p>{table}</div></div>')


def write_report(path: Path,
                 title: str,
                 cards: List[str],
                 failures: Sequence[tuple],
                 notes: Optional[Sequence[str]] = None) -> Path:
    """Write the page: a summary, one card per image and the files that could not be read."""
    failed = ''.join(f'<li><b>{html.escape(str(p))}</b>: {html.escape(reason)}</li>'
                     for p, reason in failures)
    parts = [
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>',
        f'<h1>{html.escape(title)}</h1>',
        f'<p>{len(cards)} image(s) segmented, {len(failures)} file(s) failed.</p>'
    ]
    parts += [f'<p class="note">{html.escape(note)}</p>' for note in notes or ()]
    if failures:
        parts.append(f'<h2 class="failed">Files that could not be read</h2>'
                     f'<ul class="failed">{failed}</ul>')
    parts += cards
    parts.append('</body></html>')
    path = Path(path)
    path.write_text('\n'.join(parts), encoding='utf-8')
    return path
