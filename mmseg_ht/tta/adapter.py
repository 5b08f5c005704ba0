"""TestTimeAdapter: guarded steps on unlabelled target batches (feature alignment, flip
consistency, optionally entropy).

The model stays in eval mode (no dropout; there are no running statistics to re-estimate in
a LayerNorm network, hence the source feature statistics). After every step the guard
checks the class shares on a fixed set of monitored target batches (and, with alignment,
that the feature gap to the source has not grown past ``band`` times its start); on a
collapse or divergence the source weights are restored (an adaptation that collapsed is
abandoned, not kept half-way, as SAR's model recovery does) and adaptation stops.
"""
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from itertools import cycle, islice
from typing import Dict, Iterable, List, Optional

import torch

from mmseg_ht.utils.errors import MmsegHtError
from .objective import class_shares, entropy, mirrored_logits, tta_loss
from .parameters import select_tta_parameters
from .safeguard import CollapseGuard
from .statistics import BackboneFeatures, SourceStatistics, alignment_loss


class TTASettingsError(MmsegHtError, ValueError):
    """TTA settings (config ``tta`` dict, tools/tta.py flags) that cannot work (together)."""


@dataclass
class TTAReport:
    """What adaptation did: steps, losses, shares, entropy and feature gap before/after, and
    why it stopped."""

    steps_done: int = 0
    stopped_by_guard: bool = False
    reason: Optional[str] = None
    num_parameters: int = 0
    losses: List[float] = field(default_factory=list)
    entropy_before: float = float('nan')
    entropy_after: float = float('nan')
    shares_before: List[float] = field(default_factory=list)
    shares_after: List[float] = field(default_factory=list)
    source_shares: Optional[List[float]] = None
    feature_gap_before: Optional[float] = None
    feature_gap_after: Optional[float] = None

    def as_dict(self) -> Dict:
        """Plain data (for JSON and weights-only checkpoints)."""
        return asdict(self)


