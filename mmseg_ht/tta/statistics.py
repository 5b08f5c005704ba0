"""Feature statistics of the backbone's outputs: the source reference that TTA aligns to.

A network without batch normalisation (CLIP's ViT: LayerNorm only) keeps no running
statistics to re-estimate on a new site. Its counterpart here: the per-channel mean and
variance of every feature map the backbone hands to the head, measured once over the
source model's own training images (labels are not read) and stored as a few-KB
safetensors file. Test-time adaptation then moves adapter and norm parameters so that the
target batches' moments match these (activation matching, as ActMAD, Mirza et al. 2023, and
TTT++, Liu et al. 2021, do) — an objective that, unlike entropy minimisation, has no trivial
"predict the majority class" optimum.
"""
from pathlib import Path
from typing import Iterable, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn

Moments = List[Tuple[torch.Tensor, torch.Tensor]]


def _as_maps(output) -> List[torch.Tensor]:
    """The backbone's output as a list of (B, C, ...) tensors (a single tensor or a tuple)."""
    outputs = list(output) if isinstance(output, (tuple, list)) else [output]
    if not outputs or not all(isinstance(o, torch.Tensor) and o.ndim >= 2 for o in outputs):
        raise TypeError('feature alignment needs a backbone that returns (B, C, ...) tensors, '
                        f'got {type(output).__name__}')
    return outputs


def _per_channel(feature: torch.Tensor) -> torch.Tensor:
    """(B, C, ...) -> (C, B·positions)."""
    return feature.transpose(0, 1).reshape(feature.shape[1], -1)


def channel_moments(features: Sequence[torch.Tensor]) -> Moments:
    """(mean, variance) per channel of each (B, C, ...) map, over the batch and every position."""
    flats = [_per_channel(feature.float()) for feature in features]
    return [(flat.mean(1), flat.var(1, unbiased=False)) for flat in flats]


def alignment_loss(target: Moments, source: Moments) -> torch.Tensor:
    """Sum over maps of the mean absolute difference of channel means and of variances."""
    if len(target) != len(source):
        raise ValueError(f'the backbone returns {len(target)} maps, the source statistics hold '
                         f'{len(source)}: they were measured with another model')
    loss = target[0][0].new_zeros(())
    for (mean, var), (src_mean, src_var) in zip(target, source):
        if mean.shape != src_mean.shape:
            raise ValueError(f'feature map of {mean.numel()} channels vs {src_mean.numel()} in '
                             'the source statistics: they were measured with another model')
        loss = loss + (mean - src_mean).abs().mean() + (var - src_var).abs().mean()
    return loss


class BackboneFeatures:
    """Forward hook on ``model.backbone`` that keeps its latest output maps (no hidden state
    beyond the last call); use as a context manager so the hook is always removed."""

    def __init__(self, model: nn.Module) -> None:
        backbone = getattr(model, 'backbone', None)
        if not isinstance(backbone, nn.Module):
            raise TypeError(f'{type(model).__name__} has no .backbone: feature alignment reads '
                            'the backbone\'s outputs')
        self.backbone = backbone
        self.maps: Optional[List[torch.Tensor]] = None
        self._handle = None

    def _keep(self, module, inputs, output) -> None:
        self.maps = _as_maps(output)

    def __enter__(self) -> 'BackboneFeatures':
        self._handle = self.backbone.register_forward_hook(self._keep)
        return self

    def __exit__(self, *exc) -> None:
        self._handle.remove()

    def moments(self) -> Moments:
        """Channel moments of the maps of the last forward pass."""
        if self.maps is None:
            raise RuntimeError('no forward pass through the backbone yet')
        return channel_moments(self.maps)


class SourceStatistics:
    """Per-channel mean and variance of each backbone output map over the source images, and
    the class shares of the source model's predictions there (the collapse guard's second
    reference: without a label shift the target's shares should stay near them)."""

    def __init__(self, moments: Moments, num_images: int, shares: torch.Tensor) -> None:
        self.moments = [(m.detach().float().cpu(), v.detach().float().cpu()) for m, v in moments]
        self.num_images = int(num_images)
        self.shares = shares.detach().float().cpu()

    @classmethod
    @torch.no_grad()
    def measure(cls, model: nn.Module, loader: Iterable) -> 'SourceStatistics':
        """Exact pooled moments over every image of ``loader`` (mmengine data batches)."""
        model.eval()
        totals, images, counts = None, 0, 0  # per map: [sum, sum of squares, positions]
        with BackboneFeatures(model) as features:
            for batch in loader:
                data = model.data_preprocessor(batch, False)
                logits = model(data['inputs'], data['data_samples'], mode='tensor')
                labels = logits.argmax(1).flatten().cpu()
                counts = counts + torch.bincount(labels, minlength=logits.shape[1])
                flats = [_per_channel(m.double()) for m in features.maps]
                if totals is None:
                    totals = [[0.0, 0.0, 0] for _ in flats]
                for total, flat in zip(totals, flats):
                    total[0] = total[0] + flat.sum(1)
                    total[1] = total[1] + flat.pow(2).sum(1)
                    total[2] += flat.shape[1]
                images += len(data['inputs'])
        if not images:
            raise ValueError('no source images to measure feature statistics on')
        moments = [(s / n, (q / n - (s / n).pow(2)).clamp_min(0)) for s, q, n in totals]
        return cls(moments, images, counts.double() / counts.sum())

    def to(self, device: Union[str, torch.device]) -> Moments:
        """The moments on ``device`` (for the loss)."""
        return [(m.to(device), v.to(device)) for m, v in self.moments]

    def save(self, path: Union[str, Path]) -> None:
        """As safetensors (``mean.<i>``, ``var.<i>``, ``shares``; the image count in the
        metadata)."""
        from safetensors.torch import save_file
        tensors = {'shares': self.shares.contiguous()}
        for index, (mean, var) in enumerate(self.moments):
            tensors[f'mean.{index}'], tensors[f'var.{index}'] = mean.contiguous(), var.contiguous()
        save_file(tensors, str(path), metadata=dict(num_images=str(self.num_images)))

    @classmethod
    def load(cls, path: Union[str, Path]) -> 'SourceStatistics':
        """Read a file written by ``save`` (safe: tensors only)."""
        from safetensors import safe_open
        if not Path(path).is_file():
            raise FileNotFoundError(f'source statistics file not found: {path}')
        with safe_open(str(path), framework='pt') as handle:
            keys = set(handle.keys())
            count = len([k for k in keys if k.startswith('mean.')])
            if not count or keys != {'shares'} | {
                    f'{kind}.{i}'
                    for kind in ('mean', 'var')
                    for i in range(count)
            }:
                raise ValueError(f'{path}: not a source statistics file (expected mean.<i>, '
                                 'var.<i> and shares tensors, as tools/tta.py writes)')
            moments = [(handle.get_tensor(f'mean.{i}'), handle.get_tensor(f'var.{i}'))
                       for i in range(count)]
            images = int((handle.metadata() or {}).get('num_images', 0))
            shares = handle.get_tensor('shares')
        return cls(moments, images, shares)
