"""TestTimeAdapter: entropy + flip-consistency steps on unlabelled target batches, guarded.

The model stays in eval mode (no dropout; batch-norm statistics are not
re-estimated, only affine parameters move). Before every step the adapted
parameters are copied; after it the guard checks the class shares on a fixed
set of monitored target batches, and on a collapse the copy is restored and
adaptation stops.
"""
from dataclasses import asdict, dataclass, field
from itertools import cycle, islice
from typing import Dict, Iterable, List, Optional

import torch

from .objective import class_shares, entropy, flip_logits, tta_loss
from .parameters import select_tta_parameters
from .safeguard import CollapseGuard


@dataclass
class TTAReport:
    """What adaptation did: steps, losses, shares before/after and why it stopped."""

    steps_done: int = 0
    stopped_by_guard: bool = False
    reason: Optional[str] = None
    num_parameters: int = 0
    losses: List[float] = field(default_factory=list)
    entropy_before: float = float('nan')
    entropy_after: float = float('nan')
    shares_before: List[float] = field(default_factory=list)
    shares_after: List[float] = field(default_factory=list)

    def as_dict(self) -> Dict:
        """Plain data (for JSON and weights-only checkpoints)."""
        return asdict(self)


class TestTimeAdapter:
    """Adapt ``model`` on batches of target images (see module doc).

    Args:
        steps: optimisation steps (the loader is cycled).
        lr: AdamW learning rate (no weight decay: the source weights are the prior).
        flip_weight: weight of the flip-consistency term.
        band, slack: the ``CollapseGuard`` band.
        monitor_batches: how many target batches the guard watches.
        adapters, norms: which parameter groups adapt.
    """

    def __init__(self,
                 steps: int = 10,
                 lr: float = 1e-4,
                 flip_weight: float = 1.0,
                 band: float = 2.0,
                 slack: float = 0.02,
                 monitor_batches: int = 2,
                 adapters: bool = True,
                 norms: bool = True) -> None:
        if steps < 1 or lr <= 0 or monitor_batches < 1:
            raise ValueError('TTA needs steps >= 1, lr > 0 and monitor_batches >= 1')
        self.steps, self.lr, self.flip_weight = int(steps), float(lr), float(flip_weight)
        self.guard = CollapseGuard(band, slack)
        self.monitor_batches = int(monitor_batches)
        self.groups = dict(adapters=adapters, norms=norms)

    @torch.no_grad()
    def _statistics(self, model, batches) -> tuple:
        """(class shares, mean entropy) of the model on the preprocessed monitor batches."""
        logits = [model(b['inputs'], b['data_samples'], mode='tensor') for b in batches]
        pixels = torch.cat([lg.movedim(1, -1).reshape(-1, lg.shape[1]) for lg in logits])
        return class_shares(pixels), float(entropy(pixels.softmax(1)))

    def adapt(self, model: torch.nn.Module, loader: Iterable) -> TTAReport:
        """Run the guarded adaptation in place; returns the report."""
        model.eval()
        requires_grad = {n: p.requires_grad for n, p in model.named_parameters()}
        params = select_tta_parameters(model, **self.groups)
        optimizer = torch.optim.AdamW(params.values(), lr=self.lr, weight_decay=0.0)
        preprocess = model.data_preprocessor
        monitor = [preprocess(b, False) for b in islice(loader, self.monitor_batches)]
        if not monitor:
            raise ValueError('test-time adaptation got an empty target loader')
        shares, before = self._statistics(model, monitor)
        self.guard.set_reference(shares)
        report = TTAReport(
            num_parameters=sum(p.numel() for p in params.values()),
            entropy_before=before,
            shares_before=shares.tolist())
        try:
            for batch in islice(cycle(loader), self.steps):
                saved = {n: p.detach().clone() for n, p in params.items()}
                data = preprocess(batch, False)
                with torch.enable_grad():
                    logits, flipped = flip_logits(model, data['inputs'], data['data_samples'])
                    loss, _ = tta_loss(logits, flipped, self.flip_weight)
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()
                report.losses.append(round(float(loss.detach()), 6))
                shares, entropy_now = self._statistics(model, monitor)
                reason = self.guard.check(shares)
                if not (torch.isfinite(loss) and entropy_now == entropy_now):
                    reason = 'the loss or the predictions became non-finite (lower --lr)'
                if reason:
                    with torch.no_grad():
                        for name, param in params.items():
                            param.copy_(saved[name])
                    report.stopped_by_guard, report.reason = True, reason
                    break
                report.steps_done += 1
        finally:
            for name, param in model.named_parameters():
                param.requires_grad_(requires_grad[name])
        shares, report.entropy_after = self._statistics(model, monitor)
        report.shares_after = shares.tolist()
        return report
