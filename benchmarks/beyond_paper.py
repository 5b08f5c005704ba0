"""Beyond the paper on real BUSI: each method of issue #16 against its plain counterpart.

    python benchmarks/beyond_paper.py [--busi ../shared/data/Dataset_BUSI_with_GT]
        [--per-class 40] [--arch ViT-B-16-quickgelu] [--weights CLIP.pt] [--iters 50]
        [--shots 1 2 4 8 16] [--tta-steps 10] [--work-dir work_dirs/beyond_paper]

Runs the repo's own tools in subprocesses on a seeded BUSI subset (``--per-class``
benign and malignant images, converted with tools/dataset_converters/busi.py) and
prints Markdown tables:

1. retrieval: trained frozen-CLIP head vs head + kNN over the training split;
   zero-shot prompt ensemble vs zero-shot + Tip-Adapter cache;
2. CoOp: learned context vs the 10-prompt ensemble and the head on the same K shots;
3. TTA: Dice of the HT segmentor on a shifted BUSI test split before vs after tools/tta.py.

Without ``--weights`` the towers are randomly initialised: the tables then show that
each pipeline runs and how it moves the numbers of an uninformative backbone, not what
CLIP weights give. ``--arch mmseg_ht-tiny-vit16`` runs the same pipelines in minutes.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

CLS_KEYS = ('cls/accuracy', 'cls/f1', 'cls/auc')
SHIFT = ['--gain', '0.6', '--blur', '2', '--depth', '1.3', '--speckle', '0.4', '--attenuation', '6']


def parse_args() -> argparse.Namespace:
    shared = Path(os.environ.get('MMSEG_HT_SHARED_DATA', REPO.parent / 'shared' / 'data'))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--busi', default=str(shared / 'Dataset_BUSI_with_GT'))
    parser.add_argument('--per-class', type=int, default=40, help='images per class used')
    parser.add_argument('--arch', default='ViT-B-16-quickgelu')
    parser.add_argument('--weights', help='local CLIP weights file for both towers')
    parser.add_argument('--iters', type=int, default=50, help='training iterations per model')
    parser.add_argument('--shots', type=int, nargs='+', default=[1, 2, 4, 8, 16])
    parser.add_argument('--tta-steps', type=int, default=10)
    parser.add_argument('--parts', nargs='+', default=list(PARTS), choices=list(PARTS))
    parser.add_argument('--work-dir', default='work_dirs/beyond_paper')
    return parser.parse_args()


def run(*args: str, data_root: Path) -> None:
    """Run a repo tool; stop with its output tail on failure."""
    env = dict(os.environ, DATA_ROOT=str(data_root))
    result = subprocess.run([sys.executable, *args],
                            cwd=REPO,
                            env=env,
                            capture_output=True,
                            text=True)
    if result.returncode != 0:
        raise SystemExit(f'{" ".join(args)} failed:\n{result.stdout[-3000:]}\n'
                         f'{result.stderr[-3000:]}')


def subset_busi(src: Path, out: Path, per_class: int) -> Path:
    """Convert the first ``per_class`` benign and malignant BUSI images (with masks)."""
    converted = out / 'busi'
    if (converted / 'labels.csv').is_file():
        return converted
    if not (src / 'benign').is_dir():
        raise SystemExit(f'BUSI not found at {src} (give --busi or set MMSEG_HT_SHARED_DATA)')
    release = out / 'release'
    for label in ('benign', 'malignant'):
        (release / label).mkdir(parents=True, exist_ok=True)
        for number in range(1, per_class + 1):
            for path in (src / label).glob(f'{label} ({number})*.png'):
                shutil.copy(path, release / label / path.name)
    run('tools/dataset_converters/busi.py',
        str(release),
        str(converted),
        '--seed',
        '0',
        data_root=converted)
    return converted


class Bench:
    """Option lists for the chosen tower and the result readers."""

    def __init__(self, args: argparse.Namespace) -> None:
        from mmseg_ht.models.backbones.towers import resolve_model_config
        width = resolve_model_config(args.arch)['vision_cfg']['width']
        self.args = args
        self.work = Path(args.work_dir).resolve()
        weights = [f'model.backbone.pretrained={args.weights}'] if args.weights else []
        text = [f'model.text_encoder.arch={args.arch}'
                ] + ([f'model.text_encoder.pretrained={args.weights}'] if args.weights else [])
        self.loaders = [
            f'{loader}.{key}'
            for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
            for key in ('num_workers=0', 'persistent_workers=False')
        ]
        self.image = [f'model.backbone.arch={args.arch}', *weights, *self.loaders]
        self.text = [*self.image, *text]
        small = [] if width >= 512 else [
            f'in_channels=[{width},{width},{width}]', f'channels={width // 2}'
        ]
        self.cls_head = [f'model.head.{o}' for o in small
                         ] + ([f'model.head.hidden_channels={width // 2}'] if small else [])
        self.seg_head = [f'model.decode_head.{o}' for o in small]
        self.train = [
            f'train_cfg.max_iters={args.iters}', f'train_cfg.val_interval={args.iters}',
            f'default_hooks.checkpoint.interval={args.iters}', 'train_dataloader.batch_size=8'
        ]

    def result(self, name: str, file: str = 'test_results.json') -> Dict[str, float]:
        record = json.loads((self.work / name / file).read_text())
        return record.get('metrics', record)

    def train_and_test(self,
                       name: str,
                       config: str,
                       data: Path,
                       options: List[str],
                       test_config: Optional[str] = None) -> Path:
        run('tools/train.py',
            config,
            '--work-dir',
            str(self.work / name),
            '--cfg-options',
            *options,
            *self.train,
            data_root=data)
        checkpoint = self.work / name / f'iter_{self.args.iters}.pth'
        run('tools/test.py',
            test_config or config,
            str(checkpoint),
            '--work-dir',
            str(self.work / name),
            '--cfg-options',
            *options,
            data_root=data)
        return checkpoint


def row(name: str, metrics: Dict[str, float], keys=CLS_KEYS) -> str:
    return f'| {name} | ' + ' | '.join(f'{metrics[k]:.1f}' for k in keys) + ' |'


def retrieval(bench: Bench, data: Path) -> List[str]:
    options = [*bench.image, *bench.cls_head]
    checkpoint = bench.train_and_test('head', 'configs/cls/clip-frozen_busi.py', data, options)
    knn = 'configs/retrieval/clip-frozen-knn_busi.py'
    run('tools/build_reference_bank.py',
        knn,
        '--checkpoint',
        str(checkpoint),
        '--test',
        '--work-dir',
        str(bench.work / 'head_knn'),
        '--cfg-options',
        *options,
        data_root=data)
    run('tools/zero_shot.py',
        'configs/zero_shot/clip_busi.py',
        '--work-dir',
        str(bench.work / 'zero_shot'),
        '--cfg-options',
        *bench.text,
        data_root=data)
    run('tools/build_reference_bank.py',
        'configs/retrieval/clip-tip_busi.py',
        '--test',
        '--work-dir',
        str(bench.work / 'zero_shot_tip'),
        '--cfg-options',
        *bench.text,
        data_root=data)
    return [
        '| method | accuracy | F1 | AUC |', '|---|---|---|---|',
        row('frozen CLIP + head', bench.result('head')),
        row('  + kNN over the training split (k 16, weight 0.5)', bench.result('head_knn')),
        row('zero-shot, 10 prompts per class', bench.result('zero_shot', 'zero_shot_results.json')),
        row('  + Tip-Adapter cache (alpha 1, beta 5.5)', bench.result('zero_shot_tip'))
    ]


def coop(bench: Bench, data: Path) -> List[str]:
    lines = [
        '| K shots per class | CoOp (M=16) acc / F1 / AUC | frozen head acc / F1 / AUC |',
        '|---|---|---|'
    ]
    for shots in bench.args.shots:
        kshot = [f'train_dataloader.dataset.shots={shots}']
        bench.train_and_test(f'coop_{shots}', 'configs/coop/clip-coop_busi.py', data,
                             [*bench.text, *kshot])
        bench.train_and_test(f'kshot_head_{shots}', 'configs/coop/clip-frozen-head-kshot_busi.py',
                             data, [*bench.image, *bench.cls_head, *kshot])
        cells = [
            ' / '.join(f'{bench.result(n)[k]:.1f}' for k in CLS_KEYS)
            for n in (f'coop_{shots}', f'kshot_head_{shots}')
        ]
        lines.append(f'| {shots} | {cells[0]} | {cells[1]} |')
    zero = bench.result('zero_shot', 'zero_shot_results.json')
    lines.append('| 0 (10-prompt ensemble) | ' + ' / '.join(f'{zero[k]:.1f}'
                                                            for k in CLS_KEYS) + ' | – |')
    return lines


def tta(bench: Bench, data: Path) -> List[str]:
    shifted = bench.work / 'busi_shifted'
    if not shifted.is_dir():
        run('tools/make_shifted_dataset.py', str(data), str(shifted), *SHIFT, data_root=data)
    options = [*bench.image, *bench.seg_head]
    checkpoint = bench.train_and_test('seg', 'configs/tta/clip-ht_busi.py', data, options)
    run('tools/tta.py',
        'configs/tta/clip-ht_busi.py',
        str(checkpoint),
        str(shifted),
        '--out',
        str(bench.work / 'tta' / 'adapted.pth'),
        '--steps',
        str(bench.args.tta_steps),
        '--work-dir',
        str(bench.work / 'tta'),
        '--cfg-options',
        *options,
        data_root=shifted)
    result = bench.result('tta', 'tta_results.json')
    source = bench.result('seg')
    report = (json.loads((bench.work / 'tta' / 'tta_results.json').read_text()))['tta']
    stop = f'guard stopped: {report["reason"]}' if report['stopped_by_guard'] else 'no collapse'
    stop += (f'; entropy {report["entropy_before"]:.3f} -> {report["entropy_after"]:.3f}, '
             f'foreground share {report["shares_before"][1]:.3f} -> '
             f'{report["shares_after"][1]:.3f}')
    keys = ('Dice', 'IoU', 'HD95')
    return [
        '| HT segmentor | Dice | IoU | HD95 (px) |', '|---|---|---|---|',
        row('source test split', source, keys),
        row('shifted test split, before TTA', result['before'], keys),
        row(f'shifted, after TTA ({report["steps_done"]} steps, {stop})', result['after'], keys)
    ]


PARTS = dict(
    retrieval=('Retrieval', retrieval), coop=('CoOp', coop), tta=('Test-time adaptation', tta))


def main() -> None:
    args = parse_args()
    bench = Bench(args)
    bench.work.mkdir(parents=True, exist_ok=True)
    data = subset_busi(Path(args.busi), bench.work, args.per_class)
    weights = args.weights or 'none (randomly initialised towers)'
    print(f'# Beyond the paper on BUSI ({args.per_class} benign + {args.per_class} malignant, '
          f'arch {args.arch}, weights {weights}, {args.iters} training iterations)\n')
    for name in args.parts:
        title, part = PARTS[name]
        print(f'## {title}\n')
        print('\n'.join(part(bench, data)) + '\n', flush=True)


if __name__ == '__main__':
    main()
