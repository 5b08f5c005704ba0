"""GPU check: fp32 vs bf16 vs fp16 AMP training of HT, Mona and LoRA on BUSI (run by gpu_check.sh).

For each method (configs/ht/clip-{ht,mona,lora}_busi.py, ViT-B/16) and precision, the same
model initialisation is trained for ``--steps`` steps on the same BUSI batches with
mmengine's optimizer wrappers (``OptimWrapper`` for fp32, ``AmpOptimWrapper`` with bf16, or
fp16 with a dynamic loss scale — what ``tools/train.py --amp`` builds). Checks, each
reported as PASS/FAIL:

* no NaN/inf loss in any run;
* each AMP loss curve stays within ``--tolerance`` (mean relative difference per step) of
  the fp32 curve;
* HT's FFTs receive single-precision tensors (float32, complex64) under bf16/fp16 autocast
  (spied on ``torch.fft.rfft2/irfft2``);
* every run learns: the mean loss of the last 5 steps is below that of the first 5.

Then images/s and peak GPU memory of a training step at batch ``--throughput-batch`` per
method and precision (and bf16 with ``with_cp``). ``--device cpu`` runs the same code on a
tiny tower (``--tiny``) with CPU autocast instead of AmpOptimWrapper (GPU only in
mmengine 0.10): a plumbing check, not a precision result.

    python benchmarks/gpu_check.py --data-root data/busi --out work_dirs/gpu_check
"""
import argparse
import contextlib
import json
import math
import sys
import time
import warnings
from pathlib import Path
from typing import Dict, List, Optional

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout: runs without install

import torch  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter('ignore')
    import mmseg_ht  # noqa: E402,F401 isort:skip
    from mmengine.config import Config  # noqa: E402
    from mmengine.logging import MMLogger  # noqa: E402
    from mmengine.optim import build_optim_wrapper  # noqa: E402
    from mmengine.registry import init_default_scope  # noqa: E402
    from mmengine.runner import Runner  # noqa: E402
    from mmseg.registry import MODELS  # noqa: E402

METHODS = {
    'ht': 'configs/ht/clip-ht_busi.py',
    'mona': 'configs/ht/clip-mona_busi.py',
    'lora': 'configs/ht/clip-lora_busi.py'
}
PRECISIONS = {'fp32': None, 'bf16': torch.bfloat16, 'fp16': torch.float16}
TINY = dict(arch='mmseg_ht-tiny-vit16')


def load_cfg(method: str, data_root: str, batch: int, tiny: bool) -> Config:
    """The method's config on ``data_root``; the tiny tower for CPU plumbing runs."""
    cfg = Config.fromfile(str(REPO_ROOT / METHODS[method]))
    cfg.train_dataloader.dataset.data_root = data_root
    cfg.train_dataloader.update(batch_size=batch, num_workers=2, persistent_workers=False)
    cfg.train_dataloader.sampler = dict(type='DefaultSampler', shuffle=True, seed=0)
    if tiny:
        cfg.model.backbone.update(TINY)
        cfg.model.decode_head.update(in_channels=[64, 64, 64], channels=32)
    return cfg


def fixed_batches(cfg: Config, steps: int) -> List[dict]:
    """The first ``steps`` training batches (seeded shuffle), identical for every run."""
    init_default_scope('mmseg')
    loader = Runner.build_dataloader(cfg.train_dataloader, seed=0)
    batches = []
    while len(batches) < steps:
        for batch in loader:
            batches.append(batch)
            if len(batches) == steps:
                break
    return batches


def build_model(cfg: Config, device: str, with_cp: bool = False) -> torch.nn.Module:
    init_default_scope('mmseg')
    torch.manual_seed(0)
    model_cfg = cfg.model.copy()
    model_cfg.backbone.with_cp = with_cp
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        return MODELS.build(model_cfg).to(device).train()


