"""Training-step time (and peak memory) per method, as ratios to one frozen forward pass.

Builds the real segmentors of configs/ht/clip-{frozen,ht,mona,lora}_busi.py (ViT-B/16,
random init: no weights needed) and times, on the same random batch:

* ``frozen fwd``: one forward pass of the bare image tower, eval + no_grad, all 12 blocks
  (the reference unit of DESIGN §7);
* per method: one full training step = zero_grad + ``model.loss`` (data preprocessor
  excluded: inputs are given as a float batch) + backward + AdamW step, exactly what
  mmengine's ``OptimWrapper.update_params`` runs.

Variants are timed in alternating rounds (one step of each per round, after warm-up)
and the median per variant is reported; only ratios measured in the same run are
meaningful on a shared machine.

    python benchmarks/train_step.py [--batch 8] [--rounds 7] [--threads 2]
        [--variants frozen ht mona lora] [--amp bfloat16] [--compile] [--memory]

``--amp DTYPE`` runs each step under ``torch.autocast`` (what mmengine's AmpOptimWrapper
does; the frozen-forward reference stays float32 so ratios stay comparable).
``--compile`` adds ``<variant>+compile`` rows where ``torch.compile`` wraps the tower's
blocks. ``--memory`` measures, per variant and per batch size of ``--memory-batches``
(default 8 and 32), the peak resident memory of one training step in a fresh subprocess:
the process's peak RSS (VmHWM) and that peak minus the RSS of the built model before the
step (activations kept for backward, gradients, optimizer state, allocator slack), each
also with the tower's activation checkpointing (``<variant>+cp``, CLIPViT ``with_cp``).
``--memory-only`` prints just that table.
"""
import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Callable, Dict, List

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout: runs without install

import torch  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter('ignore')
    import mmseg_ht  # noqa: E402,F401 isort:skip  (mmcv.ops stand-in, before mmseg)
    from mmengine.config import Config  # noqa: E402
    from mmengine.logging import MMLogger  # noqa: E402
    from mmengine.registry import init_default_scope  # noqa: E402
    from mmengine.structures import PixelData  # noqa: E402
    from mmseg.registry import MODELS  # noqa: E402
    from mmseg.structures import SegDataSample  # noqa: E402

CONFIGS = {
    'frozen': 'configs/ht/clip-frozen_busi.py',
    'ht': 'configs/ht/clip-ht_busi.py',
    'mona': 'configs/ht/clip-mona_busi.py',
    'lora': 'configs/ht/clip-lora_busi.py',
}
SIZE = 224


def build_segmentor(variant: str,
                    compile_tower: bool = False,
                    with_cp: bool = False) -> torch.nn.Module:
    """The segmentor of a method's config, ViT-B/16 randomly initialised, quietly."""
    MMLogger.get_instance('mmengine', log_level='ERROR')
    cfg = Config.fromfile(str(REPO_ROOT / CONFIGS[variant]))
    cfg.model.backbone.with_cp = with_cp
    init_default_scope('mmseg')
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        model = MODELS.build(cfg.model)
    if compile_tower:
        blocks = model.backbone.family.blocks(model.backbone.tower)
        for i in range(len(blocks)):
            blocks[i] = torch.compile(blocks[i], dynamic=False)
        for key in list(model.backbone.adapters.keys()):
            model.backbone.adapters[key] = torch.compile(
                model.backbone.adapters[key], dynamic=False)
    return model


def make_batch(batch: int, seed: int = 0):
    """Random 0–255 RGB inputs and random binary label maps, as the preprocessor hands them."""
    gen = torch.Generator().manual_seed(seed)
    images = torch.rand(batch, 3, SIZE, SIZE, generator=gen) * 255
    samples = []
    for _ in range(batch):
        sample = SegDataSample(
            metainfo=dict(img_shape=(SIZE, SIZE), ori_shape=(SIZE, SIZE), pad_shape=(SIZE, SIZE)))
        sample.gt_sem_seg = PixelData(data=(torch.rand(1, SIZE, SIZE, generator=gen) > 0.7).long())
        samples.append(sample)
    return images, samples


def frozen_forward_fn(model: torch.nn.Module, images: torch.Tensor) -> Callable[[], None]:
    """One forward pass of the bare tower (eval, no_grad, all blocks) — the reference unit."""
    tower = model.backbone.tower
    family = model.backbone.family
    normalised = (images - model.backbone.pixel_mean) / model.backbone.pixel_std

    def run() -> None:
        tower.eval()
        with torch.no_grad():
            tokens = family.embed(tower, normalised)
            for block in family.blocks(tower):
                tokens = block(tokens)

    return run


def train_step_fn(model: torch.nn.Module,
                  images: torch.Tensor,
                  samples: List,
                  amp: str = None) -> Callable[[], None]:
    """zero_grad + loss + backward + AdamW step (OptimWrapper.update_params)."""
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.01)
    dtype = getattr(torch, amp) if amp else None

    def run() -> None:
        optimizer.zero_grad(set_to_none=True)
        ctx = (torch.autocast('cpu', dtype=dtype) if dtype else contextlib.nullcontext())
        with ctx:
            losses = model.loss(images, samples)
        loss = sum(v for k, v in losses.items() if 'loss' in k)
        loss.backward()
        optimizer.step()

    return run


