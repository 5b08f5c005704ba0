"""Synthetic breast-ultrasound-like phantom data set, so demos and tests run without real data.

Each image is simulated in probe coordinates (rows = depth, columns = lateral
position): a layered tissue reflectivity map (skin, subcutaneous fat, striated
fibroglandular tissue, pectoral muscle, sometimes a rib) with fascia lines, zero,
one or two lesions, posterior shadowing or enhancement and depth attenuation.
Fully developed speckle comes from a complex Gaussian scatterer field weighted by
that map and smoothed by an anisotropic point-spread function; its envelope is
Rayleigh distributed (one to three such looks are compounded, as scanners do).
The envelope is log-compressed and scan-converted into a rectangular (linear
probe) or sector (curvilinear probe) field of view on black.

Lesions are ``benign``-like (oval or macro-lobulated, hypo-echoic or anechoic,
sharp margin, wider than tall, posterior enhancement) or ``malignant``-like
(irregular or spiculated, heterogeneous hypo- or hyper-echoic, blurred margin,
sometimes an echogenic halo, mostly posterior shadowing). About 10 % of the
images are lesion-free (``normal``) so empty-mask handling is exercised.

The output follows the mmseg layout (``img_dir/<split>``, ``ann_dir/<split>``,
masks with values 0/1) plus ``labels.csv`` and ``phantom_info.json``.
"""
import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Sequence, Tuple, Union

import cv2
import numpy as np

from mmseg_ht.evaluation.reference_scores import iter_split

GENERATOR_VERSION = '1.0.0'
SPLITS = ('train', 'val', 'test')
LABELS = ('benign', 'malignant', 'normal')
# Share of each split per image label; normal = lesion-free.
LABEL_FRACTIONS = {'benign': 0.55, 'malignant': 0.35, 'normal': 0.10}
REFERENCE_SIZE = 224  # sizes in pixels below are given for this image size

Array = np.ndarray


@dataclass
class PhantomSample:
    """One simulated image (uint8, H x W), its lesion mask (uint8 0/1) and what was drawn."""

    image: Array
    mask: Array
    label: str
    meta: Dict[str, object] = field(default_factory=dict)


@dataclass
class _Lesion:
    """Hard lesion mask in probe coordinates and how it should look."""

    mask: Array
    kind: str  # oval | lobulated | cyst | irregular | spiculated
    echo: str  # anechoic | hypo | hetero_hypo | hetero_hyper
    posterior: str  # enhancement | shadow | none
    level: float  # mean reflectivity relative to glandular tissue (= 1)
    heterogeneity: float  # std of log-normal internal texture
    edge_sigma: float  # boundary blur in pixels
    halo: bool  # echogenic rim around a malignant-like lesion


# --------------------------------------------------------------------------- noise helpers


def _scale(size: int) -> float:
    """Factor turning pixel sizes tuned for a 224-pixel image into ``size`` pixels."""
    return size / REFERENCE_SIZE


def _smooth_noise(rng: np.random.Generator, shape: Tuple[int, int], sigma_y: float,
                  sigma_x: float) -> Array:
    """Gaussian noise smoothed anisotropically and rescaled to zero mean, unit std."""
    noise = rng.standard_normal(shape).astype(np.float32)
    noise = cv2.GaussianBlur(
        noise, (0, 0),
        sigmaX=max(sigma_x, 0.3),
        sigmaY=max(sigma_y, 0.3),
        borderType=cv2.BORDER_REFLECT)
    noise -= noise.mean()
    return noise / (noise.std() + 1e-8)


def _wavy_curve(rng: np.random.Generator, width: int, base: float, amplitude: float) -> Array:
    """Depth (in pixels) of a gently undulating tissue interface for every column."""
    x = np.linspace(0.0, 1.0, width)
    curve = np.full(width, base, dtype=np.float64)
    for k in range(1, 4):
        curve += amplitude / k * np.sin(2 * np.pi * (k * rng.uniform(0.4, 1.0) * x + rng.uniform()))
    return curve


def _line_profile(depth: Array, curve: Array, thickness: float) -> Array:
    """Bright thin band (Gaussian across depth) following ``curve``; values in [0, 1]."""
    return np.exp(-0.5 * ((depth - curve[None, :]) / thickness)**2)


# --------------------------------------------------------------------------- tissue


def _depth_grid(size: int) -> Array:
    """(size, size) array holding each pixel's depth (row index) in pixels."""
    return np.repeat(np.arange(size, dtype=np.float64)[:, None], size, axis=1)


