"""The conversion steps every converter shares: check paths, split, load, crop, write, report.

Each converter only supplies ``discover`` (release layout -> list of ``Sample``)
and its split ratios; everything written to OUT_DIR is produced here:
``img_dir/{train,val,test}/<stem>.png``, ``ann_dir/{train,val,test}/<stem>.png``,
``labels.csv`` (filename,label,split,source,group), ``spacing.csv`` (the pixel
size of every written image, see ``spacing_table``) and ``conversion_report.json``.
"""
import csv
import shutil
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from mmengine.utils import track_iter_progress

from .context import ConversionContext, ConvertOptions
from .crop import crop_to_content
from .errors import ConversionError, CorruptImageError, OutputExistsError, SourceLayoutError
from .image_io import write_png
from .naming import unique_stems
from .report import ConversionReport
from .sample import Sample
from .source_files import clear_cache
from .spacing_table import SPACING_COLUMNS, SPACING_FILE, spacing_row
from .splits import Ratios, assign_splits

OUTPUT_DIRS = ('img_dir', 'ann_dir')
LABELS_FILE = 'labels.csv'
REPORT_FILE = 'conversion_report.json'
LABEL_COLUMNS = ('filename', 'label', 'split', 'source', 'group')

Discover = Callable[[ConversionContext], List[Sample]]


def _existing_output(out: Path) -> List[Path]:
    """Non-empty output folders of an earlier conversion in ``out``."""
    return [out / n for n in OUTPUT_DIRS if (out / n).is_dir() and any((out / n).iterdir())]


def check_output(src: Path, out: Path, overwrite: bool) -> None:
    """Refuse OUT_DIR inside SRC_DIR, or holding an earlier conversion (unless ``overwrite``)."""
    if out == src or src in out.parents:
        raise ConversionError(f'OUT_DIR {out} must not be SRC_DIR {src} or lie inside it')
    for name in OUTPUT_DIRS:
        if (out / name) in src.parents:
            raise ConversionError(f'SRC_DIR {src} lies inside the output folder {out / name}')
    existing = _existing_output(out)
    if existing and not overwrite:
        raise OutputExistsError(
            f'{out} already holds a converted data set ({", ".join(p.name for p in existing)}). '
            'Pass --overwrite (overwrite=True) to replace it, or choose another OUT_DIR.')


def clear_output(out: Path) -> None:
    """Remove the files of an earlier conversion from OUT_DIR and create it if needed."""
    for path in _existing_output(out):
        shutil.rmtree(path)
    for name in (LABELS_FILE, REPORT_FILE, SPACING_FILE):
        (out / name).unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)


def split_samples(samples: List[Sample], seed: int, ratios: Ratios,
                  stratify_by_label: bool) -> List[str]:
    """Split of every sample: its fixed split, else a seeded split of its group."""
    free = [s for s in samples if s.fixed_split is None]
    strata: Optional[Dict[str, str]] = None
    if stratify_by_label:
        strata = {}
        for sample in free:
            strata.setdefault(sample.group_key, sample.label or '')
    by_group = assign_splits([s.group_key for s in free], seed, ratios, strata)
    return [s.fixed_split or by_group[s.group_key] for s in samples]


def _write_csv(path: Path, columns: Sequence[str], rows: List[Mapping[str, str]]) -> None:
    """A CSV file with one row per written image."""
    with open(path, 'w', newline='') as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator='\n')
        writer.writeheader()
        writer.writerows(rows)


def _write_samples(samples: List[Sample], stems: List[str], splits: List[str], out: Path,
                   ctx: ConversionContext) -> Tuple[List[Dict[str, str]], List[Dict[str, str]]]:
    """Load, optionally crop and write every sample; return the labels.csv and spacing.csv
    rows."""
    rows, spacing_rows = [], []
    for sample, stem, split in track_iter_progress(list(zip(samples, stems, splits))):
        try:
            pair = sample.load()
        except CorruptImageError as error:
            if not ctx.options.skip_corrupt:
                raise
            bad = ctx.relative(Path(error.path)) if error.path else sample.source
            ctx.report.skip(bad, 'unreadable or corrupt file')
            continue
        if ctx.options.crop_borders:
            pair.image, pair.mask, outcome = crop_to_content(pair.image, pair.mask)
            ctx.report.add_crop(sample.source, outcome)
        filename = f'{stem}.png'
        write_png(out / 'img_dir' / split / filename, pair.image)
        write_png(out / 'ann_dir' / split / filename, pair.mask)
        ctx.report.add_written(split, sample.label, sample.source, sample.group_key, pair)
        rows.append(
            dict(
                filename=filename,
                label=sample.label or '',
                split=split,
                source=sample.source,
                group=sample.group or ''))
        spacing_rows.append(
            spacing_row(f'img_dir/{split}/{filename}', pair.spacing_mm, pair.spacing_source,
                        pair.image_format))
    return rows, spacing_rows


def run_conversion(name: str,
                   src: Union[str, Path],
                   out: Union[str, Path],
                   discover: Discover,
                   options: ConvertOptions,
                   ratios: Ratios,
                   stratify_by_label: bool = False,
                   extra_options: Optional[Mapping[str, Any]] = None) -> ConversionReport:
    """Convert the release at ``src`` into the mmseg layout at ``out``; return the report."""
    src, out = Path(src).expanduser().resolve(), Path(out).expanduser().resolve()
    if not src.is_dir():
        raise SourceLayoutError(f'source folder {src} does not exist')
    check_output(src, out, options.overwrite)
    report = ConversionReport(
        dataset=name,
        source=str(src),
        output=str(out),
        seed=options.seed,
        options={
            **options.as_dict(),
            **(extra_options or {})
        })
    ctx = ConversionContext(src=src, options=options, report=report)
    clear_cache()  # files may have changed since an earlier conversion in this process
    try:
        samples = discover(ctx)
        if not samples:
            raise SourceLayoutError(f'no usable image/mask pairs found in {src} for {name}')
        report.grouped = any(s.group is not None for s in samples)
        stems = unique_stems(s.name for s in samples)
        splits = split_samples(samples, options.seed, ratios, stratify_by_label)
        clear_output(out)
        try:
            rows, spacing_rows = _write_samples(samples, stems, splits, out, ctx)
        except ConversionError as error:
            error.add_note(f'{out} is incomplete now: fix the problem, then re-run with '
                           '--overwrite.')
            raise
    finally:
        clear_cache()
    _write_csv(out / LABELS_FILE, LABEL_COLUMNS, rows)
    _write_csv(out / SPACING_FILE, SPACING_COLUMNS, spacing_rows)
    report.save(out / REPORT_FILE)
    return report