def timed(fn: Callable[[], None]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def trainable(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def blocks_and_adapters_run(model: torch.nn.Module) -> str:
    backbone = model.backbone
    run = [k for k in backbone.adapters.keys() if int(k) < backbone.num_blocks_run]
    total = len(backbone.family.blocks(backbone.tower))
    n_lora = sum(1 for m in backbone.modules() if type(m).__name__ == 'LoRAMultiheadAttention')
    adapters = f'{len(run)} output adapters' if backbone.adapters else (
        f'LoRA in {min(n_lora, backbone.num_blocks_run)} blocks' if n_lora else 'no adapters')
    return f'{backbone.num_blocks_run}/{total} blocks, {adapters}'


def memory_child(variant: str, batch: int, amp: str, threads: int) -> None:
    """Run in a subprocess: peak RSS of one training step of one variant (``+cp``: with_cp)."""
    torch.set_num_threads(threads)
    name, _, suffix = variant.partition('+')
    model = build_segmentor(name, with_cp=suffix == 'cp')
    images, samples = make_batch(batch)
    step = train_step_fn(model, images, samples, amp)
    rss_before = _current_rss_mb()  # weights (+ the batch), before any step
    start = time.perf_counter()
    step()
    seconds = time.perf_counter() - start
    print(
        json.dumps(
            dict(variant=variant, peak_mb=_peak_rss_mb(), base_mb=rss_before, step_s=seconds)))


def _peak_rss_mb() -> float:
    # VmHWM, not getrusage's ru_maxrss: the latter survives fork+exec and would report the
    # parent's peak.
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmHWM:'):
                return int(line.split()[1]) / 1024
    raise RuntimeError('no VmHWM in /proc/self/status')


def _current_rss_mb() -> float:
    with open('/proc/self/statm') as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf('SC_PAGE_SIZE') / 2**20


def memory_variants(variants: List[str]) -> List[str]:
    """Each variant, then ``+cp`` (activation checkpointing) for those with adapters."""
    return list(variants) + [f'{v}+cp' for v in variants if v != 'frozen']


def measure_memory(variants: List[str], batch: int, amp: str, threads: int) -> Dict[str, dict]:
    results = {}
    for variant in memory_variants(variants):
        cmd = [
            sys.executable, __file__, '--memory-child', variant, '--batch',
            str(batch), '--threads',
            str(threads)
        ] + (['--amp', amp] if amp else [])
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        results[variant] = json.loads(out.strip().splitlines()[-1])
    return results


def print_memory_table(variants: List[str], batches: List[int], amp: str, threads: int) -> None:
    """Peak RSS and peak − built-model RSS of one step, per variant and batch size."""
    memory = {b: measure_memory(variants, b, amp, threads) for b in batches}
    print(f'# {SIZE}x{SIZE}, amp={amp or "off"}, {threads} threads, one step in a fresh '
          'process per cell; +cp = CLIPViT(with_cp=True)')
    cols = ''.join(f' batch {b}: peak RSS / peak − model (MB) | step (s) |' for b in batches)
    print('| variant |' + cols)
    print('|---|' + '---|---|' * len(batches))
    for name in memory_variants(variants):
        row = f'| {name} |'
        for b in batches:
            m = memory[b][name]
            row += f' {m["peak_mb"]:.0f} / {m["peak_mb"] - m["base_mb"]:.0f} | {m["step_s"]:.1f} |'
        print(row)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--rounds', type=int, default=7)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--variants', nargs='+', default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument('--amp', choices=['bfloat16', 'float16'], default=None)
    parser.add_argument('--compile', action='store_true', help='add torch.compile variants')
    parser.add_argument('--memory', action='store_true', help='also measure peak RSS per variant')
    parser.add_argument('--memory-batches', type=int, nargs='+', default=[8, 32])
    parser.add_argument('--memory-only', action='store_true', help='only the memory table')
    parser.add_argument('--memory-child', default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child, args.batch, args.amp, args.threads)
        return

    if args.memory_only:
        print_memory_table(args.variants, args.memory_batches, args.amp, args.threads)
        return
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    images, samples = make_batch(args.batch)
    fns: Dict[str, Callable[[], None]] = {}
    info: Dict[str, tuple] = {}
    for variant in args.variants:
        model = build_segmentor(variant)
        if 'frozen fwd' not in fns:
            fns['frozen fwd'] = frozen_forward_fn(model, images)
        fns[variant] = train_step_fn(model, images, samples, args.amp)
        info[variant] = (trainable(model), blocks_and_adapters_run(model))
        if args.compile:
            cmodel = build_segmentor(variant, compile_tower=True)
            fns[variant + '+compile'] = train_step_fn(cmodel, images, samples, args.amp)
            info[variant + '+compile'] = info[variant]

    for _ in range(args.warmup):
        for fn in fns.values():
            fn()
    times: Dict[str, List[float]] = {name: [] for name in fns}
    for _ in range(args.rounds):
        for name, fn in fns.items():
            times[name].append(timed(fn))
    med = {name: statistics.median(t) for name, t in times.items()}

    unit = med['frozen fwd']
    mona = med.get('mona')
    print(f'# batch {args.batch}, {SIZE}x{SIZE}, {args.threads} threads, median of {args.rounds} '
          f'alternating rounds, amp={args.amp or "off"}, torch {torch.__version__}')
    print(f'# one frozen forward (12 blocks, eval, no_grad): {unit * 1000:.0f} ms')
    header = ('| variant | blocks run | trainable params | step (ms) | step ÷ frozen fwd '
              '| ÷ Mona step |')
    print(header)
    print('|' + '---|' * (header.count('|') - 1))
    for name, t in med.items():
        if name == 'frozen fwd':
            continue
        params, blocks = info[name]
        row = (f'| {name} | {blocks} | {params / 1e6:.2f} M | {t * 1000:.0f} | {t / unit:.2f} | '
               f'{t / mona:.2f} |' if mona else f'| {name} | {blocks} | {params / 1e6:.2f} M | '
               f'{t * 1000:.0f} | {t / unit:.2f} | – |')
        print(row)
    if args.memory:
        print()
        print_memory_table(args.variants, args.memory_batches, args.amp, args.threads)


if __name__ == '__main__':
    main()
