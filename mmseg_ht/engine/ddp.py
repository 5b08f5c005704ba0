"""DDP for partly frozen models: ``find_unused_parameters`` decided from the model itself.

DDP's most reported failure with frozen backbones is "parameters that were not used in
producing loss": a trainable parameter that never gets a gradient (a block after the last
tapped level, an adapter that is never run) makes the second iteration fail, unless DDP
was built with ``find_unused_parameters=True`` — which in turn costs a graph traversal on
every iteration. ``FrozenAwareDDP`` runs the model once on a zero batch before wrapping,
finds the trainable parameters that receive no gradient, and turns the flag on only when
there are some, logging which and why.
"""
from collections import Counter
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.distributed as dist
import torch.nn as nn
from mmengine.logging import print_log
from mmengine.model import MMDistributedDataParallel
from mmengine.registry import MODEL_WRAPPERS

AUTO = 'auto'


def probe_input_size(module: nn.Module) -> Optional[Tuple[int, int]]:
    """The (H, W) a model is fed: the data preprocessor's ``size``, else a CLIP tower's input."""
    size = getattr(getattr(module, 'data_preprocessor', None), 'size', None)
    if size:
        return tuple(int(s) for s in size)
    for sub in module.modules():
        family, tower = getattr(sub, 'family', None), getattr(sub, 'tower', None)
        if family is not None and tower is not None and hasattr(family, 'image_size'):
            return tuple(int(s) for s in family.image_size(tower))
    return None


def _output_tensors(outputs) -> List[torch.Tensor]:
    if isinstance(outputs, torch.Tensor):
        return [outputs]
    if isinstance(outputs, dict):
        outputs = list(outputs.values())
    if isinstance(outputs, (list, tuple)):
        return [t for item in outputs for t in _output_tensors(item)]
    return []


def unused_trainable_parameters(module: nn.Module,
                                input_size: Sequence[int],
                                channels: int = 3) -> List[str]:
    """Names of the trainable parameters that get no gradient from ``module``'s outputs.

    Runs ``module(zeros, None, mode='tensor')`` (mmengine's raw-output mode) in eval mode on
    one zero image, backpropagates the sum of all outputs and lists the parameters whose
    ``.grad`` stayed None. Eval mode and a zero input leave no trace: no random numbers are
    drawn, no BatchNorm statistics move, and gradients are cleared afterwards.
    """
    trainable = [(name, p) for name, p in module.named_parameters() if p.requires_grad]
    if not trainable:
        return []
    device = trainable[0][1].device
    modes = {m: m.training for m in module.modules()}
    module.eval()
    saved_grads = [p.grad for _, p in trainable]
    for _, p in trainable:
        p.grad = None
    try:
        with torch.enable_grad():
            outputs = module(
                torch.zeros(1, channels, *input_size, device=device), None, mode='tensor')
            tensors = [t for t in _output_tensors(outputs) if t.requires_grad]
            if tensors:
                sum(t.float().sum() for t in tensors).backward()
        return [name for name, p in trainable if p.grad is None]
    finally:
        for (_, p), grad in zip(trainable, saved_grads):
            p.grad = grad
        for m, mode in modes.items():
            m.training = mode


def summarise_names(names: Sequence[str], limit: int = 8) -> str:
    """Group parameter names by module: up to the first block index, else the parent module.

    ``tower.blocks.2.attn.w, tower.blocks.2.mlp.w, tower.ln.w`` → ``tower.blocks.2 (2),
    tower.ln``; at most ``limit`` groups are named.
    """

    def group(name: str) -> str:
        parts = name.split('.')
        digits = [i for i, part in enumerate(parts) if part.isdigit()]
        if digits:
            return '.'.join(parts[:digits[0] + 1])
        return '.'.join(parts[:-1]) if parts[-1] in ('weight', 'bias') else name

    groups = Counter(group(name) for name in names)
    text = ', '.join(f'{g} ({n})' if n > 1 else g for g, n in list(groups.items())[:limit])
    return text + (f', and {len(groups) - limit} more modules' if len(groups) > limit else '')


def decide_find_unused_parameters(module: nn.Module) -> Tuple[bool, str]:
    """(flag, reason): True only when some trainable parameter gets no gradient."""
    size = probe_input_size(module)
    if size is None:
        return True, ('the input size is unknown (no data_preprocessor.size, no CLIP tower), '
                      'so unused parameters could not be probed; True is always safe')
    try:
        unused = unused_trainable_parameters(module, size)
    except Exception as error:  # noqa: BLE001 - any model failure falls back to the safe flag
        return True, f'probing the model failed ({type(error).__name__}: {error}); True is safe'
    if unused:
        return True, (f'{len(unused)} trainable parameters receive no gradient: '
                      f'{summarise_names(unused)}')
    n_trainable = sum(1 for p in module.parameters() if p.requires_grad)
    return False, f'all {n_trainable} trainable parameter tensors receive gradients'


def _agree_across_ranks(flag: bool, device: torch.device) -> bool:
    """Every rank must build DDP with the same flag: any rank's True wins."""
    if not (dist.is_available() and dist.is_initialized()):
        return flag
    if dist.get_backend() == 'nccl':
        device = torch.device('cuda', torch.cuda.current_device())
    value = torch.tensor([int(flag)], device=device)
    dist.all_reduce(value, op=dist.ReduceOp.MAX)
    return bool(value.item())


@MODEL_WRAPPERS.register_module()
class FrozenAwareDDP(MMDistributedDataParallel):
    """``MMDistributedDataParallel`` whose ``find_unused_parameters`` defaults to 'auto'.

    'auto' probes the model (``decide_find_unused_parameters``) and logs the decision
    and its reason; True/False are passed to DDP unchanged (False with unused parameters
    found is logged as a warning, since DDP will fail at the second iteration).
    """

    def __init__(self,
                 module: nn.Module,
                 find_unused_parameters: Union[bool, str] = AUTO,
                 **kwargs) -> None:
        flag, reason = decide_find_unused_parameters(module)
        device = next(module.parameters()).device
        flag = _agree_across_ranks(flag, device)
        if find_unused_parameters == AUTO:
            print_log(f'DDP: find_unused_parameters={flag}: {reason}', logger='current')
            find_unused_parameters = flag
        elif flag and not find_unused_parameters:
            print_log(
                f'DDP: find_unused_parameters=False was set, but {reason}; expect '
                '"parameters that were not used in producing loss". Remove the '
                'setting to let mmseg_ht decide.',
                logger='current',
                level=30)
        super().__init__(
            module=module, find_unused_parameters=bool(find_unused_parameters), **kwargs)
