"""Every segmentation method learns: a seeded 150-iteration run on a 64-px phantom must clear a bar.

The task: ``tiny_phantom_data.py`` (64 training images with 0-2 lesions, 16 validation images,
batch 8, AdamW, cosine) through the real ``tools/train.py`` path — CLIPViT + adapter (or the
paper-size UNet) + head + DiceCE + SurfaceMetric. A model that predicts "no lesion" everywhere
scores the share of lesion-free validation images (12.5 %); the bars sit well above that, above
the all-foreground guess and above an Otsu threshold, and well below what each method reaches
(docs/en/segmentation.md, "Learning you can see"). Dice is asserted, never time.

Head-only and LoRA keep the tower's features; a random tower's features hold no lesion
information here (a per-token linear probe scores 3 % Dice), so those two run on a tower
"pretrained" by ``pretrain_tower.py`` on a phantom of another seed, as they would on CLIP.
"""
import json
from pathlib import Path

import pytest

from mmseg_ht.evaluation.reference_scores import reference_scores
from mmseg_ht.visualization.training_curves import load_run_log
from tests.conftest import run_tool_in_process

HERE = Path(__file__).parent
TINY_BOTTLENECK = 16  # adapters of a 32-wide tower (ViT-B/16: 64 for 768)
# method -> (config, --cfg-options, validation Dice bar in percent). Measured with this seed
# (one thread): HT 45.3, Mona 46.6, UNet 80.1; the floors are 12.5 (no lesion), 9.1 (lesion
# everywhere) and 19.1 (Otsu).
# Head-only 52.7 and LoRA 53.9 on the pretrained tower.
METHODS = {
    'ht': ('tiny_phantom_seg.py', [f'model.backbone.adapter.bottleneck={TINY_BOTTLENECK}'], 35.0),
    'mona': ('tiny_phantom_mona.py', [], 35.0),
    'unet': ('tiny_phantom_unet.py', [], 60.0),
    'frozen': ('tiny_phantom_seg.py', ['model.backbone.adapter=None'], 40.0),
    'lora': ('tiny_phantom_lora.py', [], 40.0),
}
ON_PRETRAINED_TOWER = ('frozen', 'lora')


@pytest.fixture(scope='module')
def tiny_phantom(tmp_path_factory) -> Path:
    from mmseg_ht.datasets.phantom import make_phantom_dataset
    root = tmp_path_factory.mktemp('learning') / 'phantom64'
    make_phantom_dataset(root, num_train=64, num_val=16, num_test=0, size=64, seed=0)
    return root


@pytest.fixture(scope='module')
def pretrained_tower(tmp_path_factory) -> Path:
    """Tiny-tower weights trained on a phantom of another seed (see pretrain_tower.py)."""
    import torch
    from mmengine.config import Config

    from mmseg_ht.datasets.phantom import make_phantom_dataset
    from tests.test_learning.pretrain_tower import pretrain_tiny_tower
    folder = tmp_path_factory.mktemp('pretrain')
    make_phantom_dataset(folder / 'phantom', num_train=64, num_val=0, num_test=0, size=64, seed=1)
    arch = Config.fromfile(str(HERE / 'tiny_phantom_seg.py')).model.backbone.arch.to_dict()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return pretrain_tiny_tower(arch, folder / 'phantom', folder / 'tiny_tower.safetensors')
    finally:
        torch.set_num_threads(threads)


@pytest.fixture(scope='module')
def floors(tiny_phantom) -> dict:
    return {name: s['Dice'] for name, s in reference_scores(tiny_phantom, 'val').items()}


def final_dice(work_dir: Path) -> float:
    curve = load_run_log(str(work_dir)).curve('Dice')
    assert curve is not None, f'no validation Dice logged in {work_dir}'
    return curve.values[-1]


def train(config: str, options: list, data_root: Path, work_dir: Path) -> float:
    """Train ``config`` through tools/train.py in this process; the final validation Dice (%)."""
    # mmengine's visualizer is a per-name singleton: a fresh name per run keeps each run's
    # scalars in its own work dir when several runs share this process.
    run_tool_in_process(
        'tools/train.py',
        str(HERE / config),
        '--work-dir',
        str(work_dir),
        '--cfg-options',
        'randomness.seed=0',
        f'visualizer.name={work_dir.name}',
        *options,
        data_root=data_root)
    return final_dice(work_dir)


@pytest.mark.usefixtures('one_torch_thread')
@pytest.mark.parametrize('method', sorted(METHODS))
def test_method_learns_the_phantom(method, tiny_phantom, floors, request, tmp_path):
    config, options, bar = METHODS[method]
    if method in ON_PRETRAINED_TOWER:
        weights = request.getfixturevalue('pretrained_tower')
        options = [*options, f'model.backbone.pretrained={weights}']
    dice = train(config, options, tiny_phantom, tmp_path / method)
    summary = {'method': method, 'dice': round(dice, 2), 'bar': bar, 'floors': floors}
    assert dice >= bar, f'{method} did not learn: {json.dumps(summary)}'
    assert dice > max(floors.values()) + 10.0, json.dumps(summary)
