"""Inference throughput (images/s) per method, float32 and bfloat16 autocast.

Times ``model.predict`` (backbone + head + mmseg's resize of the logits to the image size
+ argmax) in eval mode under ``torch.no_grad`` on a random batch of 224x224 images, for the
methods of configs/ht/clip-{frozen,ht,mona,lora}_busi.py (ViT-B/16, random init).
``bf16`` rows run the same under ``torch.autocast('cpu', torch.bfloat16)`` — what
mmengine's ``TestLoop(fp16=True)`` does on a CPU. Alternating rounds, medians, and the
ratio to one frozen forward pass of the bare tower (12 blocks) measured in the same run.

``--onnx`` adds, per method, the network alone (``SegmentorLogits``: logits at 224², no
resize/argmax) in PyTorch and the same graph exported by ``mmseg_ht.inference.onnx_export``
run in onnxruntime (CPU, same thread count), with their max abs logit difference.

    python benchmarks/inference.py [--batch 8] [--rounds 7] [--threads 2] [--no-bf16] [--onnx]
"""
import argparse
import contextlib
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Callable, Dict, List

# This folder, for the sibling module train_step (which puts the checkout on sys.path).
sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch  # noqa: E402
from train_step import build_segmentor  # noqa: E402
from train_step import CONFIGS, blocks_and_adapters_run, frozen_forward_fn, make_batch, timed


def predict_fn(model: torch.nn.Module, images: torch.Tensor, samples: List,
               bf16: bool) -> Callable[[], None]:
    model.eval()

    def run() -> None:
        ctx = torch.autocast('cpu', dtype=torch.bfloat16) if bf16 else contextlib.nullcontext()
        with torch.no_grad(), ctx:
            model.predict(images, samples)

    return run


def onnx_fns(model: torch.nn.Module, images: torch.Tensor, folder: str, variant: str):
    """PyTorch and onnxruntime runs of the exported network, and their max logit difference."""
    from mmseg_ht.inference.onnx_export import export_onnx
    from mmseg_ht.inference.predictor import onnx_engine, torch_engine
    path = str(Path(folder) / f'{variant}.onnx')
    export_onnx(model, path, tuple(images.shape[-2:]))
    torch_run, ort_run = torch_engine(model.eval()), onnx_engine(path, torch.get_num_threads())
    difference = float((torch_run(images) - ort_run(images)).abs().max())
    return (lambda: torch_run(images)), (lambda: ort_run(images)), difference


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--rounds', type=int, default=7)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--variants', nargs='+', default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument('--no-bf16', action='store_true', help='skip the bfloat16 rows')
    parser.add_argument(
        '--onnx', action='store_true', help='add PyTorch vs onnxruntime rows (network only)')
    args = parser.parse_args()
    folder = tempfile.TemporaryDirectory()
    differences: Dict[str, float] = {}
    torch.set_num_threads(args.threads)
    images, samples = make_batch(args.batch)
    fns: Dict[str, Callable[[], None]] = {}
    blocks: Dict[str, str] = {}
    for variant in args.variants:
        model = build_segmentor(variant)
        if 'frozen fwd' not in fns:
            fns['frozen fwd'] = frozen_forward_fn(model, images)
        for bf16 in (False, ) if args.no_bf16 else (False, True):
            name = variant + (' bf16' if bf16 else '')
            fns[name] = predict_fn(model, images, samples, bf16)
            blocks[name] = blocks_and_adapters_run(model)
        if args.onnx:
            torch_fn, ort_fn, differences[variant] = onnx_fns(model, images, folder.name, variant)
            for name, fn in ((f'{variant} network, PyTorch', torch_fn),
                             (f'{variant} network, onnxruntime', ort_fn)):
                fns[name], blocks[name] = fn, blocks_and_adapters_run(model)
    for _ in range(args.warmup):
        for fn in fns.values():
            fn()
    times: Dict[str, List[float]] = {name: [] for name in fns}
    for _ in range(args.rounds):
        for name, fn in fns.items():
            times[name].append(timed(fn))
    med = {name: statistics.median(t) for name, t in times.items()}
    unit = med['frozen fwd']
    print(f'# batch {args.batch}, 224x224, {args.threads} threads, median of {args.rounds} '
          f'alternating rounds, torch {torch.__version__}')
    print(f'# one frozen forward (12 blocks, eval, no_grad): {unit * 1000:.0f} ms '
          f'= {args.batch / unit:.1f} images/s')
    print('| method | blocks run | ms / batch | images/s | ÷ frozen fwd |')
    print('|---|---|---|---|---|')
    for name, t in med.items():
        if name != 'frozen fwd':
            print(f'| {name} | {blocks[name]} | {t * 1000:.0f} | '
                  f'{args.batch / t:.1f} | {t / unit:.2f} |')
    for variant, difference in differences.items():
        print(f'# {variant}: onnxruntime vs PyTorch max abs logit difference {difference:.1e}')
    folder.cleanup()


if __name__ == '__main__':
    main()
