"""Test-time adaptation: adapt a trained model to a target data set, then test before vs after.

    python tools/tta.py CONFIG CHECKPOINT TARGET_DATA --out NEW_CKPT
        (--source-data SOURCE_DATA | --source-stats FILE | --align-weight 0)
        [--steps 20] [--lr 3e-4] [--batch-size 8] [--adapt-split test] [--align-weight 1]
        [--flip-weight 1] [--entropy-weight 0] [--band 3] [--no-norms] [--no-adapters]
        [--work-dir DIR] [--cfg-options key=value ...]

CONFIG/CHECKPOINT are a segmentation or classification config and its trained
checkpoint; TARGET_DATA is a converted data set of another site or scanner
(e.g. from tools/make_shifted_dataset.py). Only adapter and normalisation
parameters adapt, on the unlabelled images of --adapt-split (labels are not
read for adaptation; the test split's labels score before and after).
The objective: the per-channel mean/variance of the backbone's feature maps on
the target batches are pulled to those of the source images (SOURCE_DATA's
train split, images only; written to WORK_DIR/source_statistics.safetensors,
reusable with --source-stats), plus flip consistency and, if weighted, entropy.
Adaptation stops and the source weights are restored when a class share falls
below 1/band of the lower of the unadapted model's on the target and the source
model's on the source images, or the feature gap grows band-fold (the safeguard).
NEW_CKPT is a full checkpoint for tools/test.py; WORK_DIR/tta_results.json
holds both metric sets and the adaptation report. Settings come from the
config's ``tta`` dict (configs/tta/*.py), overridden by the flags.
"""
import argparse
import copy
import json
import os
import os.path as osp
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout: runs without install

import mmseg_ht  # noqa: E402,F401 isort:skip  (mmcv.ops stand-in + registrations, before mmseg)
import torch  # noqa: E402
from mmengine.config import DictAction  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from mmseg_ht.engine import check_checkpoint_fits, load_config  # noqa: E402
from mmseg_ht.engine.experiment_record import experiment_labels  # noqa: E402
from mmseg_ht.engine.testing_config import without_training  # noqa: E402
from mmseg_ht.engine.trust import check_checkpoint_file  # noqa: E402
from mmseg_ht.tta import SourceStatistics, TestTimeAdapter, TTASettingsError  # noqa: E402
from mmseg_ht.utils import cli_main  # noqa: E402

MASK_LOADERS = ('LoadBinaryMask', 'LoadAnnotations')
# Measured on the shifted phantom (docs/en/beyond_paper.md): feature alignment + flip
# consistency lift Dice under gain, speckle and attenuation shifts; entropy shrinks the
# rare foreground, so it is off unless weighted.
DEFAULTS = dict(
    steps=20,
    lr=3e-4,
    batch_size=8,
    adapt_split='test',
    align_weight=1.0,
    flip_weight=1.0,
    entropy_weight=0.0,
    band=3.0)
STATISTICS_FILE = 'source_statistics.safetensors'


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test-time adaptation, then test')
    parser.add_argument('config')
    parser.add_argument('checkpoint', help='trained checkpoint (source domain)')
    parser.add_argument('target_data', help='converted target data set (DATA_ROOT layout)')
    parser.add_argument('--out', required=True, help='where the adapted checkpoint goes')
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        '--source-data',
        help='the source model\'s converted training set: feature statistics are '
        'measured on its train images (labels are not read)')
    source.add_argument('--source-stats', help='a source_statistics.safetensors of an earlier run')
    parser.add_argument('--steps', type=int, help='default: the config\'s tta.steps, else 20')
    parser.add_argument('--lr', type=float, help='AdamW learning rate (default 3e-4)')
    parser.add_argument('--batch-size', type=int, help='target images per step (default 8)')
    parser.add_argument(
        '--adapt-split',
        choices=('train', 'val', 'test'),
        help='target images to adapt on (unlabelled use; default: the test '
        'images themselves, transductive)')
    parser.add_argument(
        '--align-weight',
        type=float,
        help='feature-statistics alignment weight (default 1; 0: source-free)')
    parser.add_argument('--flip-weight', type=float, help='flip-consistency weight (default 1)')
    parser.add_argument(
        '--entropy-weight',
        type=float,
        help='prediction-entropy weight '
        '(default 0: it shrinks a rare foreground class)')
    parser.add_argument(
        '--band',
        type=float,
        help='safeguard: no class share may fall below ref/band, the feature '
        'gap may not grow band-fold (default 3)')
    parser.add_argument('--no-norms', action='store_true', help='do not adapt normalisation layers')
    parser.add_argument('--no-adapters', action='store_true', help='do not adapt the adapters')
    parser.add_argument('--work-dir', help='where logs and tta_results.json go')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help='override settings in the config')
    return parser.parse_args()


def require_converted(root: str) -> None:
    """An error naming ``root`` unless it is a converted data set (has img_dir/)."""
    if not osp.isdir(osp.join(root, 'img_dir')):
        raise FileNotFoundError(f'{root}: not a converted data set (no img_dir/); make one '
                                'with tools/dataset_converters/* or tools/make_shifted_dataset.py')


def point_at_target(cfg, target: str) -> None:
    """Test on TARGET_DATA (every data loader's data_root)."""
    require_converted(target)
    cfg.test_dataloader.dataset.data_root = target


