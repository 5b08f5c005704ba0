"""Beyond the paper: each method of issue #16 against its plain counterpart, CPU or one GPU.

    python benchmarks/beyond_paper.py [--busi ../shared/data/Dataset_BUSI_with_GT]
        [--busi-converted data/beyond_busi] [--per-class 40] [--prepare-only]
        [--arch ViT-B-16-quickgelu] [--weights CLIP.pt] [--device cpu|cuda] [--amp]
        [--iters 50] [--shots 1 2 4 8 16] [--seg-iters 300] [--seg-lr 1e-3]
        [--tta-steps 20] [--parts retrieval coop tta tta_busi] [--jobs 1] [--time-limit 0]
        [--reuse] [--work-dir work_dirs/beyond_paper] [--out work_dirs/beyond_paper]

Runs the repo's own tools in subprocesses and writes ``OUT/beyond_paper.json`` and
``OUT/beyond_paper.md`` (rewritten as each run finishes, so a killed run leaves what it had):

1. retrieval (BUSI): trained frozen-CLIP head vs head + kNN over the training split;
   zero-shot prompt ensemble vs zero-shot + Tip-Adapter cache;
2. CoOp (BUSI): learned context vs the 10-prompt ensemble and the head on the same K shots;
3. TTA (phantom): an HT segmentor first learns the built-in phantom (``--seg-iters``), then
   tools/tta.py adapts it to a shifted copy (another scanner's gain, blur, depth, speckle and
   attenuation): Dice before vs after with the default objective (feature alignment + flip
   consistency) and with entropy + flip, plus the unshifted test split as a control;
4. TTA (BUSI): the same chain with the converted BUSI subset as the source set (its segmentor
   trains on the subset's train split, the shifted copy is made from the whole subset).

BUSI: ``--busi-converted DIR`` is used as it is when it exists; otherwise the first
``--per-class`` benign and malignant images of the ``--busi`` release are converted into it
(``--prepare-only`` stops there: make the folder on one machine, carry it to another).
``--device cuda`` runs every tool on the GPU (with ``--jobs`` tool chains side by side and
``--time-limit`` as a hard stop); ``--amp`` trains with bf16 autocast. Without ``--weights``
the towers are randomly initialised: the BUSI tables then show that each pipeline runs and
how it moves the numbers of an uninformative backbone, not what CLIP weights give; a TTA
table means something when its segmentor has learnt its source set first (its source Dice
is printed, and flagged below 30 %). ``--arch mmseg_ht-tiny-vit16`` runs it in minutes.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Dict, List, Optional

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout: runs without install

CLS_KEYS = ('cls/accuracy', 'cls/f1', 'cls/auc')
SEG_KEYS = ('Dice', 'IoU', 'HD95')
SHIFT = ['--gain', '0.6', '--blur', '2', '--depth', '1.3', '--speckle', '0.4', '--attenuation', '6']
PHANTOM = [
    '--num-train', '96', '--num-val', '16', '--num-test', '32', '--size', '224', '--seed', '0'
]
SEG_CONFIG = 'configs/tta/clip-ht_busi.py'  # ViT-B/16 HT at 224 px; pointed at the phantom
LEARNT_FLOOR = 30.0  # source Dice (%) under which the TTA rows are flagged as meaningless
ENTROPY_FLIP = [
    '--align-weight', '0', '--entropy-weight', '1', '--flip-weight', '1', '--lr', '1e-4', '--steps',
    '10'
]  # the objective issue #16 named (its old defaults)
TTA_PREFIX = dict(phantom='', busi='busi_')  # run names (and their work dirs) per source set
PARTS = ('retrieval', 'coop', 'tta', 'tta_busi')


def parse_args() -> argparse.Namespace:
    shared = Path(os.environ.get('MMSEG_HT_SHARED_DATA', REPO.parent / 'shared' / 'data'))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--busi',
        default=str(shared / 'Dataset_BUSI_with_GT'),
        help='the original BUSI release (only to make --busi-converted)')
    parser.add_argument(
        '--busi-converted',
        help='converted BUSI subset (default WORK/busi); '
        'made from --busi when missing')
    parser.add_argument('--per-class', type=int, default=40, help='images per class converted')
    parser.add_argument(
        '--prepare-only',
        action='store_true',
        help='only make --busi-converted, print its size, and stop')
    parser.add_argument('--arch', default='ViT-B-16-quickgelu')
    parser.add_argument('--weights', help='local CLIP weights file for both towers')
    parser.add_argument('--device', choices=('cpu', 'cuda'), default='cpu')
    parser.add_argument('--amp', action='store_true', help='bf16 autocast in training (cuda)')
    parser.add_argument('--iters', type=int, default=50, help='training iterations, BUSI models')
    parser.add_argument('--shots', type=int, nargs='+', default=[1, 2, 4, 8, 16])
    parser.add_argument(
        '--seg-iters',
        type=int,
        default=300,
        help='training iterations of the TTA source segmentor (phantom)')
    parser.add_argument(
        '--seg-lr',
        type=float,
        default=1e-3,
        help='its AdamW learning rate (a random tower needs more than 1e-4)')
    parser.add_argument('--seg-batch', type=int, default=8)
    parser.add_argument('--tta-steps', type=int, default=20)
    parser.add_argument(
        '--parts',
        nargs='+',
        default=list(PARTS),
        choices=PARTS,
        help='tta: the phantom; tta_busi: the converted BUSI subset')
    parser.add_argument('--jobs', type=int, default=1, help='tool chains run side by side')
    parser.add_argument(
        '--time-limit',
        type=float,
        default=0,
        help='seconds; no tool starts after it and running ones are stopped '
        '(0: none)')
    parser.add_argument(
        '--reuse',
        action='store_true',
        help='take the results of runs that finished in an earlier call with the same work '
        'dir instead of running them again (fills in what a --time-limit stopped)')
    parser.add_argument('--work-dir', default='work_dirs/beyond_paper')
    parser.add_argument('--out', help='where beyond_paper.json/.md go (default: the work dir)')
    return parser.parse_args()


class ToolFailed(RuntimeError):
    """A tool exited non-zero, or the time limit stopped it."""


class ToolRunner:
    """Runs repo tools in subprocesses: device, threads, deadline and one log per call."""

    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        self.logs = work / 'logs'
        self.logs.mkdir(parents=True, exist_ok=True)
        self.deadline = time.time() + args.time_limit if args.time_limit > 0 else None
        threads = max(1, (os.cpu_count() or 1) // max(1, args.jobs))
        self.env = dict(os.environ, OMP_NUM_THREADS=str(threads), PYTHONUNBUFFERED='1')
        if args.device == 'cpu':
            self.env['CUDA_VISIBLE_DEVICES'] = ''

    def __call__(self, name: str, *args: str, data_root: Path) -> None:
        timeout = None
        if self.deadline is not None:
            timeout = self.deadline - time.time()
            if timeout < 5:
                raise ToolFailed(f'{name}: not started, the --time-limit is reached')
        log = self.logs / f'{name}.log'
        with log.open('w') as handle:
            try:
                result = subprocess.run([sys.executable, *args],
                                        cwd=REPO,
                                        stdout=handle,
                                        stderr=subprocess.STDOUT,
                                        timeout=timeout,
                                        env=dict(self.env, DATA_ROOT=str(data_root)))
            except subprocess.TimeoutExpired:
                raise ToolFailed(f'{name}: stopped at the --time-limit (log {log})') from None
        if result.returncode != 0:
            tail = log.read_text()[-2500:]
            raise ToolFailed(f'{" ".join(args[:2])} failed ({result.returncode}), log {log}:\n'
                             f'{tail}')


def subset_busi(src: Path, converted: Path, per_class: int) -> Path:
    """Convert the first ``per_class`` benign and malignant BUSI images (with masks)."""
    if (converted / 'labels.csv').is_file():
        return converted
    if not (src / 'benign').is_dir():
        raise SystemExit(f'no converted BUSI at {converted} and no BUSI release at {src}: give '
                         '--busi-converted (made earlier with --prepare-only) or --busi')
    release = converted.parent / f'{converted.name}_release'
    for label in ('benign', 'malignant'):
        (release / label).mkdir(parents=True, exist_ok=True)
        for number in range(1, per_class + 1):
            for path in (src / label).glob(f'{label} ({number})*.png'):
                shutil.copy(path, release / label / path.name)
    subprocess.run([
        sys.executable, 'tools/dataset_converters/busi.py',
        str(release),
        str(converted), '--seed', '0'
    ],
                   cwd=REPO,
                   check=True,
                   stdout=subprocess.DEVNULL,
                   env=dict(os.environ, CUDA_VISIBLE_DEVICES=''))
    shutil.rmtree(release)
    return converted


def folder_size(path: Path) -> int:
    """Bytes of the files under ``path``."""
    return sum(p.stat().st_size for p in path.rglob('*') if p.is_file())


class Bench:
    """Option lists for the chosen tower, the tool chains of each part, and the tables."""

    def __init__(self, args: argparse.Namespace, work: Path, run: ToolRunner) -> None:
        from mmseg_ht.models.backbones.towers import resolve_model_config
        width = resolve_model_config(args.arch)['vision_cfg']['width']
        self.args, self.work, self.run = args, work, run
        self.metrics: Dict[str, Dict] = {}
        self.lock = threading.Lock()  # chains run in threads; the report reads the metrics
        weights = [f'model.backbone.pretrained={args.weights}'] if args.weights else []
        text = [f'model.text_encoder.arch={args.arch}'
                ] + ([f'model.text_encoder.pretrained={args.weights}'] if args.weights else [])
        workers = 0 if args.device == 'cpu' else 2
        self.loaders = [
            f'{loader}.{key}'
            for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
            for key in (f'num_workers={workers}', 'persistent_workers=False')
        ]
        self.image = [f'model.backbone.arch={args.arch}', *weights, *self.loaders]
        self.text = [*self.image, *text]
        small = [] if width >= 512 else [
            f'in_channels=[{width},{width},{width}]', f'channels={width // 2}'
        ]
        self.cls_head = [f'model.head.{o}' for o in small
                         ] + ([f'model.head.hidden_channels={width // 2}'] if small else [])
        self.seg_head = [f'model.decode_head.{o}' for o in small]
        self.amp = ['--amp', '--amp-dtype', 'bfloat16'] if args.amp else []

    # ------------------------------------------------------------------ tool calls
    def record(self, name: str, file: str = 'test_results.json') -> Dict:
        """Read a tool's JSON record and keep it under ``name``."""
        record = json.loads((self.work / name / file).read_text())
        with self.lock:
            self.metrics[name] = record
        return record

    def reused(self, name: str, file: str = 'test_results.json') -> bool:
        """With --reuse: record ``name`` from its finished run in the work dir (True), if any."""
        if not (self.args.reuse and (self.work / name / file).is_file()):
            return False
        self.record(name, file)
        print(f'[{name}] reused {self.work / name / file}', flush=True)
        return True

    def run_recorded(self, name: str, file: str, *args: str, data_root: Path) -> None:
        """Run a tool that writes WORK/name/file and keep its record (with --reuse, an earlier
        run's record when there is one)."""
        if not self.reused(name, file):
            self.run(name, *args, data_root=data_root)
            self.record(name, file)

    def train_and_test(self,
                       name: str,
                       config: str,
                       data: Path,
                       options: List[str],
                       iters: int,
                       batch: int = 8) -> Path:
        schedule = [
            f'train_cfg.max_iters={iters}', f'train_cfg.val_interval={iters}',
            f'default_hooks.checkpoint.interval={iters}', f'train_dataloader.batch_size={batch}'
        ]
        checkpoint = self.work / name / f'iter_{iters}.pth'
        if checkpoint.is_file() and self.reused(name):
            return checkpoint
        self.run(
            f'{name}_train',
            'tools/train.py',
            config,
            '--work-dir',
            str(self.work / name),
            *self.amp,
            '--cfg-options',
            *options,
            *schedule,
            data_root=data)
        self.run(
            f'{name}_test',
            'tools/test.py',
            config,
            str(checkpoint),
            '--work-dir',
            str(self.work / name),
            '--cfg-options',
            *options,
            data_root=data)
        self.record(name)
        return checkpoint

    # ------------------------------------------------------------------ chains
    def chains(self, busi: Optional[Path]) -> Dict[str, Callable[[], None]]:
        """Independent sequences of tool calls (the longest first), by name."""
        chains = {}
        if 'tta' in self.args.parts:
            chains['tta'] = lambda: self.tta_chain('phantom', self.make_phantom())
        if 'tta_busi' in self.args.parts:
            chains['tta_busi'] = lambda: self.tta_chain('busi', busi)
        if {'retrieval', 'coop'} & set(self.args.parts):
            chains['zero_shot'] = lambda: self.zero_shot_chain(busi)
        if 'retrieval' in self.args.parts:
            chains['head_knn'] = lambda: self.head_knn_chain(busi)
        if 'coop' in self.args.parts:
            for shots in self.args.shots:
                kshot = [f'train_dataloader.dataset.shots={shots}']
                chains[f'coop_{shots}'] = (lambda k=kshot, s=shots: self.train_and_test(
                    f'coop_{s}', 'configs/coop/clip-coop_busi.py', busi, [*self.text, *k], self.args
                    .iters))
                chains[f'kshot_head_{shots}'] = (lambda k=kshot, s=shots: self.train_and_test(
                    f'kshot_head_{s}', 'configs/coop/clip-frozen-head-kshot_busi.py', busi,
                    [*self.image, *self.cls_head, *k], self.args.iters))
        return chains

    def head_knn_chain(self, busi: Path) -> None:
        options = [*self.image, *self.cls_head]
        checkpoint = self.train_and_test('head', 'configs/cls/clip-frozen_busi.py', busi, options,
                                         self.args.iters)
        self.run_recorded(
            'head_knn',
            'test_results.json',
            'tools/build_reference_bank.py',
            'configs/retrieval/clip-frozen-knn_busi.py',
            '--checkpoint',
            str(checkpoint),
            '--test',
            '--work-dir',
            str(self.work / 'head_knn'),
            '--cfg-options',
            *options,
            data_root=busi)

    def zero_shot_chain(self, busi: Path) -> None:
        self.run_recorded(
            'zero_shot',
            'zero_shot_results.json',
            'tools/zero_shot.py',
            'configs/zero_shot/clip_busi.py',
            '--work-dir',
            str(self.work / 'zero_shot'),
            '--cfg-options',
            *self.text,
            data_root=busi)
        if 'retrieval' in self.args.parts:
            self.run_recorded(
                'zero_shot_tip',
                'test_results.json',
                'tools/build_reference_bank.py',
                'configs/retrieval/clip-tip_busi.py',
                '--test',
                '--work-dir',
                str(self.work / 'zero_shot_tip'),
                '--cfg-options',
                *self.text,
                data_root=busi)

    def seg_options(self, dataset: str) -> List[str]:
        """Tower and head options of the TTA segmentor (the phantom swaps the data set type)."""
        phantom = [
            f'{loader}.dataset.type=PhantomUSDataset'
            for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
        ] if dataset == 'phantom' else []
        return [*self.image, *self.seg_head, *phantom]

    def make_phantom(self) -> Path:
        """The 224-px phantom (made once per work dir)."""
        phantom = self.work / 'phantom'
        if not (phantom / 'phantom_info.json').is_file():
            self.run(
                'phantom',
                'tools/make_phantom_dataset.py',
                str(phantom),
                *PHANTOM,
                data_root=phantom)
        return phantom

    def tta_chain(self, dataset: str, source: Path) -> None:
        """Source set -> source segmentor -> shifted copy -> tools/tta.py three ways; the run
        names carry TTA_PREFIX[dataset]."""
        prefix = TTA_PREFIX[dataset]
        shifted = self.work / f'{dataset}_shifted'
        if not (shifted / 'shift_info.json').is_file():
            shutil.rmtree(shifted, ignore_errors=True)
            self.run(
                f'{dataset}_shift',
                'tools/make_shifted_dataset.py',
                str(source),
                str(shifted),
                *SHIFT,
                data_root=source)
        options = self.seg_options(dataset)
        train = [f'optim_wrapper.optimizer.lr={self.args.seg_lr}']
        checkpoint = self.train_and_test(f'{prefix}seg', SEG_CONFIG, source, [*options, *train],
                                         self.args.seg_iters, self.args.seg_batch)
        default = ['--lr', '3e-4', '--steps', str(self.args.tta_steps)]  # tools/tta.py's
        runs = (('tta_shifted', shifted, default), ('tta_shifted_entropy', shifted, ENTROPY_FLIP),
                ('tta_source', source, default))
        for run, target, objective in runs:
            name = prefix + run
            self.run_recorded(
                name,
                'tta_results.json',
                'tools/tta.py',
                SEG_CONFIG,
                str(checkpoint),
                str(target),
                '--out',
                str(self.work / name / 'adapted.pth'),
                '--source-data',
                str(source),
                '--batch-size',
                '8',
                *objective,
                '--work-dir',
                str(self.work / name),
                '--cfg-options',
                *options,
                data_root=target)

    # ------------------------------------------------------------------ tables
    def tables(self) -> Dict[str, List[str]]:
        """Markdown lines per part, from whatever has finished (missing cells: 'n/a')."""
        tables = {}
        if 'retrieval' in self.args.parts:
            tables['Retrieval (BUSI)'] = [
                '| method | accuracy | F1 | AUC |', '|---|---|---|---|',
                self.row('frozen CLIP + head', 'head'),
                self.row('  + kNN over the training split (k 16, weight 0.5)', 'head_knn'),
                self.row('zero-shot, 10 prompts per class', 'zero_shot'),
                self.row('  + Tip-Adapter cache (alpha 1, beta 5.5)', 'zero_shot_tip')
            ]
        if 'coop' in self.args.parts:
            lines = [
                '| K shots per class | CoOp (M=16) acc / F1 / AUC | '
                'frozen head acc / F1 / AUC |', '|---|---|---|'
            ]
            for shots in self.args.shots:
                lines.append(f'| {shots} | {self.cells(f"coop_{shots}")} | '
                             f'{self.cells(f"kshot_head_{shots}")} |')
            lines.append(f'| 0 (10-prompt ensemble) | {self.cells("zero_shot")} | – |')
            tables['CoOp vs the head on K shots vs the prompt ensemble (BUSI)'] = lines
        if 'tta' in self.args.parts:
            tables['Test-time adaptation (phantom, HT segmentor)'] = self.tta_table('phantom')
        if 'tta_busi' in self.args.parts:
            tables['Test-time adaptation (BUSI, HT segmentor)'] = self.tta_table('busi')
        return tables

    def values(self, name: str, keys, which: Optional[str] = None) -> Optional[List[float]]:
        record = self.metrics.get(name)
        if record is None:
            return None
        record = record[which] if which else record.get('metrics', record)
        return [float(record[k]) for k in keys]

    def cells(self, name: str, keys=CLS_KEYS, which: Optional[str] = None) -> str:
        values = self.values(name, keys, which)
        return ' / '.join(f'{v:.1f}' for v in values) if values else 'n/a'

    def row(self, label: str, name: str, keys=CLS_KEYS, which: Optional[str] = None) -> str:
        values = self.values(name, keys, which)
        cells = [f'{v:.1f}' for v in values] if values else ['n/a'] * len(keys)
        return f'| {label} | ' + ' | '.join(cells) + ' |'

    def tta_note(self, name: str) -> str:
        record = self.metrics.get(name)
        if record is None:
            return ''
        report = record['tta']
        stop = f'guard: {report["reason"]}' if report['stopped_by_guard'] else 'no collapse'
        gap = ('' if report['feature_gap_before'] is None else
               f'; feature gap {report["feature_gap_before"]:.2f} -> '
               f'{report["feature_gap_after"]:.2f}')
        return (f' ({report["steps_done"]} steps, {stop}; foreground share '
                f'{report["shares_before"][1]:.3f} -> {report["shares_after"][1]:.3f}{gap})')

    def tta_table(self, dataset: str) -> List[str]:
        """Source, shifted before and after TTA (two objectives), and the no-shift control."""
        prefix = TTA_PREFIX[dataset]
        lines = [
            '| HT segmentor | Dice | IoU | HD95 (px) |', '|---|---|---|---|',
            self.row('source test split', f'{prefix}seg', SEG_KEYS),
            self.row('  after TTA on it (no-shift control)' + self.tta_note(f'{prefix}tta_source'),
                     f'{prefix}tta_source', SEG_KEYS, 'after'),
            self.row('shifted test split, before TTA', f'{prefix}tta_shifted', SEG_KEYS, 'before'),
            self.row(
                '  after TTA, feature alignment + flip' + self.tta_note(f'{prefix}tta_shifted'),
                f'{prefix}tta_shifted', SEG_KEYS, 'after'),
            self.row(
                '  after TTA, entropy + flip (lr 1e-4)' +
                self.tta_note(f'{prefix}tta_shifted_entropy'), f'{prefix}tta_shifted_entropy',
                SEG_KEYS, 'after')
        ]
        source = self.values(f'{prefix}seg', ('Dice', ))
        if source and source[0] < LEARNT_FLOOR:
            lines.append(f'\n**The source segmentor did not learn the {dataset} set (Dice '
                         f'{source[0]:.1f} % < {LEARNT_FLOOR:.0f} %): the TTA rows mean '
                         'nothing; give more --seg-iters or another --seg-lr.**')
        return lines


