"""Converters from public release layouts to the mmseg layout used by the data set classes.

Output of every converter (OUT_DIR becomes a config's ``DATA_ROOT``)::

    img_dir/{train,val,test}/<stem>.png   8-bit single-channel (grayscale) PNG
    ann_dir/{train,val,test}/<stem>.png   uint8 masks, 0 = background, 1 = foreground
    labels.csv                            filename,label,split,source,group
    spacing.csv                           image,row_mm,col_mm,spacing_source,source_format
    conversion_report.json                counts (per format, with/without spacing), skips
                                          with reasons, seed, source

Sources are read by ``medical_io.read_frames`` (PNG, JPEG, BMP, TIFF, GIF, DICOM,
NIfTI; the format decided by content), which also gives the pixel spacing.

Library functions ``convert_<name>(src, out, ConvertOptions(...), **settings)`` (each
converter's ``SPEC.convert``; settings are its flags, e.g. ``include_normal=True``);
command-line tools ``tools/dataset_converters/<name>.py SRC_DIR OUT_DIR``.
"""
from . import busi, ddti, folder, prostate, tn3k
from .context import ConvertOptions
from .errors import (ConversionError, CorruptImageError, MaskSizeMismatchError, OutputExistsError,
                     SourceLayoutError, UnpairedFilesError)
from .report import ConversionReport
from .spec import ConverterSpec
from .splits import assign_splits

CONVERTERS = {
    spec.name: spec
    for spec in (busi.SPEC, ddti.SPEC, tn3k.SPEC, prostate.SPEC, folder.SPEC)
}
convert_busi = busi.SPEC.convert
convert_ddti = ddti.SPEC.convert
convert_folder = folder.SPEC.convert
convert_prostate = prostate.SPEC.convert
convert_tn3k = tn3k.SPEC.convert

__all__ = [
    'CONVERTERS', 'ConversionError', 'ConversionReport', 'ConvertOptions', 'ConverterSpec',
    'CorruptImageError', 'MaskSizeMismatchError', 'OutputExistsError', 'SourceLayoutError',
    'UnpairedFilesError', 'assign_splits', 'convert_busi', 'convert_ddti', 'convert_folder',
    'convert_prostate', 'convert_tn3k'
]
