"""Helpers that shape user-facing messages: lists of names, random-initialisation banners."""
import textwrap
import warnings
from typing import Iterable

from mmengine.logging import MMLogger

BANNER_WIDTH = 78


def list_names(names: Iterable, limit: int = 5, sep: str = ', ', sort: bool = True) -> str:
    """The first ``limit`` names joined by ``sep``, then ``... and N more`` for the rest.

    How error messages name files, keys and values without flooding the screen;
    ``sort=False`` keeps the given order.
    """
    items = [str(name) for name in names]
    if sort:
        items = sorted(items)
    more = len(items) - limit
    return sep.join(items[:limit]) + (f'{sep}... and {more} more' if more > 0 else '')


def warn_random_init(who: str,
                     config_key: str,
                     what: str,
                     consequence: str,
                     remedy: str,
                     stacklevel: int = 2) -> None:
    """Log a loud banner and raise a ``UserWarning``: ``what`` of ``who`` has no weights.

    Args:
        who: the module, e.g. ``'CLIPViT'`` (starts both messages).
        config_key: the config entry that is None, e.g. ``'model.backbone.pretrained'``.
        what: what is random, e.g. ``'the image tower'`` (``'is RANDOMLY INITIALISED'`` follows).
        consequence: what that means for the results.
        remedy: what to set instead.
        stacklevel: of the ``UserWarning``, as the caller would pass it to ``warnings.warn``
            (2: the caller's caller).
    """
    rule = '!' * BANNER_WIDTH
    text = (f'{who}: no pretrained weights given ({config_key}=None). {what[0].upper()}'
            f'{what[1:]} is RANDOMLY INITIALISED. {consequence} {remedy}')
    MMLogger.get_current_instance().warning(
        f'\n{rule}\n{textwrap.fill(text, BANNER_WIDTH)}\n{rule}')
    warnings.warn(
        f'{who}: {what} randomly initialised (no pretrained weights)', stacklevel=stacklevel + 1)
