"""Zero-shot benign/malignant classification with CLIP prompt ensembles.

    python tools/zero_shot.py CONFIG [--checkpoint ADAPTERS] [--rule mean_similarity|mean_embedding]
        [--prompts NAME|FILE.json] [--text-model-dir DIR] [--work-dir DIR]
        [--cfg-options key=value ...]

CONFIG is a configs/zero_shot/*.py file. The prompts of every class are
encoded once by the CLIP text tower; each test image is scored by the mean
cosine similarity to a class's prompts (``mean_similarity``, the paper) or
by the similarity to the class's mean normalised prompt embedding
(``mean_embedding``), and the same metrics as supervised classification
(accuracy, precision, recall, F1 of 'malignant', ROC AUC) are reported and
written to WORK_DIR/zero_shot_results.json.

--checkpoint loads adapter weights into the image tower: a stage-1
(contrastive) adapter file (safetensors), or any mmseg_ht checkpoint whose
adapter weights fit the config's adapter settings (only the adapters are
read, safely). Without it the plain CLIP model is used.

--text-model-dir names the local Hugging Face folder (config.json, vocab.txt)
of BiomedCLIP's and UniMedCLIP's BiomedBERT text tower; without a usable folder
the tool stops with an error listing the files and where they come from.
"""
import argparse
import copy
import json
import os
import os.path as osp
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout: runs without install

import mmseg_ht  # noqa: E402,F401 isort:skip  (mmcv.ops stand-in + registrations, before mmseg)
from mmengine.config import DictAction  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from mmseg_ht.classification.zero_shot import RULES  # noqa: E402
from mmseg_ht.engine import load_config  # noqa: E402
from mmseg_ht.utils import cli_main  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Zero-shot classification with prompt ensembles')
    parser.add_argument('config', help='a configs/zero_shot/*.py file')
    parser.add_argument('--checkpoint', help='adapter weights for the image tower (stage-1 output)')
    parser.add_argument(
        '--rule', choices=RULES, help='how prompts vote (default: the config\'s, mean_similarity)')
    parser.add_argument(
        '--prompts',
        help="bundled prompt set (breast, lymph_node, thyroid) or "
        'a .json file; default: the config\'s')
    parser.add_argument(
        '--text-model-dir',
        help='local Hugging Face folder of a BERT text tower (BiomedCLIP, '
        'UniMedCLIP): config.json + vocab.txt; default: the config\'s')
    parser.add_argument('--work-dir', help='where logs and zero_shot_results.json go')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings in the config, e.g. '
        'model.backbone.pretrained=W model.text_encoder.pretrained=W')
    return parser.parse_args()


def check_classes(cfg) -> None:
    """The prompt classes must be the data set's classes, in the same order."""
    from mmpretrain.registry import DATASETS
    dataset_cfg = copy.deepcopy(cfg.test_dataloader.dataset)
    dataset_cfg['lazy_init'] = True
    dataset_classes = tuple(DATASETS.build(dataset_cfg).metainfo['classes'])
    model_classes = tuple(cfg.model.get('classes', ('benign', 'malignant')))
    if dataset_classes != model_classes:
        raise ValueError(f'model.classes {model_classes} must equal the data set classes '
                         f'{dataset_classes} (same order: it defines the label indices)')


@cli_main
def main() -> int:
    args = parse_args()
    cfg = load_config(args.config, args.cfg_options, args.work_dir)
    if cfg.model.get('type') != 'PromptEnsembleClassifier':
        raise ValueError(f'{args.config} is not a zero-shot config (model.type must be '
                         'PromptEnsembleClassifier; see configs/zero_shot/)')
    if args.checkpoint:
        if not osp.isfile(args.checkpoint):
            raise FileNotFoundError(f'adapter weights not found: {args.checkpoint}')
        if not cfg.model.backbone.get('adapter'):
            raise ValueError(f'--checkpoint gives adapter weights, but {args.config} has no '
                             'adapter: use a config with the matching adapter '
                             '(e.g. configs/zero_shot/clip-ht_busi.py)')
        cfg.model.backbone.adapter_checkpoint = args.checkpoint
    if args.rule:
        cfg.model.rule = args.rule
    if args.prompts:
        cfg.model.prompts = args.prompts
    if args.text_model_dir:
        cfg.model.text_encoder.text_model_dir = args.text_model_dir
    cfg.load_from = None
    cfg.pop('train_dataloader', None)
    cfg.pop('val_dataloader', None)
    cfg.pop('val_evaluator', None)  # test only: the runner wants val settings all or none
    runner = Runner.from_cfg(cfg)
    check_classes(cfg)
    started = time.perf_counter()
    metrics = runner.test()
    seconds = time.perf_counter() - started
    model = runner.model
    result = dict(
        config=args.config,
        checkpoint=args.checkpoint,
        rule=model.rule,
        prompts=model.prompt_source,
        prompts_per_class=model.prompt_summary(),
        logit_scale=model.logit_scale,
        test_seconds=round(seconds, 2),
        metrics={
            k: float(v)
            for k, v in metrics.items()
        })
    os.makedirs(runner.work_dir, exist_ok=True)
    path = osp.join(runner.work_dir, 'zero_shot_results.json')
    with open(path, 'w') as handle:
        json.dump(result, handle, indent=2)
    print(f'metrics written to {path}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