def make_optim_wrapper(model: torch.nn.Module, precision: str, device: str):
    """mmengine's wrapper for the precision (as tools/train.py --amp builds it)."""
    optim = dict(
        type='OptimWrapper',
        optimizer=dict(type='AdamW', lr=1e-4, betas=(0.9, 0.95), weight_decay=0.01))
    dtype = PRECISIONS[precision]
    if dtype is not None and device == 'cuda':
        optim.update(type='AmpOptimWrapper', dtype=str(dtype).replace('torch.', ''))
        if dtype == torch.float16:
            optim['loss_scale'] = 'dynamic'
    return build_optim_wrapper(model, optim)


def step_context(precision: str, device: str):
    """CPU runs autocast by hand (AmpOptimWrapper is GPU only); on CUDA the wrapper does."""
    dtype = PRECISIONS[precision]
    if dtype is not None and device == 'cpu':
        return torch.autocast('cpu', dtype=dtype)
    return contextlib.nullcontext()


def train_curve(model: torch.nn.Module, batches: List[dict], precision: str,
                device: str) -> List[float]:
    wrapper = make_optim_wrapper(model, precision, device)
    losses = []
    for batch in batches:
        with step_context(precision, device):
            log = model.train_step(batch, wrapper)
        losses.append(float(log['loss']))
    return losses


@contextlib.contextmanager
def fft_dtype_spy(record: List[str]):
    """Record the dtype of every tensor given to torch.fft.rfft2/irfft2."""
    originals = torch.fft.rfft2, torch.fft.irfft2

    def spy(fn):

        def wrapped(x, *args, **kwargs):
            record.append(str(x.dtype))
            return fn(x, *args, **kwargs)

        return wrapped

    torch.fft.rfft2, torch.fft.irfft2 = spy(originals[0]), spy(originals[1])
    try:
        yield
    finally:
        torch.fft.rfft2, torch.fft.irfft2 = originals


def fft_dtypes_under_autocast(model: torch.nn.Module, batch: dict, device: str) -> List[str]:
    record: List[str] = []
    data = model.data_preprocessor(batch, True)
    for dtype in (torch.bfloat16, torch.float16):
        with fft_dtype_spy(record), torch.autocast(device, dtype=dtype), torch.no_grad():
            model.backbone(data['inputs'])
    return sorted(set(record))


def throughput(model: torch.nn.Module,
               batch: dict,
               precision: str,
               device: str,
               warmup: int = 3,
               steps: int = 10) -> Dict[str, float]:
    """images/s and peak memory of a training step on one fixed batch."""
    wrapper = make_optim_wrapper(model, precision, device)
    sync = torch.cuda.synchronize if device == 'cuda' else (lambda: None)
    for _ in range(warmup):
        with step_context(precision, device):
            model.train_step(batch, wrapper)
    sync()
    if device == 'cuda':
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    for _ in range(steps):
        with step_context(precision, device):
            model.train_step(batch, wrapper)
    sync()
    seconds = time.perf_counter() - start
    images = steps * len(batch['inputs'])
    peak = torch.cuda.max_memory_allocated() / 2**20 if device == 'cuda' else float('nan')
    return dict(images_per_s=images / seconds, peak_mem_mb=peak)


def relative_gap(curve: List[float], reference: List[float]) -> float:
    return sum(abs(a - b) / max(abs(b), 1e-8) for a, b in zip(curve, reference)) / len(reference)


