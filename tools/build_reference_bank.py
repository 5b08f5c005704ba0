"""Build a reference bank of confirmed cases for retrieval-augmented classification.

    python tools/build_reference_bank.py CONFIG [--checkpoint CKPT] [--split train]
        [--data-root DIR] [--out BANK.safetensors] [--cfg-options key=value ...]

CONFIG is a configs/retrieval/*.py file (its model says which embedding is
stored). CHECKPOINT is the trained classifier (tools/train.py output; read
with the weights-only loader) — not needed for the zero-shot variant. The
images of SPLIT (default: train, with the config's few-shot ratio) of the
config's data set, or of any converted, labelled folder given by
--data-root (img_dir/<split>/ + labels.csv), are embedded without
augmentation and written with their labels and file names to BANK; then
test with ``tools/test.py CONFIG CKPT --cfg-options model.retrieval.bank=BANK``.

--test tests CONFIG with the new bank right away and writes
WORK_DIR/test_results.json as tools/test.py does (the way to test the
zero-shot variant, which has no checkpoint for tools/test.py).
"""
import argparse
import copy
import os.path as osp
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout: runs without install

import mmseg_ht  # noqa: E402,F401 isort:skip  (mmcv.ops stand-in + registrations, before mmseg)
import torch  # noqa: E402
from mmengine.config import DictAction  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from mmseg_ht.engine import check_checkpoint_fits, load_config  # noqa: E402
from mmseg_ht.engine.experiment_record import experiment_labels, write_test_results  # noqa: E402
from mmseg_ht.engine.testing_config import without_training  # noqa: E402
from mmseg_ht.utils import cli_main  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Build a reference bank (retrieval)')
    parser.add_argument('config', help='a configs/retrieval/*.py file')
    parser.add_argument('--checkpoint', help='trained classifier checkpoint (not for zero-shot)')
    parser.add_argument(
        '--split',
        default='train',
        choices=('train', 'val', 'test'),
        help='which split of the data set holds the confirmed cases')
    parser.add_argument('--data-root', help='another converted, labelled folder (labels.csv)')
    parser.add_argument('--out', help='bank file (default: WORK_DIR/reference_bank.safetensors)')
    parser.add_argument(
        '--test',
        action='store_true',
        help='then test CONFIG with the bank (WORK_DIR/test_results.json)')
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--work-dir', help='where logs (and the default bank) go')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help='override settings in the config')
    return parser.parse_args()


def bank_loader_cfg(cfg, split: str, data_root, batch_size: int) -> dict:
    """The data loader of ``split``: the test pipeline (no augmentation), in order."""
    source = cfg.train_dataloader if split == 'train' else cfg.get(f'{split}_dataloader')
    loader = copy.deepcopy(source)
    loader.dataset.pipeline = copy.deepcopy(cfg.test_dataloader.dataset.pipeline)
    loader.dataset.data_prefix = dict(img_path=f'img_dir/{split}')
    if data_root:
        loader.dataset.data_root = data_root
        loader.dataset.pop('ratio', None)  # a folder of confirmed cases is used whole
    loader.dataset.test_mode = True
    loader.sampler = dict(type='DefaultSampler', shuffle=False)
    loader.update(batch_size=batch_size, num_workers=0, persistent_workers=False)
    return loader


def relative_file(path: str, root: str) -> str:
    """A case's file relative to its data root (absolute when outside it)."""
    relative = osp.relpath(path, root) if root else path
    return path if relative.startswith('..') else relative


def build_bank(cfg, args: argparse.Namespace):
    """Embed the confirmed cases with the (loaded) model of ``cfg``; returns (bank, work_dir)."""
    from mmseg_ht.classification.reference_bank import ReferenceBank
    from mmseg_ht.classification.retrieval import RetrievalMixin, bank_classes
    loader_cfg = bank_loader_cfg(cfg, args.split, args.data_root, args.batch_size)
    cfg = without_training(cfg)
    cfg.model.retrieval.bank = None
    cfg.load_from = None
    runner = Runner.from_cfg(cfg)
    model = runner.model
    if not isinstance(model, RetrievalMixin):
        raise ValueError(f'{args.config}: model.type must be a retrieval classifier')
    if args.checkpoint:
        check_checkpoint_fits(model, args.checkpoint)
        runner.load_checkpoint(args.checkpoint, map_location='cpu')
    elif type(model).__name__ == 'RetrievalClassifier':
        raise ValueError('--checkpoint is required: the bank must hold the embeddings of the '
                         'trained classifier that will be tested')
    loader = runner.build_dataloader(loader_cfg)
    dataset = loader.dataset
    model.eval()
    embeddings, labels, files = [], [], []
    with torch.no_grad():
        for batch in loader:
            data = model.data_preprocessor(batch, False)
            embeddings.append(model.embed(data['inputs']).cpu())
            for sample in data['data_samples']:
                labels.append(int(sample.gt_label))
                files.append(relative_file(sample.img_path, dataset.data_root))
    classes = bank_classes(model, dataset.metainfo['classes'])
    bank = ReferenceBank(
        torch.cat(embeddings),
        torch.tensor(labels),
        files,
        classes,
        model.retrieval['feature'],
        info=dict(
            config=args.config,
            checkpoint=str(args.checkpoint),
            data_root=osp.abspath(dataset.data_root),
            split=args.split))
    return bank, runner.work_dir


def test_with_bank(cfg, args: argparse.Namespace, bank_file: str) -> str:
    """Test ``cfg`` with the bank (as tools/test.py would); returns the results file."""
    labels = experiment_labels(cfg, args.config)
    cfg = without_training(cfg)
    cfg.model.retrieval.bank = bank_file
    cfg.load_from = args.checkpoint
    runner = Runner.from_cfg(cfg)
    metrics = runner.test()
    return write_test_results(
        runner.work_dir,
        args.config,
        args.checkpoint,
        labels,
        cfg,
        metrics,
        reference_bank=bank_file)


@cli_main
def main() -> int:
    args = parse_args()
    cfg = load_config(args.config, args.cfg_options, args.work_dir)
    if 'retrieval' not in cfg.model:
        raise ValueError(f'{args.config} is not a retrieval config (model.retrieval missing; '
                         'see configs/retrieval/)')
    bank, work_dir = build_bank(cfg, args)
    out = args.out or osp.join(work_dir, 'reference_bank.safetensors')
    bank.save(out)
    counts = ', '.join(f'{k} {v}' for k, v in bank.class_counts().items())
    print(f'reference bank of {len(bank)} cases ({counts}), {bank.feature} embeddings of '
          f'width {bank.embeddings.shape[1]}, written to {out}')
    if args.test:
        path = test_with_bank(cfg, args, str(out))
        print(f'metrics written to {path}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
