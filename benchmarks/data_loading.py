"""Data loading vs the model step: is the training pipeline ever the bottleneck?

Builds the training dataloader of a config exactly as mmengine's Runner does (BUSI in
the mmseg layout: Load → Resize 224 → RandomFlip → Pack) and measures, on real images:

* the loader's CPU cost per image in the main process (``num_workers=0``: decode,
  resize, flip, pack, collate) plus the data preprocessor (BGR→RGB, stacking), and
* one training step of the config's model (batch ``--batch``, random init) per image,

in alternating rounds (medians). The ratio is the share of the CPU a loader needs to
keep up with the model; with ``num_workers=N`` worker processes the loader runs beside
the step, so it is no bottleneck as long as ratio < N (and the box has the cores).
Also reports wall images/s of the config's own multi-worker loader, read alone.

    DATA_ROOT=/tmp/busi_mmseg python benchmarks/data_loading.py [configs/ht/clip-ht_busi.py]
        [--batch 8] [--rounds 5] [--threads 2]
"""
import argparse
import copy
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

# This folder, for the sibling module train_step (which puts the checkout on sys.path).
sys.path.insert(0, str(Path(__file__).resolve().parent))
REPO_ROOT = Path(__file__).resolve().parents[1]

import torch  # noqa: E402
from train_step import build_segmentor, timed, train_step_fn  # noqa: E402,F401

with warnings.catch_warnings():
    warnings.simplefilter('ignore')
    from mmengine.config import Config  # noqa: E402
    from mmengine.registry import init_default_scope  # noqa: E402
    from mmengine.runner import Runner  # noqa: E402


def build_loader(cfg: Config, batch: int, workers: int):
    loader_cfg = copy.deepcopy(cfg.train_dataloader)
    loader_cfg.batch_size = batch
    loader_cfg.num_workers = workers
    loader_cfg.persistent_workers = workers > 0
    return Runner.build_dataloader(loader_cfg, seed=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', nargs='?', default='configs/ht/clip-ht_busi.py')
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--threads', type=int, default=2)
    args = parser.parse_args()
    if 'DATA_ROOT' not in os.environ:
        sys.exit('set DATA_ROOT to a BUSI folder in the mmseg layout '
                 '(python tools/dataset_converters/busi.py SRC OUT)')
    torch.set_num_threads(args.threads)
    cfg = Config.fromfile(str(REPO_ROOT / args.config))
    init_default_scope('mmseg')
    variant = Path(args.config).stem.split('_')[0].replace('clip-', '')
    model = build_segmentor(variant)
    model.train()

    loader = iter(build_loader(cfg, args.batch, 0))
    first = next(loader)
    batch = model.data_preprocessor(first, training=True)
    step = train_step_fn(model, batch['inputs'], batch['data_samples'])

    def load_one() -> None:
        model.data_preprocessor(next(loader), training=True)

    load_one(), step()  # warm-up
    load_times, step_times = [], []
    for _ in range(args.rounds):
        load_times.append(timed(load_one))
        step_times.append(timed(step))
    load_per_image = statistics.median(load_times) / args.batch
    step_per_image = statistics.median(step_times) / args.batch

    workers = cfg.train_dataloader.get('num_workers', 2)
    parallel = build_loader(cfg, args.batch, workers)
    it = iter(parallel)
    next(it)  # worker start-up excluded
    n_batches = 2 * args.rounds
    start = time.perf_counter()
    for _ in range(n_batches):
        next(it)
    wall = (time.perf_counter() - start) / (n_batches * args.batch)

    print(f'# {args.config}, real BUSI images from {os.environ["DATA_ROOT"]}, batch {args.batch}, '
          f'{args.threads} torch threads, median of {args.rounds} alternating rounds')
    print('| stage | ms / image | images/s |')
    print('|---|---|---|')
    print(f'| loader + preprocessor, main process (num_workers=0) | {load_per_image * 1000:.1f} | '
          f'{1 / load_per_image:.0f} |')
    print(f'| loader alone, num_workers={workers} (wall) | {wall * 1000:.1f} | {1 / wall:.0f} |')
    print(f'| {variant} training step | {step_per_image * 1000:.1f} | {1 / step_per_image:.1f} |')
    print(f'# loader CPU time ÷ model step time = {load_per_image / step_per_image:.3f}')


if __name__ == '__main__':
    main()