def adaptation_loader_cfg(cfg, split: str, batch_size: int, data_root: str = None) -> dict:
    """Images of ``split`` (of ``data_root``, default: the test data) through the test
    pipeline, without loading labels."""
    loader = copy.deepcopy(cfg.test_dataloader)
    dataset = loader.dataset
    if data_root is not None:
        dataset.data_root = data_root
    dataset.pipeline = [t for t in dataset.pipeline if t['type'] not in MASK_LOADERS]
    dataset.data_prefix = {
        key: value.rsplit('/', 1)[0] + f'/{split}'
        for key, value in dataset.data_prefix.items()
    }
    loader.sampler = dict(type='DefaultSampler', shuffle=False)
    loader.update(batch_size=batch_size, num_workers=0, persistent_workers=False)
    return loader


def tta_settings(cfg, args: argparse.Namespace) -> dict:
    """Defaults < the config's ``tta`` dict (configs/tta/) < command-line flags."""
    settings = dict(DEFAULTS)
    unknown = set(cfg.get('tta', {})) - set(DEFAULTS)
    if unknown:
        raise TTASettingsError(f'unknown tta settings {sorted(unknown)} in the config; known: '
                               f'{sorted(DEFAULTS)}')
    settings.update(cfg.get('tta', {}))
    settings.update({k: getattr(args, k) for k in DEFAULTS if getattr(args, k) is not None})
    return settings


def check_source(args: argparse.Namespace, settings: dict) -> None:
    """Feature alignment needs a source: say so before anything runs."""
    if not settings['align_weight']:
        return
    if not (args.source_data or args.source_stats):
        raise TTASettingsError('feature alignment needs the source statistics: give '
                               '--source-data (the source model\'s converted training set; '
                               'images only) or --source-stats FILE, or choose the source-free '
                               'objective with --align-weight 0')
    if args.source_data:
        require_converted(args.source_data)
    elif not osp.isfile(args.source_stats):
        raise FileNotFoundError(f'--source-stats {args.source_stats}: no such file')


def source_statistics(runner, cfg, args: argparse.Namespace, settings: dict):
    """Load --source-stats, or measure on --source-data's train images and save them."""
    if not settings['align_weight']:
        return None
    if args.source_stats:
        return SourceStatistics.load(args.source_stats)
    loader = runner.build_dataloader(
        adaptation_loader_cfg(cfg, 'train', settings['batch_size'], args.source_data))
    stats = SourceStatistics.measure(runner.model, loader)
    stats.save(osp.join(runner.work_dir, STATISTICS_FILE))
    return stats


@cli_main
def main() -> int:
    args = parse_args()
    cfg = load_config(args.config, args.cfg_options, args.work_dir)
    settings = tta_settings(cfg, args)
    check_source(args, settings)
    labels = experiment_labels(cfg, args.config)
    cfg = without_training(cfg)
    point_at_target(cfg, args.target_data)
    check_checkpoint_file(args.checkpoint)
    cfg.load_from = args.checkpoint
    runner = Runner.from_cfg(cfg)
    check_checkpoint_fits(runner.model, args.checkpoint)
    before = {k: float(v) for k, v in runner.test().items()}
    loader = runner.build_dataloader(
        adaptation_loader_cfg(cfg, settings['adapt_split'], settings['batch_size']))
    stats = source_statistics(runner, cfg, args, settings)
    adapter = TestTimeAdapter(
        steps=settings['steps'],
        lr=settings['lr'],
        align_weight=settings['align_weight'],
        flip_weight=settings['flip_weight'],
        entropy_weight=settings['entropy_weight'],
        band=settings['band'],
        adapters=not args.no_adapters,
        norms=not args.no_norms)
    report = adapter.adapt(runner.model, loader, stats).as_dict()
    after = {k: float(v) for k, v in runner.test().items()}
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    meta = dict(
        tta=report,
        source_checkpoint=args.checkpoint,
        settings=settings,
        target_data=osp.abspath(args.target_data),
        config=args.config)
    torch.save(dict(meta=meta, state_dict=runner.model.state_dict()), args.out)
    record = dict(
        config=args.config,
        checkpoint=args.checkpoint,
        adapted_checkpoint=args.out,
        target_data=osp.abspath(args.target_data),
        experiment=labels,
        source_data=args.source_data and osp.abspath(args.source_data),
        source_stats=args.source_stats,
        settings=settings,
        before=before,
        after=after,
        tta=report)
    path = osp.join(runner.work_dir, 'tta_results.json')
    with open(path, 'w') as handle:
        json.dump(record, handle, indent=2)
    for key in before:
        print(f'{key:>16}: before {before[key]:8.3f}   after {after[key]:8.3f}')
    status = (f'stopped by the safeguard, source weights restored: {report["reason"]}'
              if report['stopped_by_guard'] else 'no collapse')
    gap = ('' if report['feature_gap_before'] is None else
           f'feature gap to the source {report["feature_gap_before"]:.3f} -> '
           f'{report["feature_gap_after"]:.3f}, ')
    print(f'{report["steps_done"]} of {settings["steps"]} steps on {report["num_parameters"]} '
          f'parameters, {gap}{status}; adapted checkpoint {args.out}, results {path}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