def _layer_interfaces(rng: np.random.Generator, size: int) -> Dict[str, Array]:
    """Per-column depth of the skin, fat/gland, gland/muscle and muscle/chest-wall interfaces."""
    muscle_top = _wavy_curve(rng, size,
                             rng.uniform(0.68, 0.82) * size,
                             rng.uniform(0.02, 0.04) * size)
    return dict(
        skin=_wavy_curve(rng, size,
                         rng.uniform(0.015, 0.03) * size, 0.004 * size),
        fat_bottom=_wavy_curve(rng, size,
                               rng.uniform(0.14, 0.3) * size,
                               rng.uniform(0.02, 0.05) * size),
        muscle_top=muscle_top,
        muscle_bottom=muscle_top + rng.uniform(0.08, 0.13) * size)


def _layer_textures(rng: np.random.Generator, size: int) -> Dict[str, Array]:
    """Reflectivity of each tissue type: lobular fat, striated gland with fat islands, muscle,
    deep."""
    s = _scale(size)
    fat = rng.uniform(0.2, 0.35) * np.exp(0.45 * _smooth_noise(rng, (size, size), 5 * s, 8 * s))
    gland = np.exp(0.6 * _smooth_noise(rng, (size, size), 1.2 * s, rng.uniform(10, 20) * s))
    fat_islands = _smooth_noise(rng, (size, size), 5 * s, 9 * s) > rng.uniform(1.0, 1.6)
    return dict(
        fat=fat,
        gland=np.where(fat_islands, fat, gland),
        muscle=rng.uniform(0.45, 0.7) * np.exp(0.5 * _smooth_noise(rng,
                                                                   (size, size), 0.8 * s, 20 * s)),
        deep=rng.uniform(0.25, 0.4) * np.exp(0.3 * _smooth_noise(rng, (size, size), 3 * s, 10 * s)))


def _specular_lines(rng: np.random.Generator, size: int, interfaces: Dict[str, Array]) -> Array:
    """Bright skin line, fascia along the layer interfaces and a few Cooper's ligaments."""
    s, depth = _scale(size), _depth_grid(size)
    lines = _line_profile(depth, interfaces['skin'], 1.0 * s) * 3.5
    for name in ('fat_bottom', 'muscle_top', 'muscle_bottom'):
        lines += _line_profile(depth, interfaces[name], 0.9 * s) * rng.uniform(1.2, 2.5)
    for _ in range(rng.integers(2, 5)):
        curve = _wavy_curve(rng, size,
                            rng.uniform(0.08, 0.7) * size,
                            rng.uniform(0.02, 0.06) * size)
        gate = np.clip(_smooth_noise(rng, (1, size), 1, 25 * s) + 0.5, 0,
                       1)  # lines fade in and out
        lines += _line_profile(depth, curve, 0.8 * s) * rng.uniform(0.8, 2.0) * gate
    return lines


def _tissue_reflectivity(rng: np.random.Generator, size: int) -> Tuple[Array, Dict[str, float]]:
    """Layered breast-like reflectivity map (glandular tissue ~ 1) in probe coordinates."""
    interfaces = _layer_interfaces(rng, size)
    textures = _layer_textures(rng, size)
    depth = _depth_grid(size)
    reflectivity = np.where(depth < interfaces['fat_bottom'], textures['fat'], textures['gland'])
    reflectivity = np.where(depth >= interfaces['muscle_top'], textures['muscle'], reflectivity)
    reflectivity = np.where(depth >= interfaces['muscle_bottom'], textures['deep'], reflectivity)
    reflectivity = reflectivity * (depth >= interfaces['skin'] - 1.5 * _scale(size)) + 0.05
    reflectivity = reflectivity + _specular_lines(rng, size, interfaces)
    layout = {name: float(interfaces[name].mean() / size) for name in ('fat_bottom', 'muscle_top')}
    return reflectivity, layout


def _add_rib(rng: np.random.Generator, reflectivity: Array, occupied: Array) -> Array:
    """Bright curved rib surface below the muscle with a dense acoustic shadow beneath it."""
    size = reflectivity.shape[0]
    centre, width = rng.uniform(0.2, 0.8) * size, rng.uniform(0.15, 0.3) * size
    columns = np.arange(size, dtype=np.float64)
    surface_depth = rng.uniform(0.84, 0.9) * size + 0.25 * width * ((columns - centre) /
                                                                    (width / 2))**2
    inside = np.abs(columns - centre) < width / 2
    depth = _depth_grid(size)
    surface = _line_profile(depth, surface_depth, 2.0 * _scale(size)) * inside
    shadow = np.where(inside & (depth > surface_depth + 2), 0.08, 1.0).astype(np.float32)
    shadow = cv2.GaussianBlur(shadow, (0, 0), 2.0 * _scale(size))
    return np.where(occupied, reflectivity, reflectivity * shadow + 6.0 * surface)


