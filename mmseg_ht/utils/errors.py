"""The base of every exception the package raises for a problem the user can fix.

Each one keeps its builtin base too (``class CaptionTableError(MmsegHtError,
ValueError)``), so ``except ValueError`` code keeps working, while a tool's
``main`` (decorated with :func:`mmseg_ht.utils.cli.cli_main`) turns any of them
into one ``<tool>: error: <message>`` line and exit code 2 instead of a
traceback. This module imports nothing from mmseg_ht: every module may import it.
"""


class MmsegHtError(Exception):
    """An input the user can fix; the message names the file, what was wrong and what to do."""
