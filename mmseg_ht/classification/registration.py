"""Make mmseg_ht's backbones, checkpoint hook and image loader available to mmpretrain configs.

``CLIPViT``, ``ExternalBackbone``, ``WeightsOnlyCheckpointHook`` and
``LoadUltrasoundImage`` (16-bit images stretched, not cut; truncated or
damaged files an error naming them) are registered in mmseg's registries; mmpretrain configs
(``default_scope='mmpretrain'``) look names up in mmpretrain's registries, so
the same classes are registered there under the same names. Configs of both
toolboxes then read alike (``type='CLIPViT'``); the scoped ``mmseg.CLIPViT`` works as well.
"""
from mmengine.registry import Registry
from mmpretrain.registry import HOOKS, MODELS, TRANSFORMS

from mmseg_ht.datasets.transforms import LoadUltrasoundImage
from mmseg_ht.engine.weights_only_checkpoint import WeightsOnlyCheckpointHook
from mmseg_ht.models.backbones import CLIPViT, ExternalBackbone


def register_once(registry: Registry, cls: type) -> None:
    """Register ``cls`` under its own name; an error if another class has the name."""
    name = cls.__name__
    existing = registry.module_dict.get(name)
    if existing is None:
        registry.register_module(name=name, module=cls)
    elif existing is not cls:
        raise KeyError(f'{registry.scope} registry {registry.name!r} already has a different '
                       f'{name!r} ({existing.__module__}); mmseg_ht cannot register its own')


register_once(MODELS, CLIPViT)
register_once(MODELS, ExternalBackbone)
register_once(HOOKS, WeightsOnlyCheckpointHook)
register_once(TRANSFORMS, LoadUltrasoundImage)
