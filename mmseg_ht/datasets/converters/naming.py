"""Filesystem-friendly, unique output file stems."""
import re
from typing import Iterable, List

_UNSAFE = re.compile(r'[^A-Za-z0-9.-]+')


def safe_stem(name: str) -> str:
    """Replace runs of characters other than letters, digits, '.', '-' by '_'.

    ``'benign (12)'`` -> ``'benign_12'``.
    """
    stem = _UNSAFE.sub('_', name).strip('._')
    return stem or 'image'


def unique_stems(names: Iterable[str]) -> List[str]:
    """Safe stems made unique (case-insensitively, for case-insensitive file systems).

    Collisions get ``_2``, ``_3``... in input order, so the result is deterministic.
    """
    taken, result = set(), []
    for name in names:
        base = stem = safe_stem(name)
        index = 2
        while stem.lower() in taken:
            stem = f'{base}_{index}'
            index += 1
        taken.add(stem.lower())
        result.append(stem)
    return result
