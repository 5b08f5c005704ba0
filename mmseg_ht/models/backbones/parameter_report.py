"""Trainable/frozen parameter counts per module of a CLIPViT backbone, logged at build."""
from typing import Dict, List

import torch.nn as nn
from mmengine.logging import MMLogger
from prettytable import PrettyTable



def count_parameters(module: nn.Module) -> Dict[str, int]:
    """Trainable and frozen parameter counts of ``module``."""
    trainable = sum(p.numel() for p in module.parameters() if p.requires_grad)
    total = sum(p.numel() for p in module.parameters())
    return dict(trainable=trainable, frozen=total - trainable)


def _adapter_parameters_of_block(backbone: nn.Module, index: int) -> int:
    """Parameters added to block ``index``: its output adapter and LoRA factors inside it."""
    block = backbone.family.blocks(backbone.tower)[index]
    inside = sum(p.numel() for name, p in block.named_parameters() if '.lora_' in '.' + name)
    output = backbone.adapters[str(index)] if str(index) in backbone.adapters else None
    return inside + (sum(p.numel() for p in output.parameters()) if output is not None else 0)


def backbone_parameter_rows(backbone: nn.Module) -> List[Dict]:
    """One row for the tower and one per group of adapted blocks.

    Adapters after the last block a task needs are never run; the backbone
    keeps them frozen, and the report says so.
    """
    tower_frozen = sum(p.numel() for name, p in backbone.tower.named_parameters()
                       if '.lora_' not in '.' + name)
    rows = [dict(module='tower (pretrained, frozen)', trainable=0, frozen=tower_frozen, runs='yes')]
    groups: List[Dict] = []
    for index in range(len(backbone.family.blocks(backbone.tower))):
        count = _adapter_parameters_of_block(backbone, index)
        if not count:
            continue
        runs = 'yes' if index < backbone.num_blocks_run else 'no: after the last output block (kept frozen)'
        last = groups[-1] if groups else None
        if last and last['per_block'] == count and last['runs'] == runs and last['blocks'][-1] == index - 1:
            last['blocks'].append(index)
        else:
            groups.append(dict(blocks=[index], per_block=count, runs=runs))
    for group in groups:
        first, last, n = group['blocks'][0], group['blocks'][-1], len(group['blocks'])
        where = f'block {first}' if n == 1 else f'blocks {first}-{last} ({n} x {group["per_block"]:,})'
        runs_now = group['runs'] == 'yes'
        rows.append(dict(module=f'adapters @ {where}', trainable=n * group['per_block'] if runs_now else 0,
                         frozen=0 if runs_now else n * group['per_block'], runs=group['runs']))
    return rows


def log_parameter_report(backbone: nn.Module) -> None:
    """Log a table of trainable vs frozen parameters of ``backbone``."""
    rows = backbone_parameter_rows(backbone)
    table = PrettyTable(['module', 'trainable', 'frozen', 'runs / gets gradient'])
    for row in rows:
        table.add_row([row['module'], f"{row['trainable']:,}", f"{row['frozen']:,}", row['runs']])
    totals = count_parameters(backbone)
    attached = sum(r['trainable'] + r['frozen'] for r in rows[1:])
    table.add_row(['total', f"{totals['trainable']:,}", f"{totals['frozen']:,}",
                   f'{attached:,} adapter parameters attached'])
    MMLogger.get_current_instance().info('CLIPViT parameters:\n' + table.get_string())
