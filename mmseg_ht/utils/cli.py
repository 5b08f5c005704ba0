"""One exit style for the command-line tools under ``tools/``.

Every tool ends in ``sys.exit(main())`` with ``main`` decorated by :func:`cli_main`:
the package's own errors (:class:`~mmseg_ht.utils.errors.MmsegHtError`, messages
written for the user) print as one line, as argparse prints a usage error, and
exit with 2; anything else is a bug and keeps its traceback.
"""
import functools
import os.path as osp
import sys
from typing import Callable, Optional

from .errors import MmsegHtError


def error_message(error: BaseException) -> str:
    """``error``'s message, with any notes added to it (``add_note``) on their own lines."""
    notes = ''.join(f'\n{note}' for note in getattr(error, '__notes__', ()))
    return f'{error}{notes}'


def cli_main(main: Callable[..., Optional[int]]) -> Callable[..., int]:
    """Decorate a tool's ``main``: its exit code, with the package's errors as exit code 2.

    The wrapped ``main`` returns what ``main`` returns (``None`` becomes 0). A
    :class:`MmsegHtError` is printed to stderr as ``<prog>: error: <message>``,
    ``prog`` being the running script's file name (``sys.argv[0]``, e.g. ``infer.py``),
    and 2 is returned.
    """

    @functools.wraps(main)
    def wrapper(*args, **kwargs) -> int:
        try:
            status = main(*args, **kwargs)
        except MmsegHtError as error:
            prog = osp.basename(sys.argv[0]) if sys.argv and sys.argv[0] else 'mmseg_ht'
            sys.stdout.flush()
            print(f'{prog}: error: {error_message(error)}', file=sys.stderr)
            return 2
        return 0 if status is None else status

    return wrapper
