"""How the command-line front end sees one converter."""
from dataclasses import dataclass, field
from typing import Callable, Mapping

from .report import ConversionReport


@dataclass(frozen=True)
class ConverterSpec:
    """Name, one-line description, convert function and converter-specific on/off flags.

    ``flags`` maps a flag (``'--include-normal'``) to its help text; the flag's
    value is passed to ``convert`` as the keyword ``include_normal``.
    """

    name: str
    description: str
    convert: Callable[..., ConversionReport]
    source_layout: str
    flags: Mapping[str, str] = field(default_factory=dict)
