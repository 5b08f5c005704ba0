"""The torch releases mmseg_ht supports, and a work-around one of them needs.

Tested stacks (docs/en/install.md, "Supported stacks"): torch 2.14.1 and torch 2.1.2.
Older torch fails at import with a clear message (``torch.load`` lacks the
``mmap``/``weights_only`` handling the safe loaders rely on; never tested).

torch 2.1.2's CPU flash-attention backward in bfloat16 corrupts the heap
with more than one thread ("double free or corruption", the interpreter
aborts): CPU training under bf16 autocast dies in the frozen tower's
attention backward. ``attention_guard`` keeps scaled-dot-product attention
off that kernel (the math/memory-efficient kernels compute the same
attention) wherever a bf16 graph is recorded on the CPU, for torch < 2.6:
fixed in 2.14.1, not checked in between, and the fallback only costs speed.
"""
import contextlib
from typing import ContextManager, Tuple

import torch

MINIMUM_TORCH = (2, 1)
FLASH_CPU_BF16_BACKWARD_FIXED = (2, 6)


def torch_version() -> Tuple[int, int]:
    """(major, minor) of the installed torch."""
    major, minor = torch.__version__.split('+')[0].split('.')[:2]
    return int(major), int(minor)


def check_torch_version() -> None:
    """ImportError naming the installed and the required torch when it is too old."""
    if torch_version() < MINIMUM_TORCH:
        raise ImportError(f'mmseg_ht needs torch >= {".".join(map(str, MINIMUM_TORCH))}, found '
                          f'{torch.__version__}. Install a supported stack (docs/en/install.md, '
                          '"Supported stacks"), e.g. pip install torch==2.1.2 torchvision==0.16.2.')


def _bf16_on_cpu(tokens: torch.Tensor) -> bool:
    autocast_bf16 = (
        torch.is_autocast_cpu_enabled() and torch.get_autocast_cpu_dtype() == torch.bfloat16)
    return tokens.device.type == 'cpu' and (autocast_bf16 or tokens.dtype == torch.bfloat16)


def attention_guard(tokens: torch.Tensor) -> ContextManager:
    """No flash attention for a recorded bf16 CPU graph on torch < 2.6; else a no-op."""
    if (torch_version() >= FLASH_CPU_BF16_BACKWARD_FIXED or not torch.is_grad_enabled()
            or not _bf16_on_cpu(tokens)):
        return contextlib.nullcontext()
    if torch_version() >= (2, 3):
        from torch.nn.attention import SDPBackend, sdpa_kernel
        return sdpa_kernel([SDPBackend.EFFICIENT_ATTENTION, SDPBackend.MATH])
    return torch.backends.cuda.sdp_kernel(enable_flash=False)
