"""Parameter accounting of an ``AdaptedTower``: the frozen tower and its adapters, per block.

Logged when a tower with adapters is built, so every run's log states what
trains; ``tools/analysis/param_count.py`` reports whole models.
"""
from typing import Dict, List

from mmengine.logging import MMLogger
from prettytable import PrettyTable

from mmseg_ht.utils import count_parameters
from .adapted_tower import AdaptedTower
from .checkpoint import is_adapter_parameter

NOT_RUN = 'no: after the last output block (kept frozen)'


def adapter_parameters_per_block(tower: AdaptedTower) -> List[int]:
    """Adapter parameters of each block: LoRA factors inside it plus its output adapter."""
    blocks = tower.tower_blocks()
    owner = {id(p): index for index, block in enumerate(blocks) for p in block.parameters()}
    owner.update({
        id(p): int(key)
        for key, adapter in tower.adapters.items()
        for p in adapter.parameters()
    })
    counts = [0] * len(blocks)
    for param in tower.adapter_state_dict().values():
        counts[owner[id(param)]] += param.numel()
    return counts


def parameter_rows(tower: AdaptedTower) -> List[Dict]:
    """One row for the frozen tower and one per run of adapted blocks of equal size.

    Adapters after the last block a task needs are never run; the tower keeps
    them frozen, and the report says so.
    """
    frozen = sum(p.numel() for name, p in tower.tower.named_parameters()
                 if not is_adapter_parameter(name))
    rows = [dict(module='tower (pretrained, frozen)', trainable=0, frozen=frozen, runs='yes')]
    groups: List[Dict] = []
    for index, count in enumerate(adapter_parameters_per_block(tower)):
        if not count:
            continue
        runs = 'yes' if index < tower.blocks_run() else NOT_RUN
        last = groups[-1] if groups else None
        if (last and last['per_block'] == count and last['runs'] == runs
                and last['blocks'][-1] == index - 1):
            last['blocks'].append(index)
        else:
            groups.append(dict(blocks=[index], per_block=count, runs=runs))
    for group in groups:
        first, last, n = group['blocks'][0], group['blocks'][-1], len(group['blocks'])
        where = (f'block {first}'
                 if n == 1 else f'blocks {first}-{last} ({n} x {group["per_block"]:,})')
        size = n * group['per_block']
        runs_now = group['runs'] == 'yes'
        rows.append(
            dict(
                module=f'adapters @ {where}',
                trainable=size if runs_now else 0,
                frozen=0 if runs_now else size,
                runs=group['runs']))
    return rows


def log_parameter_report(tower: AdaptedTower) -> None:
    """Log a table of trainable vs frozen parameters of ``tower``."""
    rows = parameter_rows(tower)
    table = PrettyTable(['module', 'trainable', 'frozen', 'runs / gets gradient'])
    for row in rows:
        table.add_row([row['module'], f"{row['trainable']:,}", f"{row['frozen']:,}", row['runs']])
    totals = count_parameters(tower)
    attached = sum(r['trainable'] + r['frozen'] for r in rows[1:])
    table.add_row([
        'total', f"{totals['trainable']:,}", f"{totals['frozen']:,}",
        f'{attached:,} adapter parameters attached'
    ])
    MMLogger.get_current_instance().info(f'{type(tower).__name__} parameters:\n' +
                                         table.get_string())
