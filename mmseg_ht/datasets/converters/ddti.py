"""DDTI (Digital Database Thyroid Image, Pedraza et al. 2015) -> mmseg layout.

Release layout: one folder with ``<case>.xml`` and images ``<case>_<n>.jpg``.
Each XML holds ``<mark><image>n</image><svg>[...]</svg></mark>`` blocks whose
svg is a JSON list of regions with ``points`` ({"x", "y"}) polygons; they are
filled with ``cv2.fillPoly`` (several regions are OR-merged). Images without a
usable polygon are skipped with the reason "no annotation" (or "annotation not
valid JSON" for the few truncated svg strings in the release). The optional
``<tirads>`` element (e.g. "4a") becomes the class label. Split: seeded 8:1:1
by case, so all images of a case share a split.
"""
import json
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Set

import numpy as np

from .context import ConversionContext
from .errors import CorruptImageError
from .image_io import corrupt_file_error
from .masks import rasterise_polygons
from .pairing import image_files
from .sample import LoadedPair, Sample, read_image
from .source_files import pairing_stem
from .spec import ConverterSpec
from .splits import RANDOM_8_1_1

NO_ANNOTATION = 'no annotation'
BAD_SVG = 'annotation not valid JSON'
_IMAGE_NAME = re.compile(r'^(?P<case>.+)_(?P<number>\d+)$')


@dataclass
class DDTICase:
    """Annotations of one case XML: TI-RADS label and polygons per image number."""

    tirads: Optional[str] = None
    polygons: Dict[int, List[np.ndarray]] = field(default_factory=lambda: defaultdict(list))
    marked: Set[int] = field(default_factory=set)
    invalid_svg: Set[int] = field(default_factory=set)


def _svg_polygons(svg: str) -> List[np.ndarray]:
    """(N, 2) x/y arrays of the regions of one svg JSON string; < 3 points are dropped."""
    polygons = []
    for region in json.loads(svg) or []:
        points = [(float(p['x']), float(p['y'])) for p in (region or {}).get('points') or []]
        if len(points) >= 3:
            polygons.append(np.asarray(points, dtype=np.float64))
    return polygons


def parse_case_xml(path: Path) -> DDTICase:
    """Read one case XML; raise ``CorruptImageError`` if it is not well-formed."""
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as error:
        raise corrupt_file_error(path, f'not well-formed XML: {error}') from error
    case = DDTICase(tirads=(root.findtext('tirads') or '').strip() or None)
    for mark in root.iter('mark'):
        number_text = (mark.findtext('image') or '').strip()
        if not number_text.isdigit():
            continue
        number = int(number_text)
        case.marked.add(number)
        svg = (mark.findtext('svg') or '').strip()
        if not svg:
            continue
        try:
            case.polygons[number] += _svg_polygons(svg)
        except (ValueError, TypeError, KeyError, AttributeError):
            case.invalid_svg.add(number)
    return case


def load_ddti_image(image_path: Path, polygons: Sequence[np.ndarray]) -> LoadedPair:
    """Read a DDTI image and rasterise its polygons into a 0/1 mask of the same size."""
    image, colour_dropped, frame = read_image(image_path)
    return LoadedPair(
        image=image,
        mask=rasterise_polygons(polygons, image.shape[:2]),
        colour_dropped=colour_dropped,
        spacing_mm=frame.spacing_mm,
        spacing_source=frame.spacing_source,
        image_format=frame.source_format)


def _case_samples(ctx: ConversionContext, xml_path: Path, images: Dict[int, Path],
                  unpaired_masks: List[str]) -> List[Sample]:
    """Samples of one case; images without usable polygons are skipped with a reason."""
    try:
        case = parse_case_xml(xml_path)
    except CorruptImageError:
        if not ctx.options.skip_corrupt:
            raise
        ctx.skip(xml_path, 'unreadable or corrupt file')
        for image in images.values():
            ctx.skip(image, 'annotation file unreadable')
        return []
    samples = []
    for number, image in sorted(images.items()):
        if number in case.invalid_svg and not case.polygons.get(number):
            ctx.skip(image, BAD_SVG)
        elif not case.polygons.get(number):
            ctx.skip(image, NO_ANNOTATION)
        else:
            samples.append(
                Sample(
                    name=image.stem,
                    source=ctx.relative(image),
                    label=case.tirads,
                    group=f'case {xml_path.stem}',
                    load=partial(load_ddti_image, image, case.polygons[number])))
    for number in sorted(case.polygons.keys() - images.keys()):
        unpaired_masks.append(f'{ctx.relative(xml_path)} (image {number})')
    return samples


def discover_ddti(ctx: ConversionContext) -> List[Sample]:
    """Samples of every ``<case>.xml`` (searched recursively) and its ``<case>_<n>`` images."""
    images_by_case: Dict[Path, Dict[int, Path]] = defaultdict(dict)
    for folder in sorted({p.parent for p in ctx.src.rglob('*') if p.is_file()}):
        for image in image_files(folder):
            match = _IMAGE_NAME.match(pairing_stem(image))
            if match:
                images_by_case[folder / f"{match['case']}.xml"][int(match['number'])] = image
            else:
                ctx.skip(image, 'file name is not <case>_<n>')
    xml_paths = sorted(ctx.src.rglob('*.xml'))
    without_xml = [
        image for xml, images in images_by_case.items() if xml not in xml_paths
        for image in images.values()
    ]
    samples: List[Sample] = []
    unpaired_masks: List[str] = []
    for xml_path in xml_paths:
        samples += _case_samples(ctx, xml_path, images_by_case.get(xml_path, {}), unpaired_masks)
    ctx.handle_unpaired(sorted(without_xml), unpaired_masks)
    return samples


SPEC = ConverterSpec(
    name='ddti',
    discover=discover_ddti,
    ratios=RANDOM_8_1_1,
    source_layout='DDTI/<case>.xml + DDTI/<case>_<n>.jpg')
