"""HT's frequency filter as real matrix products (DFT matrices), for ONNX export.

``FrequencyFilter`` computes irfft2(rfft2(F, 'ortho') ⊙ K, 'ortho'). Neither torch's
TorchScript ONNX exporter nor ONNX itself (no real 2-D FFT op usable from it) can
express ``aten::fft_rfft2``, so ``DFTFrequencyFilter`` computes the same linear map
with real DFT matrices, which export as plain ``MatMul`` nodes. With
F_H, G_H the forward/inverse H-point DFT, R_W the W-point real DFT (W//2+1 bins) and
C_W its Hermitian inverse (bins 1..W//2-1 counted twice, imaginary parts of the DC
and Nyquist bins dropped, as ``irfft`` does)::

    y = Re( G_H · (K ⊙ (F_H · F · R_W)) · C_W )

Equal to the FFT path up to float rounding (tested in tests/test_inference).
"""
import math
from typing import Tuple

import torch
import torch.nn as nn

from mmseg_ht.models.adapters.ht_layers import FrequencyFilter


def _dft_matrices(height: int, width: int) -> Tuple[torch.Tensor, ...]:
    """Real and imaginary parts of F_H, R_W, G_H, C_W (orthonormal scaling), float64."""
    m = torch.arange(height, dtype=torch.float64)
    n = torch.arange(width, dtype=torch.float64)
    bins = torch.arange(width // 2 + 1, dtype=torch.float64)
    angle_h = 2 * math.pi * torch.outer(m, m) / height  # (k, m), symmetric
    angle_w = 2 * math.pi * torch.outer(n, bins) / width  # (n, l)
    scale_h, scale_w = 1 / math.sqrt(height), 1 / math.sqrt(width)
    # irfft's weights: each bin stands for itself and its conjugate, except DC and Nyquist.
    twice = torch.full((width // 2 + 1, ), 2.0, dtype=torch.float64)
    twice[0] = 1.0
    if width % 2 == 0:
        twice[-1] = 1.0
    return (
        torch.cos(angle_h) * scale_h,
        -torch.sin(angle_h) * scale_h,  # F_H
        torch.cos(angle_w) * scale_w,
        -torch.sin(angle_w) * scale_w,  # R_W
        torch.cos(angle_h) * scale_h,
        torch.sin(angle_h) * scale_h,  # G_H
        (torch.cos(angle_w) * scale_w * twice).T,  # C_W (l, n)
        (torch.sin(angle_w) * scale_w * twice).T)


class DFTFrequencyFilter(nn.Module):
    """The same map as a ``FrequencyFilter`` (sharing its weight K), without FFT ops."""

    def __init__(self, source: FrequencyFilter) -> None:
        super().__init__()
        self.grid_size = tuple(source.grid_size)
        self.weight = source.weight
        names = ('fh_re', 'fh_im', 'rw_re', 'rw_im', 'gh_re', 'gh_im', 'cw_re', 'cw_im')
        for name, matrix in zip(names, _dft_matrices(*self.grid_size)):
            self.register_buffer(name, matrix.float(), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if tuple(x.shape[-2:]) != self.grid_size:
            raise ValueError(f'DFTFrequencyFilter was built for a {self.grid_size} token grid, '
                             f'got {tuple(x.shape[-2:])}')
        x32 = x.float()
        a_re, a_im = self.fh_re @ x32, self.fh_im @ x32  # DFT along H
        s_re = a_re @ self.rw_re - a_im @ self.rw_im  # real DFT along W
        s_im = a_re @ self.rw_im + a_im @ self.rw_re
        kernel = self.weight.float()
        s_re, s_im = s_re * kernel, s_im * kernel  # the filter K
        z_re = self.gh_re @ s_re - self.gh_im @ s_im  # inverse along H
        z_im = self.gh_re @ s_im + self.gh_im @ s_re
        return (z_re @ self.cw_re - z_im @ self.cw_im).to(x.dtype)  # Hermitian inverse along W


def replace_fft_filters(model: nn.Module) -> int:
    """Replace every ``FrequencyFilter`` in ``model`` (in place) by its DFT form; the count."""
    targets = [(name, module) for name, module in model.named_modules()
               if isinstance(module, FrequencyFilter)]
    for name, module in targets:
        parent_name, _, child = name.rpartition('.')
        parent = model.get_submodule(parent_name) if parent_name else model
        setattr(parent, child, DFTFrequencyFilter(module))
    return len(targets)
