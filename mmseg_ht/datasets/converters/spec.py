"""How the command-line front end sees one converter."""
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from .report import ConversionReport


@dataclass(frozen=True)
class ConverterSpec:
    """Name, one-line description, convert function and converter-specific options.

    ``flags`` maps an on/off flag (``'--include-normal'``) to its help text; the
    flag's value is passed to ``convert`` as the keyword ``include_normal``.
    ``options`` maps an option taking a value (``'--nifti-axis'``) to its argparse
    keywords (type, default, choices, help), passed to ``convert`` the same way.
    """

    name: str
    description: str
    convert: Callable[..., ConversionReport]
    source_layout: str
    flags: Mapping[str, str] = field(default_factory=dict)
    options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
