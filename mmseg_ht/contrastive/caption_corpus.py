"""Building the stage-1 corpus: clean captions, check images, shuffle, split 9:1, report.

Text cleaning (``caption_cleaning``) and image checking (``check_image``) are
separate steps, so captions can be audited without the images. A row is
dropped for the first reason that applies, in this order: caption empty,
caption too short, image field empty, image missing, image unreadable.
The split is by image (all captions of one image land in the same split),
shuffled with ``seed``; ``val_fraction`` of the images (rounded, at least one
when there are two or more) go to validation.
"""
import json
import random
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

from mmseg_ht.datasets.image_io import DataValidationError, decode_image_bytes
from .caption_cleaning import MIN_CAPTION_LENGTH, check_caption
from .caption_table import iter_pairs

IMAGE_FIELD_EMPTY = 'image_field_empty'
IMAGE_MISSING = 'image_missing'
IMAGE_UNREADABLE = 'image_unreadable'
DROP_REASONS = ('caption_empty', 'caption_too_short', IMAGE_FIELD_EMPTY, IMAGE_MISSING,
                IMAGE_UNREADABLE)
REPORT_NAME = 'cleaning_report.json'
EXAMPLES_PER_REASON = 3
REFERENCE_BATCH_SIZE, REFERENCE_EPOCHS = 32, 32


def check_image(path: Path) -> Optional[str]:
    """None when ``path`` is a complete image OpenCV decodes, else the drop reason.

    A cut JPEG/PNG counts as unreadable: OpenCV would decode it with grey rows.
    """
    if not path.is_file():
        return IMAGE_MISSING
    try:
        decode_image_bytes(path.read_bytes(), path, pillow_fallback=False)
    except DataValidationError:
        return IMAGE_UNREADABLE
    return None


@dataclass
class CorpusReport:
    """What happened to every input row; ``to_dict`` is the JSON report."""

    source: str
    image_root: str
    seed: int
    min_length: int
    rows: int = 0
    changed_by_cleaning: int = 0
    dropped: List[Dict[str, object]] = field(default_factory=list)
    split_pairs: Dict[str, int] = field(default_factory=dict)
    split_images: Dict[str, int] = field(default_factory=dict)

    def drop(self, row: int, image: object, caption: object, reason: str) -> None:
        self.dropped.append(
            dict(row=row, image=str(image or ''), caption=str(caption or '')[:200], reason=reason))

    def dropped_by_reason(self) -> Dict[str, int]:
        counts = Counter(item['reason'] for item in self.dropped)
        return {reason: counts.get(reason, 0) for reason in DROP_REASONS}

    def to_dict(self) -> Dict[str, object]:
        train = self.split_pairs.get('train', 0)
        iters = -(-train // REFERENCE_BATCH_SIZE) if train else 0
        return dict(
            source=self.source,
            image_root=self.image_root,
            seed=self.seed,
            min_caption_length=self.min_length,
            rows=self.rows,
            kept=sum(self.split_pairs.values()),
            changed_by_cleaning=self.changed_by_cleaning,
            dropped=dict(
                count=len(self.dropped), by_reason=self.dropped_by_reason(), rows=self.dropped),
            splits=dict(pairs=self.split_pairs, images=self.split_images),
            schedule=dict(
                batch_size=REFERENCE_BATCH_SIZE,
                iters_per_epoch=iters,
                max_iters_32_epochs=REFERENCE_EPOCHS * iters))

    def summary(self) -> str:
        data = self.to_dict()
        lines = [
            f'{self.source}: {self.rows} rows, kept {data["kept"]} '
            f'(train {self.split_pairs.get("train", 0)}, val {self.split_pairs.get("val", 0)}), '
            f'dropped {len(self.dropped)}; captions changed by cleaning: '
            f'{self.changed_by_cleaning}'
        ]
        for reason, count in data['dropped']['by_reason'].items():
            examples = [f'row {d["row"]}' for d in self.dropped if d['reason'] == reason]
            more = ', …' if len(examples) > EXAMPLES_PER_REASON else ''
            lines.append(f'  {reason:<18} {count:>6}' + (
                f'  ({", ".join(examples[:EXAMPLES_PER_REASON])}{more})' if count else ''))
        schedule = data['schedule']
        if schedule['iters_per_epoch']:
            lines.append(f'  32 epochs at batch 32 = {schedule["max_iters_32_epochs"]} iterations '
                         f'({schedule["iters_per_epoch"]}/epoch): train with --cfg-options '
                         f'train_cfg.max_iters={schedule["max_iters_32_epochs"]} '
                         f'train_cfg.val_interval={4 * schedule["iters_per_epoch"]}')
        return '\n'.join(lines)


def _split_images(images: List[str], seed: int, val_fraction: float) -> Dict[str, str]:
    order = list(images)
    random.Random(seed).shuffle(order)
    num_val = round(len(order) * val_fraction)
    if len(order) >= 2:
        num_val = min(max(num_val, 1), len(order) - 1)
    return {image: ('val' if i < num_val else 'train') for i, image in enumerate(order)}


def build_caption_corpus(table: Path,
                         out_dir: Path,
                         image_root: Optional[Path] = None,
                         image_key: Optional[str] = None,
                         caption_key: Optional[str] = None,
                         seed: int = 0,
                         val_fraction: float = 0.1,
                         min_length: int = MIN_CAPTION_LENGTH,
                         check_images: bool = True) -> CorpusReport:
    """Clean ``table`` and write ``train.json``, ``val.json`` and the report to ``out_dir``.

    The annotation files use the OpenMMLab 2.0 format (``metainfo`` +
    ``data_list`` of ``dict(img_path, text)``); ``img_path`` is relative to
    ``metainfo.image_root`` (absolute), so images are never copied.
    """
    table, out_dir = Path(table), Path(out_dir)
    image_root = Path(image_root or table.parent).resolve()
    report = CorpusReport(
        source=str(table), image_root=str(image_root), seed=seed, min_length=min_length)
    pairs_by_image: 'OrderedDict[str, List[Dict]]' = OrderedDict()
    for row, image, caption in iter_pairs(table, image_key, caption_key):
        report.rows += 1
        text, reason = check_caption(caption, min_length)
        image_name = str(image).strip() if image is not None else ''
        if reason is None and not image_name:
            reason = IMAGE_FIELD_EMPTY
        if reason is None and check_images:
            reason = check_image(image_root / image_name)
        if reason is not None:
            report.drop(row, image, caption, reason)
            continue
        report.changed_by_cleaning += int(text != str(caption))
        pairs_by_image.setdefault(image_name,
                                  []).append(dict(img_path=image_name, text=text, source_row=row))
    assignment = _split_images(list(pairs_by_image), seed, val_fraction)
    out_dir.mkdir(parents=True, exist_ok=True)
    for split in ('train', 'val'):
        images = [img for img in pairs_by_image if assignment[img] == split]
        data_list = [pair for img in images for pair in pairs_by_image[img]]
        report.split_pairs[split], report.split_images[split] = len(data_list), len(images)
        metainfo = dict(
            dataset='image-caption pairs',
            split=split,
            image_root=str(image_root),
            source=str(table),
            seed=seed)
        with open(out_dir / f'{split}.json', 'w', encoding='utf-8') as handle:
            json.dump(
                dict(metainfo=metainfo, data_list=data_list), handle, ensure_ascii=False, indent=1)
    with open(out_dir / REPORT_NAME, 'w', encoding='utf-8') as handle:
        json.dump(report.to_dict(), handle, ensure_ascii=False, indent=1)
    return report
