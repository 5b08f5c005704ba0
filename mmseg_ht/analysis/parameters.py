"""Trainable / total parameters per module of a whole model (the paper's "Params" column)."""
from typing import Dict, List

import torch.nn as nn

from mmseg_ht.utils import count_parameters


def parameter_rows(model: nn.Module, depth: int = 2) -> List[Dict]:
    """One row per module down to ``depth`` levels (with parameters), then a total row.

    Each row: ``module`` (dotted name, indented by level in tables), ``level``,
    ``trainable`` and ``total``. Parameters registered directly on a module
    (not in a child) appear as ``<name> (own)`` rows, so children sum up.
    """
    rows: List[Dict] = []

    def visit(module: nn.Module, name: str, level: int) -> None:
        counts = count_parameters(module)
        total = counts['trainable'] + counts['frozen']
        if not total:
            return
        rows.append(dict(module=name, level=level, trainable=counts['trainable'], total=total))
        if level >= depth:
            return
        own = [p for p in module.parameters(recurse=False)]
        if own and any(True for _ in module.children()):
            rows.append(
                dict(
                    module=f'{name} (own)',
                    level=level + 1,
                    trainable=sum(p.numel() for p in own if p.requires_grad),
                    total=sum(p.numel() for p in own)))
        for child_name, child in module.named_children():
            visit(child, f'{name}.{child_name}' if name else child_name, level + 1)

    for child_name, child in model.named_children():
        visit(child, child_name, 1)
    totals = count_parameters(model)
    rows.append(
        dict(
            module='total',
            level=0,
            trainable=totals['trainable'],
            total=totals['trainable'] + totals['frozen']))
    return rows


def format_parameter_table(rows: List[Dict]) -> str:
    """Markdown table: module (dotted name), trainable, total, trainable share."""
    lines = ['| module | trainable | total | trainable % |', '|---|---:|---:|---:|']
    for row in rows:
        share = 100.0 * row['trainable'] / row['total'] if row['total'] else 0.0
        name = f"**{row['module']}**" if row['module'] == 'total' else row['module']
        lines.append(f"| {name} | {row['trainable']:,} | {row['total']:,} | {share:.2f} |")
    return '\n'.join(lines)
