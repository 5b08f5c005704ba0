"""Which parameters test-time adaptation may change: adapters and normalisation layers only."""
from typing import Dict

import torch.nn as nn

from mmseg_ht.models.adapters import is_adapter_parameter

NORM_TYPES = (nn.LayerNorm, nn.GroupNorm, nn.modules.batchnorm._BatchNorm,
              nn.modules.instancenorm._InstanceNorm)


def select_tta_parameters(model: nn.Module,
                          adapters: bool = True,
                          norms: bool = True) -> Dict[str, nn.Parameter]:
    """Adapter and/or normalisation-layer affine parameters of ``model``, by full name.

    Adapters are the parameters ``is_adapter_parameter`` (mmseg_ht.models.adapters, the one
    predicate) names; norms the affine parameters of LayerNorm/GroupNorm/BatchNorm/InstanceNorm.

    Only these get ``requires_grad=True``; every other parameter is frozen.
    An error when nothing is selected (e.g. a frozen model without norms).
    """
    chosen: Dict[str, nn.Parameter] = {}
    if norms:
        for module_name, module in model.named_modules():
            if isinstance(module, NORM_TYPES):
                for name, param in module.named_parameters(recurse=False):
                    chosen[f'{module_name}.{name}' if module_name else name] = param
    if adapters:
        chosen.update({n: p for n, p in model.named_parameters() if is_adapter_parameter(n)})
    if not chosen:
        raise ValueError('test-time adaptation found no adapter or normalisation parameters '
                         'in the model: nothing could adapt')
    for param in model.parameters():
        param.requires_grad_(False)
    for param in chosen.values():
        param.requires_grad_(True)
    return chosen