def run(args: argparse.Namespace) -> dict:
    MMLogger.get_instance('mmengine', log_level='ERROR')
    results: dict = dict(
        device=torch.cuda.get_device_name() if args.device == 'cuda' else 'cpu',
        torch=torch.__version__,
        steps=args.steps,
        batch=args.batch,
        tolerance=args.tolerance,
        curves={},
        checks=[],
        throughput={})

    def check(name: str, ok: bool, detail: str) -> None:
        results['checks'].append(dict(name=name, ok=bool(ok), detail=detail))
        print(f'[{"PASS" if ok else "FAIL"}] {name}: {detail}', flush=True)

    for method in args.methods:
        cfg = load_cfg(method, args.data_root, args.batch, args.tiny)
        batches = fixed_batches(cfg, args.steps)
        curves = {}
        for precision in args.precisions:
            curves[precision] = train_curve(
                build_model(cfg, args.device), batches, precision, args.device)
            finite = all(math.isfinite(v) for v in curves[precision])
            check(f'{method} {precision}: finite losses', finite,
                  f'first {curves[precision][0]:.4f}, last {curves[precision][-1]:.4f}')
            head, tail = curves[precision][:5], curves[precision][-5:]
            check(
                f'{method} {precision}: learns',
                sum(tail) < sum(head), f'mean of first 5 steps {sum(head) / len(head):.4f}, '
                f'of last 5 {sum(tail) / len(tail):.4f}')
            if precision != 'fp32' and 'fp32' in curves:
                gap = relative_gap(curves[precision], curves['fp32'])
                check(f'{method} {precision} vs fp32: loss curve', gap <= args.tolerance,
                      f'mean relative difference {gap:.4f} (tolerance {args.tolerance})')
        results['curves'][method] = curves
        if method == 'ht':
            dtypes = fft_dtypes_under_autocast(
                build_model(cfg, args.device), batches[0], args.device)
            single = {'torch.float32', 'torch.complex64'}  # rfft2 input, irfft2 input
            check('ht: FFT inputs under bf16/fp16 autocast',
                  bool(dtypes) and set(dtypes) <= single,
                  f'dtypes seen by torch.fft.rfft2/irfft2: {dtypes}')
        big = load_cfg(method, args.data_root, args.throughput_batch, args.tiny)
        big_batch = fixed_batches(big, 1)[0]
        rows = {}
        for precision in args.precisions:
            rows[precision] = throughput(
                build_model(big, args.device), big_batch, precision, args.device)
        rows['bf16+cp'] = throughput(
            build_model(big, args.device, with_cp=True), big_batch, 'bf16', args.device)
        results['throughput'][method] = rows
        for name, row in rows.items():
            print(
                f'{method} {name}: {row["images_per_s"]:.1f} images/s, '
                f'peak {row["peak_mem_mb"]:.0f} MB',
                flush=True)
    return results


def markdown(results: dict, throughput_batch: int) -> str:
    lines = [
        f'# GPU check: {results["device"]}, torch {results["torch"]}, '
        f'{results["steps"]} steps at batch {results["batch"]}', '', '| check | result | detail |',
        '|---|---|---|'
    ]
    lines += [
        f'| {c["name"]} | {"PASS" if c["ok"] else "FAIL"} | {c["detail"]} |'
        for c in results['checks']
    ]
    lines += [
        '', f'Training step at batch {throughput_batch}:', '',
        '| method | precision | images/s | peak GPU memory (MB) |', '|---|---|---|---|'
    ]
    for method, rows in results['throughput'].items():
        lines += [
            f'| {method} | {name} | {row["images_per_s"]:.1f} | {row["peak_mem_mb"]:.0f} |'
            for name, row in rows.items()
        ]
    return '\n'.join(lines) + '\n'


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--data-root', required=True, help='BUSI converted to the mmseg layout')
    parser.add_argument('--out', default='work_dirs/gpu_check')
    parser.add_argument('--device', default='cuda', choices=['cuda', 'cpu'])
    parser.add_argument('--methods', nargs='+', default=list(METHODS), choices=list(METHODS))
    parser.add_argument(
        '--precisions', nargs='+', default=list(PRECISIONS), choices=list(PRECISIONS))
    parser.add_argument('--steps', type=int, default=40)
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--throughput-batch', type=int, default=32)
    parser.add_argument(
        '--tolerance',
        type=float,
        default=0.05,
        help='max mean relative difference of an AMP loss curve to fp32')
    parser.add_argument('--tiny', action='store_true', help='tiny tower (CPU plumbing runs)')
    args = parser.parse_args(argv)
    if args.device == 'cuda' and not torch.cuda.is_available():
        raise SystemExit('gpu_check.py: no CUDA device (use --device cpu --tiny for a dry run)')
    results = run(args)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / 'gpu_check.json').write_text(json.dumps(results, indent=1))
    (out / 'gpu_check.md').write_text(markdown(results, args.throughput_batch))
    failed = [c['name'] for c in results['checks'] if not c['ok']]
    print(f'{len(results["checks"]) - len(failed)}/{len(results["checks"])} checks passed; '
          f'results in {out}/gpu_check.md')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
