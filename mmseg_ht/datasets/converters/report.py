"""``conversion_report.json``: what was written, skipped and changed, and a printable summary."""
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

from .crop import CropOutcome
from .sample import LoadedPair
from .splits import SPLITS

UNLABELLED = 'unlabelled'
IMAGE_FORMAT = '8-bit single-channel (grayscale) PNG'
MASK_FORMAT = 'uint8 single-channel PNG, 0 = background, 1 = foreground'
SUMMARY_EXAMPLES = 3  # skipped files named per reason in the printed summary


@dataclass
class ConversionReport:
    """Counters filled while converting; ``to_dict`` is what lands in the JSON file."""

    dataset: str
    source: str
    output: str
    seed: int
    options: Dict[str, Any]
    counts: Dict[str, int] = field(default_factory=lambda: {s: 0 for s in SPLITS})
    counts_per_class: Dict[str,
                           Counter] = field(default_factory=lambda: {s: Counter()
                                                                     for s in SPLITS})
    groups_per_split: Dict[str, set] = field(default_factory=lambda: defaultdict(set))
    empty_masks: Dict[str, int] = field(default_factory=lambda: {s: 0 for s in SPLITS})
    skipped: List[Dict[str, str]] = field(default_factory=list)
    masks_binarised: List[str] = field(default_factory=list)
    masks_merged: List[str] = field(default_factory=list)
    images_converted_to_gray: List[str] = field(default_factory=list)
    cropped: int = 0
    crop_not_found: List[str] = field(default_factory=list)
    crop_expanded_for_mask: List[str] = field(default_factory=list)
    grouped: bool = False
    image_formats: Counter = field(default_factory=Counter)
    mask_formats: Counter = field(default_factory=Counter)
    spacing_sources: Counter = field(default_factory=Counter)  # samples with spacing, by source
    without_spacing: List[str] = field(default_factory=list)

    def skip(self, file: str, reason: str) -> None:
        """Record a source file that was not converted, and why."""
        self.skipped.append({'file': file, 'reason': reason})

    def add_written(self, split: str, label: Optional[str], source: str, group: str,
                    pair: LoadedPair) -> None:
        """Count one written image/mask pair."""
        self.counts[split] += 1
        self.counts_per_class[split][label or UNLABELLED] += 1
        self.groups_per_split[split].add(group)
        self.empty_masks[split] += int(not pair.mask.any())
        if pair.mask_binarised:
            self.masks_binarised.append(source)
        if pair.masks_merged > 1:
            self.masks_merged.append(source)
        if pair.colour_dropped:
            self.images_converted_to_gray.append(source)
        self.image_formats[pair.image_format] += 1
        self.mask_formats[pair.mask_format or 'annotation file'] += 1
        if pair.spacing_mm is None:
            self.without_spacing.append(source)
        else:
            self.spacing_sources[pair.spacing_source] += 1

    def spacing_counts(self) -> Dict[str, Any]:
        """Samples with and without a pixel spacing (the former by where it came from)."""
        return {
            'with': sum(self.spacing_sources.values()),
            'without': len(self.without_spacing),
            'by_source': dict(sorted(self.spacing_sources.items()))
        }

    def spacing_note(self) -> Optional[str]:
        """A warning when some samples have a spacing and others do not, else None."""
        counts = self.spacing_counts()
        if not (counts['with'] and counts['without']):
            return None
        return (f'{counts["without"]} of {counts["with"] + counts["without"]} samples have no '
                'pixel spacing: SurfaceMetric reports HD95/ASD of such a mix separately in mm '
                'and px (or give SurfaceMetric(spacing=...) for those without)')

    def add_crop(self, source: str, outcome: CropOutcome) -> None:
        """Count the result of ``--crop-borders`` on one image."""
        self.cropped += int(outcome.cropped)
        if outcome.box is None:
            self.crop_not_found.append(source)
        if outcome.expanded_for_mask:
            self.crop_expanded_for_mask.append(source)

    def skipped_by_reason(self) -> Dict[str, int]:
        """Number of skipped files per reason."""
        return dict(Counter(item['reason'] for item in self.skipped))

    def to_dict(self) -> Dict[str, Any]:
        """JSON-ready content of ``conversion_report.json``."""
        data: Dict[str, Any] = dict(
            dataset=self.dataset,
            source=self.source,
            output=self.output,
            seed=self.seed,
            options=self.options,
            image_format=IMAGE_FORMAT,
            mask_format=MASK_FORMAT,
            counts={
                **self.counts, 'total': sum(self.counts.values())
            },
            counts_per_class={
                s: dict(sorted(c.items()))
                for s, c in self.counts_per_class.items()
            },
            empty_masks=self.empty_masks,
            skipped=dict(
                count=len(self.skipped), by_reason=self.skipped_by_reason(), files=self.skipped),
            masks_binarised=dict(count=len(self.masks_binarised), files=self.masks_binarised),
            masks_merged=dict(count=len(self.masks_merged), files=self.masks_merged),
            images_converted_to_gray=dict(
                count=len(self.images_converted_to_gray), files=self.images_converted_to_gray),
            source_formats=dict(
                images=dict(sorted(self.image_formats.items())),
                masks=dict(sorted(self.mask_formats.items()))),
            spacing=dict(**self.spacing_counts(), unit='mm', files_without=self.without_spacing))
        if self.grouped:
            data['groups_per_split'] = {s: len(self.groups_per_split[s]) for s in SPLITS}
        if self.options.get('crop_borders'):
            data['crop_borders'] = dict(
                cropped=self.cropped,
                field_of_view_not_found=dict(
                    count=len(self.crop_not_found), files=self.crop_not_found),
                expanded_to_keep_mask=dict(
                    count=len(self.crop_expanded_for_mask), files=self.crop_expanded_for_mask))
        return data

    def save(self, path: Path) -> None:
        """Write the report as indented JSON."""
        path.write_text(json.dumps(self.to_dict(), indent=2) + '\n')

    def summary(self) -> str:
        """Human-readable multi-line summary printed at the end of a conversion."""
        total = sum(self.counts.values())
        lines = [
            f'{self.dataset}: {total} image/mask pairs written to {self.output} '
            f'(seed {self.seed})'
        ]
        for split in SPLITS:
            classes = ', '.join(f'{k} {v}' for k, v in sorted(self.counts_per_class[split].items()))
            extra = f', {len(self.groups_per_split[split])} groups' if self.grouped else ''
            lines.append(f'  {split:<5} {self.counts[split]:>6}  ({classes or "-"}; '
                         f'{self.empty_masks[split]} empty masks{extra})')
        lines.append(f'  skipped {len(self.skipped)}')
        for reason, count in sorted(self.skipped_by_reason().items()):
            files = [item['file'] for item in self.skipped if item['reason'] == reason]
            more = ', ...' if count > SUMMARY_EXAMPLES else ''
            examples = ', '.join(files[:SUMMARY_EXAMPLES]) + more
            lines.append(f'    {count:>5}  {reason}: {examples}')
        lines.append(f'  masks merged from several files: {len(self.masks_merged)}; '
                     f'masks binarised by rule: {len(self.masks_binarised)}; '
                     f'colour images converted to gray: {len(self.images_converted_to_gray)}')
        if self.options.get('crop_borders'):
            lines.append(f'  cropped {self.cropped}; box grown to keep mask pixels: '
                         f'{len(self.crop_expanded_for_mask)}; field of view not found: '
                         f'{len(self.crop_not_found)}')
        formats = ', '.join(f'{k} {v}' for k, v in sorted(self.image_formats.items()))
        mask_formats = ', '.join(f'{k} {v}' for k, v in sorted(self.mask_formats.items()))
        lines.append(f'  source formats: images {formats or "-"}; masks {mask_formats or "-"}')
        spacing = self.spacing_counts()
        sources = ', '.join(f'{k} {v}' for k, v in spacing['by_source'].items())
        lines.append(f'  pixel spacing (mm): {spacing["with"]} with' +
                     (f' ({sources})' if sources else '') + f', {spacing["without"]} without')
        if self.spacing_note():
            lines.append(f'  WARNING: {self.spacing_note()}')
        return '\n'.join(lines)