# --------------------------------------------------------------------------- lesions


def _radius_profile(rng: np.random.Generator, kind: str, theta: Array) -> Array:
    """Relative boundary radius r(theta) of a lesion shape (1 = the base ellipse)."""
    radius = np.ones_like(theta)
    if kind in ('oval', 'cyst'):
        terms = [(k, rng.uniform(0.0, 0.03)) for k in (2, 3)]
    elif kind == 'lobulated':
        terms = [(k, rng.uniform(0.06, 0.14))
                 for k in rng.choice(np.arange(3, 7), 2, replace=False)]
    else:
        terms = [(k, rng.uniform(0.05, 0.22) / np.sqrt(k)) for k in range(2, 9)]
    for k, amplitude in terms:
        radius += amplitude * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    if kind == 'spiculated':
        for centre in rng.uniform(0, 2 * np.pi, rng.integers(7, 15)):
            gap = np.angle(np.exp(1j * (theta - centre)))
            radius += rng.uniform(0.15, 0.4) * np.exp(-0.5 * (gap / rng.uniform(0.05, 0.1))**2)
    return np.maximum(radius, 0.35)


def _lesion_mask(rng: np.random.Generator, size: int, kind: str, semi_axis: float,
                 centre: Tuple[float, float]) -> Array:
    """Rasterise a lesion of the given shape family around ``centre`` (row, col)."""
    wider = kind in ('oval', 'lobulated', 'cyst')
    aspect = rng.uniform(1.2, 2.0) if wider else rng.uniform(0.8, 1.25)  # width / height
    tilt = np.deg2rad(rng.uniform(-15, 15) if wider else rng.uniform(-40, 40))
    rows, cols = np.mgrid[0:size, 0:size].astype(np.float64)
    du, dv = cols - centre[1], rows - centre[0]
    u = (du * np.cos(tilt) + dv * np.sin(tilt)) / semi_axis
    v = (-du * np.sin(tilt) + dv * np.cos(tilt)) / (semi_axis / aspect)
    return np.hypot(u, v) <= _radius_profile(rng, kind, np.arctan2(v, u))


def _lesion_appearance(rng: np.random.Generator, label: str) -> Dict[str, object]:
    """Shape family, echo pattern, posterior feature and margin of a benign/malignant lesion."""
    uniform = rng.uniform
    if label == 'benign':
        kind = str(rng.choice(['oval', 'lobulated', 'cyst'], p=[0.45, 0.35, 0.2]))
        if kind == 'cyst':
            return dict(
                kind=kind,
                echo='anechoic',
                posterior='enhancement',
                level=uniform(0.02, 0.05),
                heterogeneity=0.1,
                edge_sigma=uniform(0.6, 1.0),
                halo=False)
        posterior = str(rng.choice(['enhancement', 'none'], p=[0.5, 0.5]))
        return dict(
            kind=kind,
            echo='hypo',
            posterior=posterior,
            level=uniform(0.08, 0.25),
            heterogeneity=uniform(0.15, 0.3),
            edge_sigma=uniform(0.7, 1.4),
            halo=False)
    kind = str(rng.choice(['irregular', 'spiculated'], p=[0.5, 0.5]))
    hyper = rng.uniform() < 0.25
    posterior = str(rng.choice(['shadow', 'none', 'enhancement'], p=[0.6, 0.3, 0.1]))
    return dict(
        kind=kind,
        echo='hetero_hyper' if hyper else 'hetero_hypo',
        posterior=posterior,
        level=uniform(6.0, 9.0) if hyper else uniform(0.15, 0.4),
        heterogeneity=uniform(0.6, 0.8) if hyper else uniform(0.4, 0.7),
        edge_sigma=uniform(1.2, 2.2),
        halo=bool(rng.uniform() < 0.4))


