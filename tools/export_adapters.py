"""Extract the adapter weights of a trained mmseg_ht model into a small safetensors file.

Usage::

    python tools/export_adapters.py CONFIG CHECKPOINT OUT.safetensors [--text-model-dir DIR]
        [--cfg-options ...]

Works for any mmseg_ht checkpoint (contrastive, segmentation, classification)
whose model has a ``backbone`` (CLIPViT). Writes OUT.safetensors with the
image-tower adapters — load it in any config with
``model.backbone.adapter_checkpoint=OUT.safetensors`` — and, when the text
tower has LoRA (LoRA V+T), OUT_text.safetensors with its factors. The
checkpoint is read with ``torch.load(weights_only=True)`` (never unpickles
code); the backbone is built from CONFIG without pretrained weights only to
check that every adapter tensor fits. A BiomedCLIP/UniMedCLIP text tower with
LoRA is built from its local Hugging Face folder (--text-model-dir or the
config's ``text_model_dir``: config.json + vocab.txt). Exporting a segmentation
checkpoint never imports mmpretrain.
"""
import argparse
import copy
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout: runs without install

import mmseg_ht  # noqa: E402,F401 isort:skip  (mmcv.ops stand-in + registrations, before mmseg)
from mmengine.config import DictAction  # noqa: E402
from mmengine.logging import MMLogger  # noqa: E402
from mmseg.registry import MODELS  # noqa: E402

from mmseg_ht.engine import load_config  # noqa: E402
from mmseg_ht.models.adapters import export_metadata  # noqa: E402
from mmseg_ht.models.adapters import export_adapters, split_checkpoint_adapters
from mmseg_ht.utils import cli_main, load_state_dict_safely  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Export adapter-only weights as safetensors')
    parser.add_argument('config', help='config the checkpoint was trained with')
    parser.add_argument('checkpoint', help='checkpoint (.pth) of a mmseg_ht run')
    parser.add_argument('out', type=Path, help='output .safetensors file (image tower)')
    parser.add_argument(
        '--text-model-dir',
        help='local Hugging Face folder of a BERT text tower (BiomedCLIP, '
        'UniMedCLIP); default: the config\'s text_model_dir')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='config overrides, as given to tools/train.py')
    args = parser.parse_args(argv)
    if args.out.suffix != '.safetensors':
        parser.error('OUT must end in .safetensors')
    return args


def _build_without_weights(cfg: dict, text: bool = False):
    cfg = copy.deepcopy(dict(cfg))
    cfg.update(pretrained=None, _scope_='mmseg')
    if not text:
        cfg['adapter_checkpoint'] = None
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel('ERROR')  # the "randomly initialised" banner does not apply here
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            return MODELS.build(cfg)
    finally:
        logger.setLevel(level)


@cli_main
def main(argv=None) -> int:
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    towers = split_checkpoint_adapters(load_state_dict_safely(args.checkpoint))
    if not towers['image']:
        print(f'error: {args.checkpoint} holds no backbone adapter weights', file=sys.stderr)
        return 1
    backbone_cfg = cfg.model.backbone
    backbone = _build_without_weights(backbone_cfg)
    # an AdapterMismatchError names the file and keys when they differ (cli_main prints it)
    backbone.load_adapter_state_dict(towers['image'], f'{args.checkpoint} (image tower)')
    text_encoder = None
    text_cfg = dict(cfg.model.get('text_encoder') or {})
    if towers['text']:
        text_cfg.setdefault('type', 'OpenCLIPTextEncoder')
        text_cfg['arch'] = text_cfg.get('arch') or backbone_cfg.get('arch')
        if args.text_model_dir:
            text_cfg['text_model_dir'] = args.text_model_dir
        text_encoder = _build_without_weights(text_cfg, text=True)
        text_encoder.load_adapter_state_dict(towers['text'], f'{args.checkpoint} (text tower)')
    metadata = export_metadata(backbone_cfg, text_cfg,
                               f'{Path(args.config).name}:{Path(args.checkpoint).name}')
    files = export_adapters(backbone, args.out, text_encoder, metadata)
    for path in files:
        print(f'wrote {path} ({path.stat().st_size / 1e6:.2f} MB)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
