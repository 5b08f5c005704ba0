"""Options shared by every converter and the context handed to a converter's discovery step."""
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Dict, Sequence, Tuple, Union

from mmseg_ht.utils import list_names
from .errors import UnpairedFilesError
from .report import ConversionReport

MAX_LISTED = 10  # file names listed in an error message


@dataclass(frozen=True)
class ConvertOptions:
    """Command-line options common to all converters (see ``cli.add_common_arguments``)."""

    seed: int = 0
    crop_borders: bool = False
    skip_corrupt: bool = False
    skip_unpaired: bool = False
    overwrite: bool = False

    def as_dict(self) -> Dict[str, Any]:
        """Plain dict, for the report."""
        return asdict(self)


def list_files(paths: Sequence[str]) -> str:
    """The first ``MAX_LISTED`` names in the given order, one per indented line."""
    return '  ' + list_names(paths, MAX_LISTED, sep='\n  ', sort=False)


@dataclass
class ConversionContext:
    """Source folder, options and report of a running conversion."""

    src: Path
    options: ConvertOptions
    report: ConversionReport

    def relative(self, path: Union[Path, str]) -> str:
        """``path`` relative to the source folder (as shown in labels.csv and the report).

        Strings are descriptions (e.g. ``'12.xml, image 2'``) and are returned unchanged.
        """
        if isinstance(path, str):
            return path
        try:
            return path.relative_to(self.src).as_posix()
        except ValueError:
            return str(path)

    def skip(self, path: Union[Path, str], reason: str) -> None:
        """Record a skipped source file."""
        self.report.skip(self.relative(path), reason)

    def handle_unpaired(
        self,
        images_without_masks: Sequence[Union[Path, str]],
        masks_without_images: Sequence[Union[Path, str]],
        unusable: Sequence[Tuple[Union[Path, str], str]] = ()
    ) -> None:
        """Raise ``UnpairedFilesError`` listing them, or skip them with ``skip_unpaired``.

        ``unusable`` holds (file, reason) pairs of files beside a sample that cannot be
        used (unknown type, several masks for one image, frame counts that differ).
        """
        if not images_without_masks and not masks_without_images and not unusable:
            return
        if self.options.skip_unpaired:
            for path in images_without_masks:
                self.skip(path, 'image without mask')
            for path in masks_without_images:
                self.skip(path, 'mask without image')
            for path, reason in unusable:
                self.skip(path, reason)
            return
        parts = []
        if unusable:
            lines = sorted(f'{self.relative(p)}: {reason}' for p, reason in unusable)
            parts.append(f'{len(lines)} file(s) that cannot be used:\n{list_files(lines)}')
        if images_without_masks:
            names = sorted(self.relative(p) for p in images_without_masks)
            parts.append(f'{len(names)} image(s) without a mask:\n{list_files(names)}')
        if masks_without_images:
            names = sorted(self.relative(p) for p in masks_without_images)
            parts.append(f'{len(names)} mask(s) without an image:\n{list_files(names)}')
        raise UnpairedFilesError(
            f'unpaired files in {self.src}:\n' + '\n'.join(parts) +
            '\nAdd or fix the files, or pass --skip-unpaired (skip_unpaired=True) '
            'to skip them and count them in the report.')