class Report:
    """Collects timings and errors and rewrites the JSON and Markdown after every chain."""

    def __init__(self, args: argparse.Namespace, bench: Bench, out: Path, header: str) -> None:
        self.args, self.bench, self.out, self.header = args, bench, out, header
        self.timings: Dict[str, float] = {}
        self.errors: Dict[str, str] = {}
        self.start = time.time()

    def done(self, name: str, seconds: float, error: Optional[str] = None) -> None:
        with self.bench.lock:
            self.timings[name] = round(seconds, 1)
            if error:
                self.errors[name] = error
            self.write()
        print(
            f'[{name}] {"FAILED" if error else "done"} after {seconds:.0f} s '
            f'({time.time() - self.start:.0f} s since the start)',
            flush=True)

    def markdown(self) -> str:
        parts = [self.header]
        for title, lines in self.bench.tables().items():
            parts.append(f'## {title}\n\n' + '\n'.join(lines))
        timing = ', '.join(f'{k} {v:.0f} s' for k, v in self.timings.items())
        parts.append(f'Wall time so far {time.time() - self.start:.0f} s (chains: {timing}).')
        if self.errors:
            parts.append('Failed or stopped: ' + '; '.join(f'{k}: {v.splitlines()[0]}'
                                                           for k, v in self.errors.items()))
        return '\n\n'.join(parts) + '\n'

    def write(self) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        record = dict(
            settings=vars(self.args),
            environment=environment(self.args),
            wall_s=round(time.time() - self.start, 1),
            timings_s=self.timings,
            errors=self.errors,
            metrics=self.bench.metrics)
        (self.out / 'beyond_paper.json').write_text(json.dumps(record, indent=2, default=str))
        (self.out / 'beyond_paper.md').write_text(self.markdown())