class TestTimeAdapter:
    """Adapt ``model`` on batches of target images (see module doc).

    Args:
        steps: optimisation steps (the loader is cycled).
        lr: AdamW learning rate (no weight decay: the source weights are the prior).
        align_weight: weight of the feature-alignment term (needs ``source`` in ``adapt``).
        flip_weight: weight of the flip-consistency term.
        entropy_weight: weight of the prediction entropy (Tent).
        band: the ``CollapseGuard`` band.
        monitor_batches: how many target batches the guard watches.
        adapters, norms: which parameter groups adapt.
    """

    def __init__(self,
                 steps: int = 20,
                 lr: float = 3e-4,
                 align_weight: float = 1.0,
                 flip_weight: float = 1.0,
                 entropy_weight: float = 0.0,
                 band: float = 3.0,
                 monitor_batches: int = 4,
                 adapters: bool = True,
                 norms: bool = True) -> None:
        if steps < 1 or lr <= 0 or monitor_batches < 1:
            raise TTASettingsError('TTA needs steps >= 1, lr > 0 and monitor_batches >= 1')
        weights = dict(
            align_weight=align_weight, flip_weight=flip_weight, entropy_weight=entropy_weight)
        if min(weights.values()) < 0 or not any(weights.values()):
            raise TTASettingsError(
                f'TTA objective weights must be >= 0, one of them > 0: {weights}')
        self.steps, self.lr = int(steps), float(lr)
        self.align_weight, self.flip_weight = float(align_weight), float(flip_weight)
        self.entropy_weight = float(entropy_weight)
        self.guard = CollapseGuard(band)
        self.monitor_batches = int(monitor_batches)
        self.groups = dict(adapters=adapters, norms=norms)

    @torch.no_grad()
    def _statistics(self, model, batches, features, source) -> tuple:
        """(class shares, mean entropy, feature gap or None) on the preprocessed monitor batches."""
        logits, gaps = [], []
        for batch in batches:
            logits.append(model(batch['inputs'], batch['data_samples'], mode='tensor'))
            if source is not None:
                gaps.append(float(alignment_loss(features.moments(), source)))
        pixels = torch.cat([lg.movedim(1, -1).reshape(-1, lg.shape[1]) for lg in logits])
        gap = sum(gaps) / len(gaps) if gaps else None
        return class_shares(pixels), float(entropy(pixels.softmax(1))), gap

    def _diverged(self, gap_before: Optional[float], gap_now: Optional[float]) -> Optional[str]:
        """A sentence when the feature gap on the monitor batches grew past band x its start."""
        if gap_before is None or gap_now <= self.guard.band * gap_before:
            return None
        return (f'the feature gap to the source rose from {gap_before:.3f} to {gap_now:.3g} '
                '(diverging: lower --lr)')

    def _loss(self, model, data, features, source) -> torch.Tensor:
        """The weighted objective on one preprocessed batch."""
        logits = model(data['inputs'], data['data_samples'], mode='tensor')
        loss = logits.new_zeros(())
        if self.align_weight:
            loss = loss + self.align_weight * alignment_loss(features.moments(), source)
        if self.flip_weight or self.entropy_weight:
            flipped = (
                mirrored_logits(model, data['inputs'], data['data_samples'])
                if self.flip_weight else logits)
            loss = loss + tta_loss(logits, flipped, self.flip_weight, self.entropy_weight)[0]
        return loss

    def adapt(self,
              model: torch.nn.Module,
              loader: Iterable,
              source: Optional[SourceStatistics] = None) -> TTAReport:
        """Run the guarded adaptation in place; returns the report."""
        if self.align_weight and source is None:
            raise TTASettingsError(
                'feature alignment (align_weight > 0) needs the source statistics '
                '(tools/tta.py --source-data or --source-stats); or set '
                'align_weight 0 for the source-free objective')
        model.eval()
        requires_grad = {n: p.requires_grad for n, p in model.named_parameters()}
        params = select_tta_parameters(model, **self.groups)
        optimizer = torch.optim.AdamW(params.values(), lr=self.lr, weight_decay=0.0)
        initial = {n: p.detach().clone() for n, p in params.items()}
        preprocess = model.data_preprocessor
        monitor = [preprocess(b, False) for b in islice(loader, self.monitor_batches)]
        if not monitor:
            raise ValueError('test-time adaptation got an empty target loader')
        device = monitor[0]['inputs'].device
        reference = source.to(device) if source is not None else None
        hook = BackboneFeatures(model) if reference is not None else nullcontext()
        with hook as features:
            shares, before, gap = self._statistics(model, monitor, features, reference)
            self.guard.set_reference(shares, None if source is None else source.shares)
            report = TTAReport(
                num_parameters=sum(p.numel() for p in params.values()),
                entropy_before=before,
                shares_before=shares.tolist(),
                feature_gap_before=gap,
                source_shares=None if source is None else source.shares.tolist())
            try:
                for batch in islice(cycle(loader), self.steps):
                    with torch.enable_grad():
                        loss = self._loss(model, preprocess(batch, False), features, reference)
                        optimizer.zero_grad()
                        loss.backward()
                        optimizer.step()
                    report.losses.append(round(float(loss.detach()), 6))
                    shares, entropy_now, gap_now = self._statistics(model, monitor, features,
                                                                    reference)
                    reason = self.guard.check(shares) or self._diverged(gap, gap_now)
                    if not (torch.isfinite(loss) and entropy_now == entropy_now):
                        reason = 'the loss or the predictions became non-finite (lower --lr)'
                    if reason:
                        with torch.no_grad():
                            for name, param in params.items():
                                param.copy_(initial[name])
                        report.stopped_by_guard, report.reason = True, reason
                        break
                    report.steps_done += 1
            finally:
                for name, param in model.named_parameters():
                    param.requires_grad_(requires_grad[name])
            shares, report.entropy_after, report.feature_gap_after = self._statistics(
                model, monitor, features, reference)
        report.shares_after = shares.tolist()
        return report
