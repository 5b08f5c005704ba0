"""The table and templates tools/misc/generate_configs.py writes every leaf config from.

``expected_leaves()`` maps each leaf's path under configs/ to its text.
Standard library only: CI runs ``generate_configs.py --check`` before any venv.
"""
from typing import Dict, Iterator

from .one_offs import one_off_leaves
from .table import (CLIPSEG_PROMPTS, CLS_DATASETS, GRIDS, SEG_DATASETS, TEST_ONLY_SETS,
                    ZERO_SHOT_PROMPTS)
from .templates import TASKS, Leaf, lines_too_long, test_only


def check_table() -> None:
    """Raise ValueError naming what a table edit left out (before any leaf is written)."""
    needs = [(SEG_DATASETS, CLIPSEG_PROMPTS, 'CLIPSEG_PROMPTS (the CLIPSeg baseline\'s prompt)'),
             (CLS_DATASETS, ZERO_SHOT_PROMPTS, 'ZERO_SHOT_PROMPTS (its prompt ensemble)')]
    for datasets, entries, what in needs:
        for name in datasets:
            if name not in entries:
                raise ValueError(f'config table: data set {name!r} needs an entry in {what}')
    for grid in GRIDS:
        for name in grid.test_only:
            if name not in TEST_ONLY_SETS:
                raise ValueError(f'config table: test-only set {name!r} of the {grid.task!r} grid '
                                 'is not in TEST_ONLY_SETS')


def grid_leaves() -> Iterator[Leaf]:
    """Every leaf of table.GRIDS: one per (backbone, method, data set), then the test-only ones."""
    for grid in GRIDS:
        for backbone in grid.backbones:
            for method in grid.methods:
                for dataset in grid.datasets:
                    yield TASKS[grid.task].leaf(backbone, method, dataset)
                for name in grid.test_only:
                    yield test_only(grid.task, backbone, method, name, TEST_ONLY_SETS[name])


def expected_leaves() -> Dict[str, str]:
    """Path under configs/ (posix) -> text of every leaf config the table defines."""
    check_table()
    leaves: Dict[str, str] = {}
    for leaf in list(grid_leaves()) + list(one_off_leaves()):
        if leaf.path in leaves:
            raise ValueError(f'config table: two rows write configs/{leaf.path}')
        too_long = lines_too_long(leaf)
        if too_long:
            raise ValueError(f'config table: configs/{leaf.path} would have lines over '
                             f'100 characters, shorten its row: {too_long}')
        leaves[leaf.path] = leaf.text()
    return leaves
