"""Registries of mmseg_ht.

Backbones, heads, datasets, metrics and hooks register into mmseg's own
registries (so stock configs and tools find them). Adapters get a registry of
their own, a child of mmseg's ``MODELS``, because they are built by the
backbone, one per transformer block, never directly by a runner.
"""
from mmengine.registry import Registry
from mmseg.registry import MODELS

ADAPTERS = Registry(
    'adapter', parent=MODELS, scope='mmseg_ht', locations=['mmseg_ht.models.adapters'])
