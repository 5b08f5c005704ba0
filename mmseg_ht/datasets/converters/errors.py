"""Exceptions of the data set converters.

Every one carries a message meant for the user (what is wrong, which file, how
to fix it), so the command-line tools print it without a traceback.
"""
from mmseg_ht.utils.errors import MmsegHtError


class ConversionError(MmsegHtError, RuntimeError):
    """A problem with the source data or the output folder that the user must fix."""


class SourceLayoutError(ConversionError):
    """The source folder does not look like the release the converter expects."""


class CorruptImageError(ConversionError):
    """An image, mask or volume file cannot be decoded; ``path`` names that file."""

    def __init__(self, message: str, path: str = '') -> None:
        super().__init__(message)
        self.path = path


class UnpairedFilesError(ConversionError):
    """Images without a mask and/or masks without an image."""


class MaskSizeMismatchError(ConversionError):
    """A mask (or annotation volume) does not have the size of its image."""


class OutputExistsError(ConversionError):
    """The output folder already holds a converted data set."""
