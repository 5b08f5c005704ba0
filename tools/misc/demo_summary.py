"""Print the `make demo` result: the trained model next to the predictors that learn nothing.

    python tools/misc/demo_summary.py WORK_DIR DATA_ROOT CONFIG

Reads ``WORK_DIR/test/test_results.json`` (written by tools/test.py), scores the trivial
guesses and the Otsu threshold on the same test split (``reference_scores``), and says where
the training curve and the overlays are.
"""
import json
import os.path as osp
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: runs without install

from mmengine.config import Config  # noqa: E402

from mmseg_ht.evaluation.reference_scores import GUESS_LABELS, reference_scores  # noqa: E402
from mmseg_ht.utils import cli_main  # noqa: E402

ROW = '| {name} | {Dice:.2f} | {IoU:.2f} | {HD95:.2f} | {ASD:.2f} | {n_empty_pred:.0f} |'


@cli_main
def main() -> int:
    work, data_root, config = sys.argv[1:4]
    metrics = json.load(open(osp.join(work, 'test', 'test_results.json')))['metrics']
    cfg = Config.fromfile(config)
    arch = cfg.model.backbone.arch
    vision = arch['vision_cfg'] if isinstance(arch, dict) else {}
    floors = reference_scores(data_root, 'test')
    print(f'\n== mmseg_ht demo: HT on the phantom test split ({metrics["n_images"]:.0f} images, '
          f'{metrics["n_empty_gt"]:.0f} without lesion) ==')
    print(f'model: CLIPViT (randomly initialised, frozen; {vision.get("layers")} blocks, width '
          f'{vision.get("width")}, patch {vision.get("patch_size")}, input '
          f'{vision.get("image_size")} px) + HT adapters + MultiLevelAggHead, DiceCE; '
          f'{cfg.train_cfg.max_iters} iterations of batch {cfg.train_dataloader.batch_size}, '
          f'AdamW lr {cfg.optim_wrapper.optimizer.lr:g}, cosine')
    print('| predictor | Dice (%) | IoU (%) | HD95 (px) | ASD (px) | empty pred |')
    print('|---|---:|---:|---:|---:|---:|')
    for name, scores in floors.items():
        print(ROW.format(name=GUESS_LABELS[name], **scores))
    print(
        ROW.format(
            name='**HT, trained** (before training it predicts no lesion: row 1)', **metrics))
    margin = metrics['Dice'] - floors['otsu_dark']['Dice']
    print(f'HT is {margin:+.1f} Dice points above the Otsu threshold.')
    print(f'training curve (loss, validation Dice): {osp.join(work, "curves.png")}')
    print(f'overlays (TP bluish green, FP magenta, FN yellow): {osp.join(work, "overlays")}')
    print(f'per-image metrics: {osp.join(work, "test", "per_image.csv")}')
    print('The tower is randomly initialised (no weights are downloaded): the adapters and the '
          'head learn the phantom from scratch; with CLIP weights pass '
          '--cfg-options model.backbone.pretrained=FILE.')
    return 0


if __name__ == '__main__':
    sys.exit(main())
