"""mmseg's ``MMSegInferencer`` adapts the test pipeline of every segmentation data set config
as it is, and gives the network exactly the input ``tools/test.py`` gives it (no model needed:
the model side is ``test_infer_tool.py``)."""
import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config  # noqa: E402
from mmengine.dataset import Compose  # noqa: E402
from mmengine.registry import DefaultScope  # noqa: E402

import mmseg_ht  # noqa: F401  (mmcv.ops stand-in before mmseg.apis)
from tests.conftest import REPO_ROOT  # noqa: E402

# Every data set config (the leaves inherit their pipelines) and the leaves with their own.
CONFIGS = sorted(
    str(p.relative_to(REPO_ROOT)) for p in (REPO_ROOT / 'configs/_base_/datasets').glob('*.py')) + [
        'configs/demo/clip-ht_phantom.py',
    ]


def inferencer_pipeline(cfg: Config) -> Compose:
    """The pipeline ``MMSegInferencer(model=cfg)`` runs on each input.

    ``_init_pipeline`` is the inferencer's own adaptation of the config (swap the step typed
    ``LoadImageFromFile`` for ``InferencerLoader``, drop ``LoadAnnotations``); it is called
    on an instance without a model, since building one adds nothing here.
    """
    from mmseg.apis import MMSegInferencer
    return MMSegInferencer.__new__(MMSegInferencer)._init_pipeline(cfg.copy())


def dataset_sample(cfg: Config, image, mask) -> dict:
    """What the data set's test pipeline (``tools/test.py``) gives for one pair of files."""
    info = dict(img_path=str(image), seg_map_path=str(mask), reduce_zero_label=False, seg_fields=[])
    return Compose(cfg.test_dataloader.dataset.pipeline)(info)


@pytest.fixture(scope='module')
def files(tmp_path_factory):
    """An 8-bit gray image, the same content as 12-bit data, and a 0/1 mask (PNG files)."""
    folder = tmp_path_factory.mktemp('pair')
    rng = np.random.default_rng(0)
    gray = rng.integers(0, 256, size=(61, 83)).astype(np.uint8)
    mask = np.zeros_like(gray)
    mask[20:40, 30:60] = 1
    paths = dict(gray=folder / 'gray.png', twelve=folder / 'twelve.png', mask=folder / 'mask.png')
    for name, array in (('gray', gray), ('twelve', gray.astype(np.uint16) * 16 + 3), ('mask',
                                                                                      mask)):
        assert cv2.imwrite(str(paths[name]), array)
    return paths


@pytest.mark.parametrize('config', CONFIGS)
def test_inferencer_input_equals_the_test_pipelines(config, files):
    cfg = Config.fromfile(str(REPO_ROOT / config))
    with DefaultScope.overwrite_default_scope('mmseg'):  # the configs' default_scope
        pipeline = inferencer_pipeline(cfg)
        for image in ('gray', 'twelve'):
            reference = dataset_sample(cfg, files[image], files['mask'])
            assert reference['data_samples'].gt_sem_seg.data.sum() == 20 * 30
            given = [str(files[image]), cv2.imread(str(files[image]), cv2.IMREAD_UNCHANGED)]
            if image == 'gray':
                given.append(cv2.imread(str(files[image]), cv2.IMREAD_COLOR))  # BGR array
            for item in given:
                sample = pipeline(item)
                torch.testing.assert_close(sample['inputs'], reference['inputs'], rtol=0, atol=0)
                assert sample['data_samples'].ori_shape == (61, 83)
                assert 'gt_sem_seg' not in sample['data_samples']  # no ground truth asked for
        # 12-bit data reaches the network stretched, not cut to its high byte (max 16)
        assert reference['inputs'].max() >= 250 and reference['inputs'].min() <= 5