def environment(args: argparse.Namespace) -> Dict[str, str]:
    import torch
    info = dict(torch=torch.__version__, python=sys.version.split()[0], cpus=str(os.cpu_count()))
    if args.device == 'cuda':
        info['gpu'] = torch.cuda.get_device_name(0)
    return info


def main() -> None:
    args = parse_args()
    work = Path(args.work_dir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    busi = None
    if {'retrieval', 'coop', 'tta_busi'} & set(args.parts) or args.prepare_only:
        converted = Path(args.busi_converted).resolve() if args.busi_converted else work / 'busi'
        busi = subset_busi(Path(args.busi), converted, args.per_class)
        size = folder_size(busi) / 2**20
        print(f'converted BUSI subset: {busi} ({size:.1f} MiB)', flush=True)
        if args.prepare_only:
            return
    if args.device == 'cuda':
        import torch
        if not torch.cuda.is_available():
            raise SystemExit('--device cuda: torch sees no GPU here')
    elif args.amp:
        raise SystemExit('--amp needs --device cuda (mmengine\'s AmpOptimWrapper is GPU-only)')
    run = ToolRunner(args, work)
    bench = Bench(args, work, run)
    weights = args.weights or 'none (randomly initialised towers)'
    header = (f'# Beyond the paper ({args.arch}, weights {weights}, device {args.device}'
              f'{", bf16 AMP" if args.amp else ""}; BUSI models {args.iters} iterations, TTA '
              f'source segmentors {args.seg_iters} iterations)')
    report = Report(args, bench, Path(args.out).resolve() if args.out else work, header)

    def execute(name: str, chain: Callable[[], None]) -> None:
        start = time.time()
        try:
            chain()
            report.done(name, time.time() - start)
        except Exception as error:  # one failed chain must not lose the others' results
            report.done(name, time.time() - start, f'{type(error).__name__}: {error}')
            print(str(error)[-1500:], flush=True)

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for name, chain in bench.chains(busi).items():
            pool.submit(execute, name, chain)
    with bench.lock:
        report.write()
    print(report.markdown(), flush=True)
    if report.errors:
        sys.exit(1)


if __name__ == '__main__':
    main()
