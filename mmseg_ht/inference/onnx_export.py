"""Export a whole mmseg_ht segmentor (tower + adapters + head) to ONNX and check it.

The graph is ``SegmentorLogits``: input ``input`` (N, 3, H, W) float32 — the output of the
config's test pipeline and data preprocessor (RGB, 0..255, resized to the tower's
size; CLIP normalisation happens inside the backbone) — and output ``logits``
(N, C, H, W). The batch axis is dynamic. torch's TorchScript exporter (on every torch
mmseg_ht supports) has no ``aten::fft_rfft2``, so HT's spectral filters are exported in
their DFT-matrix form (``spectral_dft``); the exported file is then run in onnxruntime
and compared with the PyTorch model on the same inputs.
"""
import copy
import inspect
import warnings
from pathlib import Path
from typing import Dict, Optional, Tuple, Union

import torch

from mmseg_ht.models.adapters.ht_layers import MultiScaleDepthwiseConv
from .predictor import SegmentorLogits, onnx_engine
from .spectral_dft import replace_fft_filters

INPUT_NAME, OUTPUT_NAME = 'input', 'logits'
DEFAULT_OPSET = 17


class _BranchwiseDepthwiseConv(MultiScaleDepthwiseConv):
    """Export form: the branches run as separate depth-wise convs, weighted afterwards.

    The fused per-image kernel of ``MultiScaleDepthwiseConv`` is a grouped conv over
    batch × channels groups, which ONNX cannot express for a dynamic batch; the
    branch-wise sum is the same function (tests/test_models/test_fast_paths.py).
    """

    def _fusable(self) -> bool:
        return False


def exportable_copy(segmentor: torch.nn.Module) -> Tuple[torch.nn.Module, int]:
    """A deep copy in eval mode with ONNX-exportable forms of the same computation.

    Returns the copy and the number of spectral filters replaced by DFT products.
    """
    model = copy.deepcopy(segmentor).eval()
    replaced = replace_fft_filters(model)
    for module in model.modules():
        if type(module) is MultiScaleDepthwiseConv:
            module.__class__ = _BranchwiseDepthwiseConv
    _without_attention_fast_path(model)
    return model, replaced


def _without_attention_fast_path(model: torch.nn.Module) -> None:
    """Make ``nn.MultiheadAttention`` take its exportable path (in place, on the copy).

    In eval mode under no_grad it calls the fused ``_native_multi_head_attention``, which
    has no ONNX symbolic. In train mode with dropout 0 it computes the same values with
    plain ops (torch 2.1 has no ``torch.backends.mha`` switch, so this works on both).
    """
    for module in model.modules():
        if isinstance(module, torch.nn.MultiheadAttention):
            if module.dropout:
                raise ValueError(f'attention dropout {module.dropout} != 0: cannot export '
                                 'the attention in training mode')
            module.train()


def export_onnx(segmentor: torch.nn.Module,
                path: Union[str, Path],
                input_size: Tuple[int, int] = (224, 224),
                opset: int = DEFAULT_OPSET,
                metadata: Optional[Dict[str, str]] = None) -> int:
    """Write ``segmentor`` as ONNX to ``path``; returns how many FFT filters became DFTs.

    ``metadata`` (strings) is stored in the file's metadata_props with the input
    contract. The segmentor itself is not modified (a copy is exported).
    """
    import onnx
    model, replaced = exportable_copy(segmentor)
    wrapper = SegmentorLogits(model, input_size)
    example = torch.rand(1, 3, *input_size) * 255
    options = dict(
        input_names=[INPUT_NAME],
        output_names=[OUTPUT_NAME],
        opset_version=opset,
        dynamic_axes={
            INPUT_NAME: {
                0: 'batch'
            },
            OUTPUT_NAME: {
                0: 'batch'
            }
        },
        do_constant_folding=True,
        training=torch.onnx.TrainingMode.PRESERVE)  # keep the attention's mode
    if 'dynamo' in inspect.signature(torch.onnx.export).parameters:
        options['dynamo'] = False  # the TorchScript exporter: also on torch 2.1
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter('ignore')  # tracer and deprecation warnings
        torch.onnx.export(wrapper, (example, ), str(path), **options)
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto)
    props = dict(
        input=f'float32 (N, 3, {input_size[0]}, {input_size[1]}) RGB 0..255 as given by '
        'the config\'s test pipeline and data preprocessor',
        output='float32 (N, C, H, W) class logits at the input size',
        spectral_filters_as_dft=str(replaced),
        **(metadata or {}))
    for key, value in props.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, str(value)
    onnx.save(proto, str(path))
    return replaced


def compare_with_pytorch(path: Union[str, Path], segmentor: torch.nn.Module,
                         inputs: torch.Tensor) -> float:
    """Max abs difference of onnxruntime's and PyTorch's logits on ``inputs`` (the FFT path)."""
    with torch.no_grad():
        expected = SegmentorLogits(segmentor.eval(), tuple(inputs.shape[-2:]))(inputs)
    actual = onnx_engine(str(path))(inputs)
    return float((actual - expected).abs().max())


def onnx_metadata(path: Union[str, Path]) -> Dict[str, str]:
    """The metadata_props of an ONNX file (as onnxruntime reads them)."""
    import onnxruntime as ort
    session = ort.InferenceSession(str(path), providers=['CPUExecutionProvider'])
    return dict(session.get_modelmeta().custom_metadata_map)


def random_inputs(batch: int, input_size: Tuple[int, int], seed: int = 0) -> torch.Tensor:
    """Reproducible network inputs in the 0..255 range of real images."""
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(batch, 3, *input_size, generator=generator) * 255
