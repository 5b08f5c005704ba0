"""ExternalBackbone: another toolbox's backbone (mmpretrain's ViT, ResNet …) under our weights rule.

The comparison baselines (DINOv2 ViT-B/14, ResNet-18) use other toolboxes'
backbones unchanged. This wrapper builds one from the registry and applies
the rules every mmseg_ht backbone follows:

- weights only come from a local file named in the config (``pretrained``);
  it is read safely (``load_state_dict_safely``: safetensors or
  ``torch.load(weights_only=True)``, never arbitrary unpickling) and loaded
  strictly: missing or unexpected keys and shapes the inner module cannot
  adapt are an error naming the file and the first offending keys;
- without a file the module keeps its random initialisation and a loud
  banner says so;
- ``frozen=True`` freezes every parameter and keeps the module in eval mode
  (dropout off, BN statistics fixed) through ``model.train()``.

Inner types are looked up in the registry of the current default scope; use
scoped names (``'mmpretrain.VisionTransformer'``, ``'mmpretrain.ResNet'``) so
the same config works under mmseg and mmpretrain. A scoped name imports its
toolbox's models lazily; mmseg_ht itself never imports mmpretrain at import
time.
"""
from pathlib import Path
from typing import Dict, Optional, Sequence, Tuple, Union

import torch
from mmengine.logging import MMLogger
from mmengine.model import BaseModule
from mmseg.registry import MODELS

from mmseg_ht.utils import (check_fits, count_parameters, describe_mismatch, list_names,
                            load_state_dict_safely, warn_random_init)
from .pretrained import PretrainedMismatchError


@MODELS.register_module()
class ExternalBackbone(BaseModule):
    """Build a registered backbone, load local weights strictly and safely, optionally freeze it.

    Args:
        backbone: config of the inner module, e.g. ``dict(type='mmpretrain.VisionTransformer',
            arch='base', patch_size=14, out_type='featmap', out_indices=(3, 6, 9))``.
        pretrained: local weights file; None → random init with a loud warning.
        prefix: keep only the file's keys that start with this prefix and strip
            it (``'backbone.'`` for mmpretrain checkpoints; the head's keys are
            then ignored). None → use every key as it is.
        ignore_keys: keys of the file (after stripping ``prefix``) that the
            inner module does not have and that are dropped on purpose, e.g.
            ``('mask_token',)`` for mmpretrain's DINOv2 checkpoints. Every other
            key must match.
        frozen: freeze all parameters and keep the module in eval mode.
    """

    def __init__(self,
                 backbone: Dict,
                 pretrained: Optional[Union[str, Path]] = None,
                 prefix: Optional[str] = None,
                 ignore_keys: Sequence[str] = (),
                 frozen: bool = True,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.inner_type = str(backbone.get('type'))
        self.module = MODELS.build(backbone)
        self.frozen = frozen
        self.pretrained = str(pretrained) if pretrained else None
        if pretrained:
            self.load_pretrained(pretrained, prefix, ignore_keys)
        else:
            warn_random_init(
                f'ExternalBackbone ({self.inner_type})', 'model.backbone.pretrained',
                'the backbone' + (' (frozen)' if frozen else ''),
                'Results will be meaningless for anything but smoke tests.'
                if frozen else 'It trains from scratch (no ImageNet initialisation).',
                'Set pretrained to a local weights file (see docs/en/weights.md).')
        if frozen:
            self.module.requires_grad_(False)
            self.module.eval()
        counts = count_parameters(self)
        MMLogger.get_current_instance().info(
            f'ExternalBackbone ({self.inner_type}): {counts["trainable"]:,} trainable, '
            f'{counts["frozen"]:,} frozen parameters')

    # ---------------------------------------------------------------- weights
    def load_pretrained(self,
                        path: Union[str, Path],
                        prefix: Optional[str] = None,
                        ignore_keys: Sequence[str] = ()) -> None:
        """Load ``path`` into the inner module (strict); errors name the file and keys."""
        weights = load_state_dict_safely(path)
        if prefix:
            kept = {k[len(prefix):]: v for k, v in weights.items() if k.startswith(prefix)}
            if not kept:
                raise PretrainedMismatchError(
                    f'{path}: no key starts with prefix={prefix!r} (the file has e.g. '
                    f'{list_names(weights)}). Set model.backbone.prefix to the prefix of '
                    'the backbone keys in this file, or None.')
            weights = kept
        ignore = set(ignore_keys)
        weights = {k: v for k, v in weights.items() if k not in ignore}
        expected = self.module.state_dict()
        common = [k for k in weights if k in expected]
        # Keys first (shapes compared below, after the inner module's load hooks).
        check_fits(expected, {
            k: expected.get(k, v)
            for k, v in weights.items()
        }, PretrainedMismatchError, f'{path}: weights do not match the backbone {self.inner_type}',
                   'Check model.backbone (arch, prefix, ignore_keys).')
        try:
            # Shapes: the inner module's load hooks may adapt some (mmpretrain's
            # ViT resizes a position embedding of another image size).
            self.module.load_state_dict(weights, strict=True)
        except RuntimeError as err:
            shapes = describe_mismatch({k: expected[k]
                                        for k in common}, {k: weights[k]
                                                           for k in common})
            raise PretrainedMismatchError(
                f'{path}: weights do not fit the backbone {self.inner_type}: ' +
                ('; '.join(shapes) or str(err)) + '. Check model.backbone.') from err
        MMLogger.get_current_instance().info(
            f'ExternalBackbone ({self.inner_type}): loaded {len(weights)} tensors from {path}')

    def init_weights(self) -> None:
        """Random init: the inner module's own scheme; loaded weights are never re-initialised."""
        if self.pretrained is None and hasattr(self.module, 'init_weights'):
            self.module.init_weights()

    # ---------------------------------------------------------------- modes
    def train(self, mode: bool = True) -> 'ExternalBackbone':
        """A frozen backbone stays in eval mode (dropout off, BN statistics fixed)."""
        super().train(mode)
        if self.frozen:
            self.module.eval()
        return self

    # -------------------------------------------------------------- forward
    def forward(self, inputs: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """The inner module's outputs as a tuple."""
        outputs = self.module(inputs)
        if isinstance(outputs, torch.Tensor):
            return (outputs, )
        return tuple(outputs)


__all__ = ['ExternalBackbone']
