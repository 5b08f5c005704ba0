"""mmseg's own inference API on mmseg_ht configs: ``MMSegInferencer``.

``MMSegInferencer`` adapts a config's test pipeline by name: it replaces the transform
typed ``LoadImageFromFile`` and drops ``LoadAnnotations``, and refuses pipelines without
them. mmseg_ht's pipelines read with the validating ``LoadUltrasoundImage`` /
``LoadBinaryMask`` instead (README, "Troubleshooting"), so the config is first given the
names mmseg expects::

    import mmseg_ht
    from mmseg.apis import MMSegInferencer
    from mmseg_ht.inference import inferencer_config
    inferencer = MMSegInferencer(model=inferencer_config('configs/ht/clip-ht_busi.py'),
                                 weights='work_dirs/clip-ht_busi/iter_3400.pth')
    result = inferencer(image_or_path)          # result['predictions']: (H, W) 0/1

For file paths mmseg then reads with mmcv (8-bit images as they are, 16-bit ones cut to
their high byte); pass arrays read by ``medical_io.read_frames`` + ``to_bgr8`` (or use
``tools/infer.py``) for 16-bit and DICOM images.
"""
from typing import Optional

from mmengine.config import Config

from mmseg_ht.engine import load_config

from .predictor import FILE_LOADERS, LABEL_LOADERS


def inferencer_config(config: str, cfg_options: Optional[dict] = None) -> Config:
    """``config`` with a test pipeline that ``MMSegInferencer`` can adapt (module doc)."""
    cfg = load_config(config, cfg_options)
    pipeline = []
    for step in cfg.test_dataloader.dataset.pipeline:
        if step['type'] in LABEL_LOADERS:
            continue
        if step['type'] in FILE_LOADERS:
            step = dict(step, type='LoadImageFromFile')
        pipeline.append(step)
    cfg.test_dataloader.dataset.pipeline = pipeline
    return cfg