def _place_lesions(rng: np.random.Generator, size: int, label: str, count: int,
                   top: float) -> List[_Lesion]:
    """Draw ``count`` non-overlapping lesions inside the probe grid, centred below depth ``top``.

    The first lesion always fits: every rejected draw shrinks the next one a little.
    """
    lesions: List[_Lesion] = []
    occupied = np.zeros((size, size), dtype=bool)
    margin = int(0.04 * size)
    inner = np.zeros((size, size), dtype=bool)
    inner[margin:size - margin, margin:size - margin] = True
    for attempt in range(40):
        if len(lesions) == count or (lesions and attempt >= 10):
            break
        look = _lesion_appearance(rng, label)
        shrink = max(0.9**attempt, 0.3) * (0.6 if lesions else 1.0)
        semi_axis = max(rng.uniform(0.07, 0.2) * size * shrink, 4.0)
        centre = (rng.uniform(max(top + 0.06, 0.28), 0.64) * size, rng.uniform(0.25, 0.75) * size)
        mask = _lesion_mask(rng, size, look['kind'], semi_axis, centre)
        grown = cv2.dilate(occupied.astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
        if mask.sum() < 20 or (mask & ~inner).any() or (mask & grown).any():
            continue
        occupied |= mask
        lesions.append(_Lesion(mask=mask, **look))
    if not lesions:
        raise RuntimeError('could not place a lesion; is the image size too small?')
    return lesions


def _posterior_gain(lesion: _Lesion, rng: np.random.Generator) -> Array:
    """Multiplicative map darkening (shadow) or brightening (enhancement) tissue below a lesion."""
    size = lesion.mask.shape[0]
    if lesion.posterior == 'none':
        return np.ones((size, size), dtype=np.float32)
    columns = lesion.mask.any(axis=0)
    bottom = np.where(columns, size - 1 - np.argmax(lesion.mask[::-1], axis=0), size)
    depth = np.arange(size)[:, None]
    below = (depth > bottom[None, :]).astype(np.float32)
    below = cv2.GaussianBlur(below, (0, 0), sigmaX=rng.uniform(2, 4) * _scale(size), sigmaY=1.5)
    fade = np.exp(-np.clip(depth - bottom[None, :], 0, None) / (rng.uniform(0.4, 1.0) * size))
    strength = rng.uniform(0.15, 0.4) if lesion.posterior == 'shadow' else rng.uniform(2.0, 3.5)
    return (1.0 + (strength - 1.0) * below * fade).astype(np.float32)


def _lesion_reflectivity(rng: np.random.Generator, lesion: _Lesion) -> Array:
    """Internal reflectivity of a lesion: mean level with log-normal heterogeneity."""
    size = lesion.mask.shape[0]
    sigma = rng.uniform(1.5, 4.0) * _scale(size)
    texture = np.exp(lesion.heterogeneity * _smooth_noise(rng, (size, size), sigma, sigma))
    return (lesion.level * texture / np.exp(0.5 * lesion.heterogeneity**2)).astype(np.float32)


def _insert_lesion(rng: np.random.Generator, reflectivity: Array, lesion: _Lesion) -> Array:
    """Blend a lesion into tissue with a blurred boundary, halo and posterior feature."""
    size = reflectivity.shape[0]
    hard = lesion.mask.astype(np.float32)
    weight = cv2.GaussianBlur(hard, (0, 0), lesion.edge_sigma * _scale(size))
    out = reflectivity * _posterior_gain(lesion, rng)
    if lesion.halo:
        ring = cv2.GaussianBlur(hard, (0, 0), rng.uniform(2.5, 4.0) * _scale(size)) - weight
        out = out * (1.0 + rng.uniform(1.5, 3.0) * np.clip(ring, 0, None) / max(ring.max(), 1e-6))
    return out * (1.0 - weight) + _lesion_reflectivity(rng, lesion) * weight


# --------------------------------------------------------------------------- imaging chain


def _attenuation(rng: np.random.Generator, size: int) -> Array:
    """Residual depth attenuation after imperfect time-gain compensation (amplitude factor)."""
    depth = np.linspace(0.0, 1.0, size)[:, None]
    loss_db = rng.uniform(4.0, 12.0) * depth + rng.uniform(-1.5, 1.5) * np.sin(np.pi * depth)
    return (10.0**(-loss_db / 20.0)).astype(np.float32)


def _speckle_envelope(rng: np.random.Generator, reflectivity: Array) -> Array:
    """Envelope of PSF-smoothed complex Gaussian scatterer fields (Rayleigh speckle).

    One to three independent looks are compounded incoherently, as spatial compounding
    on a scanner does, which softens the speckle without removing it.
    """
    size = reflectivity.shape[0]
    s = _scale(size)
    sigma_axial, sigma_lateral = rng.uniform(0.6, 0.9) * s, rng.uniform(1.4, 2.2) * s
    amplitude = np.sqrt(reflectivity).astype(np.float32)
    looks = int(rng.integers(1, 4))
    power = np.zeros(reflectivity.shape, dtype=np.float32)
    for _ in range(2 * looks):  # in-phase and quadrature component of every look
        scatter = rng.standard_normal(reflectivity.shape).astype(np.float32) * amplitude
        power += cv2.GaussianBlur(
            scatter, (0, 0),
            sigmaX=sigma_lateral,
            sigmaY=sigma_axial,
            borderType=cv2.BORDER_REFLECT)**2
    envelope = np.sqrt(power / looks)
    return envelope / np.sqrt(np.mean(envelope**2) / np.mean(reflectivity))


def _log_compress(rng: np.random.Generator, envelope: Array) -> Array:
    """Log compression to display grey levels in [0, 255] with a random gain and dynamic range.

    The gain puts the median echo at a mid-dark grey, as on typical breast scans.
    """
    db = 20.0 * np.log10(envelope + 1e-6)
    dynamic_range = rng.uniform(45.0, 58.0)
    median_grey = rng.uniform(85.0, 120.0) / 255.0
    floor = np.median(db) - median_grey * dynamic_range
    grey = np.clip((db - floor) / dynamic_range, 0.0, 1.0) * 255.0
    return cv2.GaussianBlur(grey.astype(np.float32), (0, 0), 0.6 * _scale(envelope.shape[0]))


def _scan_geometry(rng: np.random.Generator, size: int) -> Tuple[str, Array, Array]:
    """Maps from display pixels to probe-grid pixels for a linear or sector field of view.

    Display pixels outside the field of view map to -1 so that remapping leaves them black.
    """
    rows, cols = np.mgrid[0:size, 0:size].astype(np.float32)
    last = size - 1.0
    if rng.uniform() < 0.7:
        left, right = rng.uniform(0, 0.06) * size, size - rng.uniform(0, 0.06) * size
        top = rng.uniform(0, 0.04) * size
        map_x = (cols - left) / (right - 1 - left) * last
        map_y = (rows - top) / (last - top) * last
        return 'linear', map_x.astype(np.float32), map_y.astype(np.float32)
    apex_y = -rng.uniform(0.05, 0.35) * size
    near, far = 0.03 * size - apex_y, last - apex_y
    half_angle = min(np.deg2rad(rng.uniform(28, 40)), np.arcsin((size / 2 - 1) / far))
    radius = np.hypot(cols - size / 2, rows - apex_y)
    angle = np.arctan2(cols - size / 2, rows - apex_y)
    map_x = (angle + half_angle) / (2 * half_angle) * last
    map_y = (radius - near) / (far - near) * last
    return 'sector', map_x.astype(np.float32), map_y.astype(np.float32)


def _to_display(probe: Array, map_x: Array, map_y: Array, interpolation: int) -> Array:
    """Scan-convert a probe-grid image into the display grid, black outside the field of view."""
    return cv2.remap(
        probe, map_x, map_y, interpolation, borderMode=cv2.BORDER_CONSTANT, borderValue=0)


# --------------------------------------------------------------------------- public API


def generate_phantom_sample(rng: np.random.Generator, label: str, size: int = 224) -> PhantomSample:
    """Simulate one B-mode-like image of class ``label`` (benign | malignant | normal).

    Benign and malignant images get one lesion (occasionally two); normal images none.
    """
    if label not in LABELS:
        raise ValueError(f'label must be one of {LABELS}, got {label!r}')
    reflectivity, layout = _tissue_reflectivity(rng, size)
    lesions: List[_Lesion] = []
    if label != 'normal':
        count = 2 if rng.uniform() < 0.12 else 1
        lesions = _place_lesions(rng, size, label, count, layout['fat_bottom'])
    occupied = np.zeros((size, size), dtype=bool)
    for lesion in lesions:
        reflectivity = _insert_lesion(rng, reflectivity, lesion)
        occupied |= lesion.mask
    has_rib = bool(rng.uniform() < 0.2)
    if has_rib:
        reflectivity = _add_rib(rng, reflectivity, occupied)
    reflectivity = reflectivity * _attenuation(rng, size)**2  # power falls as amplitude squared
    grey = _log_compress(rng, _speckle_envelope(rng, reflectivity.astype(np.float32)))
    geometry, map_x, map_y = _scan_geometry(rng, size)
    image = np.clip(np.rint(_to_display(grey, map_x, map_y, cv2.INTER_LINEAR)), 0,
                    255).astype(np.uint8)
    mask = _to_display(occupied.astype(np.uint8), map_x, map_y, cv2.INTER_NEAREST)
    meta = dict(
        geometry=geometry,
        rib=has_rib,
        num_lesions=len(lesions),
        **layout,
        lesions=[
            dict(kind=les.kind, echo=les.echo, posterior=les.posterior, halo=les.halo)
            for les in lesions
        ])
    return PhantomSample(image=image, mask=(mask > 0).astype(np.uint8), label=label, meta=meta)


def split_labels(rng: np.random.Generator, count: int) -> List[str]:
    """Shuffled image labels for a split, following ``LABEL_FRACTIONS``.

    Any split of four or more images holds at least one lesion-free image.
    """
    normal = int(round(LABEL_FRACTIONS['normal'] * count))
    if count >= 4:
        normal = max(normal, 1)
    malignant = int(round(LABEL_FRACTIONS['malignant'] * count))
    malignant = min(malignant, count - normal)
    labels = ['normal'] * normal + ['malignant'] * malignant
    labels += ['benign'] * (count - len(labels))
    return [labels[i] for i in rng.permutation(count)]


def _write_png(path: Path, array: Array) -> None:
    """Write an 8-bit single-channel PNG, failing loudly if OpenCV cannot."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), array):
        raise OSError(f'could not write {path}')


def make_phantom_dataset(out_dir: Union[str, Path],
                         num_train: int = 48,
                         num_val: int = 8,
                         num_test: int = 8,
                         size: int = 224,
                         seed: int = 0) -> Dict[str, object]:
    """Write a phantom data set in the mmseg layout under ``out_dir``; return its info dict.

    Files are named ``phantom_NNNN.png`` with one running index over all splits, so stems
    stay unique. The same arguments always produce byte-identical files.
    """
    out = Path(out_dir)
    counts = dict(zip(SPLITS, (num_train, num_val, num_test)))
    if min(counts.values()) < 0 or size < 64:
        raise ValueError('image counts must be >= 0 and size >= 64')
    label_rng = np.random.default_rng(seed)
    streams = np.random.SeedSequence(seed).spawn(sum(counts.values()))
    rows, images, index = [], [], 0
    for split in SPLITS:
        for label in split_labels(label_rng, counts[split]):
            name = f'phantom_{index:04d}.png'
            sample = generate_phantom_sample(np.random.default_rng(streams[index]), label, size)
            _write_png(out / 'img_dir' / split / name, sample.image)
            _write_png(out / 'ann_dir' / split / name, sample.mask)
            rows.append(dict(filename=name, label=label, split=split))
            images.append(dict(filename=name, split=split, label=label, **sample.meta))
            index += 1
    _write_labels(out / 'labels.csv', rows)
    info = _dataset_info(seed, size, counts, rows, images)
    (out / 'phantom_info.json').write_text(json.dumps(info, indent=2) + '\n')
    return info


def _write_labels(path: Path, rows: Sequence[Dict[str, str]]) -> None:
    """``filename,label,split`` table of every image."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, 'w', newline='') as handle:
        writer = csv.DictWriter(
            handle, fieldnames=['filename', 'label', 'split'], lineterminator='\n')
        writer.writeheader()
        writer.writerows(rows)


def _dataset_info(seed: int, size: int, counts: Dict[str, int], rows: Sequence[Dict[str, str]],
                  images: Sequence[Dict[str, object]]) -> Dict[str, object]:
    """Provenance and per-split label counts written to ``phantom_info.json``."""
    per_split = {
        split: {
            'total': counts[split],
            **{
                label: sum(r['split'] == split and r['label'] == label for r in rows)
                for label in LABELS
            }
        }
        for split in SPLITS
    }
    return dict(
        generator='mmseg_ht.datasets.phantom',
        generator_version=GENERATOR_VERSION,
        seed=seed,
        size=size,
        classes=['background', 'lesion'],
        counts=per_split,
        images=list(images))


def read_split(root: Union[str, Path], split: str) -> List[Tuple[str, Array, Array]]:
    """(filename, image, mask) of every image of a split written by ``make_phantom_dataset``."""
    return list(iter_split(root, split))
