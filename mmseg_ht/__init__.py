"""mmseg_ht: parameter-efficient CLIP-ViT adapters for ultrasound (OpenMMLab plugin).

Importing the package (directly, or through ``custom_imports`` in a config)
first installs a stand-in ``mmcv.ops`` when only mmcv-lite is present, then
registers the segmentation side (backbone, adapters, heads, data sets,
metric, hooks) in mmseg's registries. The mmpretrain-based parts are
imported by their configs: ``mmseg_ht.classification`` (classification,
zero-shot) and ``mmseg_ht.contrastive`` (stage 1), so segmentation users do
not pay for importing mmpretrain.
"""
from .compat.torch_versions import check_torch_version

check_torch_version()  # a clear ImportError on torch older than the tested stacks

from .compat.mmcv_ops import install_mmcv_ops_stand_in  # noqa: E402

install_mmcv_ops_stand_in()

__version__ = '0.1.0'

from . import datasets, engine, evaluation, models, visualization  # noqa: E402,F401
