"""mmseg_ht: parameter-efficient CLIP-ViT adapters for ultrasound (OpenMMLab plugin).

Importing the package (directly, or through ``custom_imports`` in a config)
first installs a stand-in ``mmcv.ops`` when only mmcv-lite is present, then
registers every backbone, adapter, head, dataset, metric and hook.
"""
from .compat.mmcv_ops import install_mmcv_ops_stand_in

install_mmcv_ops_stand_in()

__version__ = '0.1.0'

from . import datasets, engine, evaluation, models  # noqa: E402,F401
