"""One converter: how it finds the samples of a release, how it splits them, its command line."""
import inspect
import sys
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Union

from .context import ConversionContext, ConvertOptions
from .pipeline import run_conversion
from .report import ConversionReport
from .sample import Sample
from .splits import Ratios


@dataclass(frozen=True)
class ConverterSpec:
    """Name, discovery step, split ratios, converter-specific options and description.

    ``discover(ctx, **settings)`` lists the release's samples; ``convert`` runs
    the shared pipeline (``run_conversion``) with it. The converter's own
    settings are ``discover``'s keyword arguments: ``flags`` maps an on/off flag
    (``'--include-normal'``) to its help text, ``options`` an option taking a
    value (``'--nifti-axis'``) to its argparse keywords (type, default, choices,
    help); each is passed to ``discover`` as the keyword of the same name
    (``include_normal``) and recorded in the report. ``description`` defaults to
    the first line of the docstring of ``discover``'s module.
    """

    name: str
    discover: Callable[..., List[Sample]]
    ratios: Ratios
    source_layout: str
    stratify_by_label: bool = False
    flags: Mapping[str, str] = field(default_factory=dict)
    options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    description: str = ''

    def __post_init__(self) -> None:
        if not self.description:
            doc = sys.modules[self.discover.__module__].__doc__ or self.name
            object.__setattr__(self, 'description', doc.strip().splitlines()[0])

    def settings(self, **given: Any) -> Dict[str, Any]:
        """The converter's own settings: ``discover``'s keyword defaults, updated by ``given``."""
        parameters = list(inspect.signature(self.discover).parameters.values())[1:]
        defaults = {p.name: p.default for p in parameters}
        unknown = sorted(set(given) - set(defaults))
        if unknown:
            raise TypeError(f'the {self.name} converter has no setting {", ".join(unknown)}; '
                            f'its settings: {", ".join(defaults) or "none"}')
        return {**defaults, **given}

    def convert(self,
                src: Union[str, Path],
                out: Union[str, Path],
                options: ConvertOptions = ConvertOptions(),
                **settings: Any) -> ConversionReport:
        """Convert the release at ``src`` into the mmseg layout at ``out``; return the report.

        ``settings``: the converter's own (see ``settings``), e.g. ``include_normal=True``.
        """
        chosen = self.settings(**settings)
        discover: Callable[[ConversionContext], List[Sample]] = partial(self.discover, **chosen)
        return run_conversion(
            self.name,
            src,
            out,
            discover,
            options,
            self.ratios,
            stratify_by_label=self.stratify_by_label,
            extra_options=chosen)
