"""FLOPs of a segmentor as mmseg's ``get_flops.py`` counts them, and what that count leaves out.

``get_flops.py`` uses mmengine's ``FlopAnalyzer`` (fvcore's rules: one multiply-add = one
FLOP; element-wise ops, softmax and activations are not counted). Its default handles have
no rule for three operators our models run:

* ``aten::scaled_dot_product_attention`` — the Q·Kᵀ and attention·V products of every
  attention (open_clip's blocks on the slow path, LoRA's attention, timm blocks);
* ``aten::_native_multi_head_attention`` — PyTorch's fused ``nn.MultiheadAttention`` fast
  path, which open_clip blocks take when nothing before them needs a gradient (every block
  of the frozen baseline; block 0 with adapters): q/k/v and output projections *and* the
  attention products all vanish from the count;
* ``aten::fft_rfft2`` / ``aten::fft_irfft2`` — HT's frequency filter.

``segmentor_flops`` traces the model once with handles for them added through mmengine's
public ``FlopAnalyzer.set_op_handle`` and reports the default count and each addition
separately. FFT cost is an estimate: a 2-D real FFT of N = H·W points as 1.25·N·log2(N)
multiply-adds (half the classic 5·N·log2(N) real operations of a complex FFT, halved again
to count multiply-adds).
"""
import math
from dataclasses import dataclass, field
from typing import Any, Dict, List, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.analysis import FlopAnalyzer
from mmengine.analysis.jit_handles import get_shape

ATTENTION_OPS = ('aten::scaled_dot_product_attention', 'aten::_native_multi_head_attention')
FFT_OPS = ('aten::fft_rfft2', 'aten::fft_irfft2')


def _prod(values: Sequence[int]) -> int:
    return int(math.prod(values))


def sdpa_flop_jit(inputs: List[Any], outputs: List[Any]) -> int:
    """Q·Kᵀ and weights·V of ``scaled_dot_product_attention(q, k, v, ...)``: (…, L, E) queries,
    (…, S, E) keys, (…, S, Ev) values → L·S·(E + Ev) multiply-adds per batch and head."""
    query, key, value = (get_shape(v) for v in inputs[:3])
    return _prod(query[:-2]) * query[-2] * key[-2] * (query[-1] + value[-1])


def native_mha_flop_jit(inputs: List[Any], outputs: List[Any]) -> int:
    """``_native_multi_head_attention(q, k, v, embed_dim, ...)`` on (B, L, D) queries and
    (B, S, D) keys/values: the q/k/v projections, the attention products, the output
    projection."""
    batch, length, dim = get_shape(inputs[0])
    source = get_shape(inputs[1])[-2]
    projections = batch * (length + 2 * source) * dim * dim + batch * length * dim * dim
    return projections + 2 * batch * length * source * dim


def fft2_flop_jit(inputs: List[Any], outputs: List[Any]) -> int:
    """Estimated multiply-adds of ``fft_rfft2``/``fft_irfft2`` over dims (-2, -1):
    1.25·N·log2(N) per 2-D real transform of N points (the real side's shape)."""
    real_side = get_shape(inputs[0]) if _is_real(inputs[0]) else get_shape(outputs[0])
    dims = inputs[2].toIValue() if len(inputs) > 2 else None
    dims = list(dims) if dims else [-2, -1]
    points = _prod(real_side[d] for d in dims)
    transforms = _prod(real_side) // points
    return round(transforms * 1.25 * points * math.log2(points)) if points > 1 else 0


def _is_real(value: Any) -> bool:
    """True when the traced tensor ``value`` has a real (not complex) dtype."""
    dtype = value.type().dtype()
    return dtype is not None and not dtype.is_complex


@dataclass
class FlopCount:
    """Multiply-adds of one forward pass, split by who counts them (see module docstring)."""

    mmengine: int  # mmengine's default handles: the number get_flops.py prints
    attention: int  # scaled-dot-product attention and fused MHA, missed by get_flops.py
    fft: int  # HT's rfft2/irfft2 (estimate), missed by get_flops.py
    by_module: Dict[str, int] = field(default_factory=dict)  # complete count per module

    @property
    def total(self) -> int:
        return self.mmengine + self.attention + self.fft

    def as_dict(self) -> Dict[str, int]:
        return dict(
            total=self.total, mmengine=self.mmengine, attention=self.attention, fft=self.fft)


def count_flops(model: nn.Module, inputs: Union[torch.Tensor, Tuple[torch.Tensor,
                                                                    ...]]) -> FlopCount:
    """Trace ``model(*inputs)`` once with mmengine's handles plus the attention and FFT ones."""
    analyzer = FlopAnalyzer(model, inputs)
    analyzer.set_op_handle(**{
        name: sdpa_flop_jit if 'scaled' in name else native_mha_flop_jit
        for name in ATTENTION_OPS
    })
    analyzer.set_op_handle(**{name: fft2_flop_jit for name in FFT_OPS})
    analyzer.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    by_operator = analyzer.by_operator()
    short = {name: name.split('::', 1)[1] for name in ATTENTION_OPS + FFT_OPS}
    attention = sum(by_operator.get(short[name], 0) for name in ATTENTION_OPS)
    fft = sum(by_operator.get(short[name], 0) for name in FFT_OPS)
    total = analyzer.total()
    return FlopCount(
        mmengine=int(total - attention - fft),
        attention=int(attention),
        fft=int(fft),
        by_module={
            k: int(v)
            for k, v in analyzer.by_module().items()
        })


def segmentor_flops(segmentor: nn.Module, image_size: Tuple[int, int]) -> FlopCount:
    """``count_flops`` on the input mmseg's get_flops.py makes: one random (3, H, W) image
    through the segmentor's data preprocessor, model in eval mode, ``forward`` in tensor mode."""
    from mmseg.structures import SegDataSample
    shape = dict(ori_shape=tuple(image_size), pad_shape=tuple(image_size))
    batch = dict(inputs=[torch.rand(3, *image_size)], data_samples=[SegDataSample(metainfo=shape)])
    inputs = segmentor.data_preprocessor(batch)['inputs']
    segmentor.eval()
    return count_flops(segmentor, inputs)
