"""Helpers on state dicts and parameters: how two state dicts differ, how many parameters train."""
from typing import Dict, List, Mapping, Type

import torch
import torch.nn as nn

from .messages import list_names


def describe_mismatch(expected: Mapping[str, torch.Tensor],
                      given: Mapping[str, torch.Tensor]) -> List[str]:
    """Human-readable differences between two state dicts (empty when they fit).

    Missing keys, unexpected keys and shape mismatches, the first few of each named.
    """
    missing = sorted(set(expected) - set(given))
    unexpected = sorted(set(given) - set(expected))
    wrong_shape = [
        f'{k} {tuple(given[k].shape)} vs {tuple(v.shape)}' for k, v in expected.items()
        if k in given and given[k].shape != v.shape
    ]
    problems = []
    if missing:
        problems.append(f'{len(missing)} missing keys: {list_names(missing, sort=False)}')
    if unexpected:
        problems.append(f'{len(unexpected)} unexpected keys: {list_names(unexpected, sort=False)}')
    if wrong_shape:
        problems.append(f'{len(wrong_shape)} shape mismatches (file vs model): '
                        f'{list_names(wrong_shape, sort=False)}')
    return problems


def check_fits(expected: Mapping[str, torch.Tensor],
               given: Mapping[str, torch.Tensor],
               error: Type[Exception],
               what: str,
               remedy: str = '') -> None:
    """Raise ``error`` unless ``given`` fits ``expected`` key for key and shape for shape.

    The message reads ``'<what>: <differences>. <remedy>'``: ``what`` names the file
    and the model, ``remedy`` says what to do.
    """
    problems = describe_mismatch(expected, given)
    if problems:
        raise error(f'{what}: ' + '; '.join(problems) + (f'. {remedy}' if remedy else ''))


def count_parameters(module: nn.Module) -> Dict[str, int]:
    """Trainable and frozen parameter counts of ``module``."""
    trainable = sum(p.numel() for p in module.parameters() if p.requires_grad)
    total = sum(p.numel() for p in module.parameters())
    return dict(trainable=trainable, frozen=total - trainable)
