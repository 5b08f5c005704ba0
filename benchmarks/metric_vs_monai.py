"""Compare mmseg_ht's HD95/ASD with MONAI's on real BUSI masks: agreement and speed.

Loads N lesion masks, resizes them to 224x224 (nearest), makes predictions by dilating,
eroding and shifting each mask (plus ~5% empty predictions), then times both libraries and
prints the largest absolute difference on the images where both masks are non-empty.

    python benchmarks/metric_vs_monai.py [--n 200] [--data <folder holding Dataset_BUSI_with_GT>]
"""
import argparse
import os
import sys
import time
import warnings
from pathlib import Path
from typing import Callable, List, Tuple

import cv2
import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout: runs without install

with warnings.catch_warnings():
    warnings.simplefilter('ignore',
                          UserWarning)  # mmcv-lite's note about MultiScaleDeformableAttention
    from mmseg_ht.evaluation.surface_distance import score_image  # noqa: E402

SIZE = 224


def parse_args() -> argparse.Namespace:
    """Command-line options."""
    default_data = os.environ.get('MMSEG_HT_SHARED_DATA', str(REPO_ROOT.parent / 'shared' / 'data'))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--n', type=int, default=200, help='number of masks (default 200)')
    parser.add_argument(
        '--data',
        default=default_data,
        help='folder holding Dataset_BUSI_with_GT (default: $MMSEG_HT_SHARED_DATA '
        'or <repo>/../shared/data)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--threads',
        type=int,
        default=1,
        help='torch and OpenCV threads (default 1: a like-for-like single-core comparison, '
        'and stable on a busy machine)')
    parser.add_argument(
        '--repeats',
        type=int,
        default=5,
        help='timed runs of each implementation; the fastest is reported (default 5)')
    return parser.parse_args()


def load_masks(data_root: Path, n: int, rng: np.random.Generator) -> List[np.ndarray]:
    """N random benign/malignant BUSI lesion masks, binarised and resized to 224x224 (nearest)."""
    busi = data_root / 'Dataset_BUSI_with_GT'
    paths = sorted(
        p for cls in ('benign', 'malignant') for p in (busi / cls).glob('* (*)_mask.png'))
    if not paths:
        sys.exit(f'no BUSI masks found under {busi} (use --data or MMSEG_HT_SHARED_DATA)')
    chosen = rng.choice(len(paths), size=min(n, len(paths)), replace=False)
    masks = []
    for index in chosen:
        mask = cv2.imread(str(paths[index]), cv2.IMREAD_GRAYSCALE) > 127
        masks.append(
            cv2.resize(mask.astype(np.uint8), (SIZE, SIZE), interpolation=cv2.INTER_NEAREST) > 0)
    return masks


