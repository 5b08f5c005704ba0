"""Let the get_flops.py of the mmseg 1.2.2 wheel call mmengine >= 0.7.3's complexity API.

That get_flops.py calls ``get_model_complexity_info(model, input_shape, inputs=...)``;
mmengine 0.7.3+ refuses the pair ("input_shape" and "inputs" cannot be both set) for every
model, mmseg's own included (open-mmlab/mmsegmentation#2958, #3241). mmseg fixed the tool
after its last release by passing ``input_shape=None`` (#3551). ``inputs_take_precedence``
gives the unmodified 1.2.2 tool that behaviour: while it is active, the function the tool
imports from ``mmengine.analysis`` ignores ``input_shape`` when ``inputs`` are given (the
inputs carry the shape). Outside the context mmengine is untouched; the fixed tool never
passes both, so there it changes nothing. Used only by ``python -m mmseg_ht.mmseg_tools
get_flops``.
"""
import contextlib
import functools
import sys
from typing import Any, Iterator


@contextlib.contextmanager
def inputs_take_precedence() -> Iterator[None]:
    """Within the context, ``mmengine.analysis.get_model_complexity_info`` ignores
    ``input_shape`` when ``inputs`` are given (and says so on stderr)."""
    import mmengine.analysis as analysis

    original = analysis.get_model_complexity_info

    @functools.wraps(original)
    def complexity_info(model: Any,
                        input_shape: Any = None,
                        inputs: Any = None,
                        **kwargs: Any) -> dict:
        if input_shape is not None and inputs is not None:
            print(
                'mmseg_ht: get_flops.py passed both input_shape and inputs; counting with '
                'inputs only, as the tool does since open-mmlab/mmsegmentation#3551',
                file=sys.stderr)
            input_shape = None
        return original(model, input_shape, inputs, **kwargs)

    analysis.get_model_complexity_info = complexity_info
    try:
        yield
    finally:
        analysis.get_model_complexity_info = original