def shift(mask: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """Mask translated by (dy, dx) pixels, filling with background (no wrap-around)."""
    out = np.zeros_like(mask)
    h, w = mask.shape
    out[max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
        mask[max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
    return out


def fake_prediction(gt: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A plausible imperfect prediction: dilated or eroded, then shifted; empty 5% of the time."""
    if rng.random() < 0.05:
        return np.zeros_like(gt)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
    iterations = int(rng.integers(1, 6))
    op = cv2.dilate if rng.random() < 0.6 else cv2.erode
    pred = op(gt.astype(np.uint8), kernel, iterations=iterations) > 0
    if not pred.any():
        pred = gt.copy()
    return shift(pred, int(rng.integers(-8, 9)), int(rng.integers(-8, 9)))


class Timer:
    """Wall-clock and CPU (process) seconds of a ``with`` block; CPU time shrugs off a busy
    machine."""

    def __enter__(self) -> 'Timer':
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


Run = Tuple[np.ndarray, np.ndarray, Timer]


def ours(preds: List[np.ndarray], gts: List[np.ndarray]) -> Run:
    """HD95 and ASD per image with mmseg_ht ('exclude' policy gives NaN where MONAI gives
    NaN/inf)."""
    with Timer() as timer:
        scores = [score_image(p, g, empty_policy='exclude') for p, g in zip(preds, gts)]
    return np.array([s.hd95 for s in scores]), np.array([s.asd for s in scores]), timer


def monai_scores(preds: List[np.ndarray], gts: List[np.ndarray]) -> Run:
    """HD95 and ASD per image with MONAI, from one-hot (B, 2, H, W) tensors, background channel
    dropped."""
    import torch
    from monai.metrics import compute_average_surface_distance, compute_hausdorff_distance

    def one_hot(masks: List[np.ndarray]) -> torch.Tensor:
        fg = torch.from_numpy(np.stack(masks)).float()
        return torch.stack([1 - fg, fg], dim=1)

    y_pred, y = one_hot(preds), one_hot(gts)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # MONAI warns for every empty mask
        with Timer() as timer:
            hd95 = compute_hausdorff_distance(y_pred, y, include_background=False, percentile=95)
            asd = compute_average_surface_distance(
                y_pred, y, include_background=False, symmetric=False)
    return hd95[:, 0].double().numpy(), asd[:, 0].double().numpy(), timer


def best_of(repeats: int, scorer: Callable[..., Run], preds: List[np.ndarray],
            gts: List[np.ndarray]) -> Tuple[np.ndarray, np.ndarray, float, float]:
    """Run ``scorer`` ``repeats`` times: its results, the fastest wall time and the fastest CPU
    time."""
    runs = [scorer(preds, gts) for _ in range(max(repeats, 1))]
    return runs[0][0], runs[0][1], min(r[2].wall for r in runs), min(r[2].cpu for r in runs)


def report_speed(name: str, n: int, wall: float, cpu: float) -> None:
    """One line: images per second by wall clock and by CPU time."""
    print(f'{name:9}: {n / wall:8.1f} images/s wall clock, '
          f'{n / cpu:8.1f} images/s CPU time (HD95 + ASD)')


def main() -> None:
    """Run both implementations and print throughput, speed ratio and agreement."""
    args = parse_args()
    try:
        import monai
    except ImportError:
        sys.exit(
            'monai is not installed (benchmark-only): pip install -r requirements/benchmarks.txt')
    import torch
    torch.set_num_threads(args.threads)
    cv2.setNumThreads(args.threads)
    rng = np.random.default_rng(args.seed)
    gts = load_masks(Path(args.data), args.n, rng)
    preds = [fake_prediction(g, rng) for g in gts]
    n = len(gts)
    our_hd, our_asd, our_wall, our_cpu = best_of(args.repeats, ours, preds, gts)
    mon_hd, mon_asd, mon_wall, mon_cpu = best_of(args.repeats, monai_scores, preds, gts)
    both = np.array([p.any() and g.any() for p, g in zip(preds, gts)])
    print(f'{n} BUSI masks at {SIZE}x{SIZE}, {n - both.sum()} with an empty prediction; '
          f'monai {monai.__version__}; {args.threads} thread(s), best of {args.repeats} runs each')
    report_speed('mmseg_ht', n, our_wall, our_cpu)
    report_speed('MONAI', n, mon_wall, mon_cpu)
    print(f'speed ratio: {mon_wall / our_wall:.1f}x wall clock, {mon_cpu / our_cpu:.1f}x CPU time')
    print(f'max |HD95 diff| on {both.sum()} non-empty pairs: '
          f'{np.abs(our_hd - mon_hd)[both].max():.3e} px')
    print(f'max |ASD diff|  on {both.sum()} non-empty pairs: '
          f'{np.abs(our_asd - mon_asd)[both].max():.3e} px')
    if not both.all():
        print(f'MONAI on empty predictions: HD95 {np.unique(mon_hd[~both])}, '
              f'ASD {np.unique(mon_asd[~both])}'
              ' (mmseg_ht: left out here; the image diagonal under the default penalize policy)')


if __name__ == '__main__':
    main()
