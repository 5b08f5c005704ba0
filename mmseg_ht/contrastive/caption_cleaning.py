"""Caption text cleaning for the contrastive stage (text only, no file access).

The paper removes special characters, normalises whitespace and drops
captions shorter than 20 characters. "Special character" is defined here so
that captions in any language survive (the paper translated non-English
captions beforehand; this step never translates):

Kept
    letters and combining marks of every script (Unicode categories L*, M*),
    numbers (N*: digits, superscripts, fractions), whitespace, and the
    punctuation ``. , ; : ( ) [ ] % / - + ' " = < > ? ! &`` and the degree
    sign ``°`` (a unit in measurements).
Rewritten before the check (same meaning, plain form)
    HTML entities (``&amp;`` → ``&``); dashes and the minus sign → ``-``;
    curly quotes → straight quotes; ``×`` → ``x``; ``±`` → ``+/-``;
    ``…`` → ``...``; full-width forms (U+FF01–FF5E) and CJK ``。、`` →
    their ASCII counterparts; Unicode NFC composition.
Removed
    markup (HTML/XML tags, URLs), invisible format characters (soft hyphen,
    zero-width space, BOM — but not the ZWJ/ZWNJ that Indic and Persian
    words need) and control characters; every other symbol (emoji, ®, ©,
    *, #, @, _, |, ~, ^, \\, {, }, arrows, math symbols …) is replaced by
    a space. Then whitespace is collapsed, stripped, the spaces that removal
    left before closing punctuation (`` .`` → ``.``) or inside brackets are
    dropped, and brackets left empty are removed.

Length is counted in characters (code points) of the cleaned caption.
"""
import html
import re
import unicodedata
from typing import Optional, Tuple

MIN_CAPTION_LENGTH = 20
KEPT_PUNCTUATION = frozenset(".,;:()[]%/-+'\"=<>?!&\u00b0")
KEPT_FORMAT_CHARACTERS = frozenset('\u200c\u200d')  # ZWNJ, ZWJ: part of words in some scripts

# Drop reasons (shared with the corpus builder and its report).
CAPTION_EMPTY = 'caption_empty'
CAPTION_TOO_SHORT = 'caption_too_short'

_TYPOGRAPHIC = {
    **{
        ord(c): '-'
        for c in '\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63'
    },
    **{
        ord(c): "'"
        for c in '\u2018\u2019\u201a\u201b\u2032\u00b4`'
    },
    **{
        ord(c): '"'
        for c in '\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb'
    },
    ord('\u00d7'): 'x',
    ord('\u00b1'): '+/-',
    ord('\u2026'): '...',
    ord('\u3002'): '.',
    ord('\u3001'): ',',
    **{
        0xFF01 + i: chr(0x21 + i)
        for i in range(0x5E)
    },  # full-width ASCII forms
}
_TAG = re.compile(r'</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>')
_URL = re.compile(r'(?:https?://|ftp://|www\.)\S+', re.IGNORECASE)
_SPACE_BEFORE_CLOSING = re.compile(r'\s+([.,;:!?)\]])')
_SPACE_AFTER_OPENING = re.compile(r'([(\[])\s+')
_EMPTY_BRACKETS = re.compile(r'\(\s*\)|\[\s*\]')
_WHITESPACE = re.compile(r'\s+')


def _keep_or_space(char: str) -> str:
    """The character itself, '' (invisible, dropped) or ' ' (a removed symbol)."""
    if char.isspace():
        return ' '
    category = unicodedata.category(char)
    if category[0] in 'LMN' or char in KEPT_PUNCTUATION or char in KEPT_FORMAT_CHARACTERS:
        return char
    if category in ('Cc', 'Cf'):  # control and invisible format characters
        return ''
    return ' '


def clean_caption(text: object) -> str:
    """Return the cleaned caption ('' for a missing value such as None or NaN)."""
    if text is None or (isinstance(text, float) and text != text):
        return ''
    text = str(text)
    text = html.unescape(html.unescape(text))  # also double-escaped '&amp;lt;'
    text = _URL.sub(' ', _TAG.sub(' ', text))
    text = unicodedata.normalize('NFC', text).translate(_TYPOGRAPHIC)
    text = ''.join(_keep_or_space(c) for c in text)
    text = _WHITESPACE.sub(' ', text).strip()
    text = _SPACE_AFTER_OPENING.sub(r'\1', _SPACE_BEFORE_CLOSING.sub(r'\1', text))
    for _ in range(2):  # '(( ))' needs two passes
        text = _EMPTY_BRACKETS.sub('', text)
    return _WHITESPACE.sub(' ', _SPACE_BEFORE_CLOSING.sub(r'\1', text)).strip()


def check_caption(text: object, min_length: int = MIN_CAPTION_LENGTH) -> Tuple[str, Optional[str]]:
    """Clean ``text``; return (cleaned caption, drop reason or None if kept)."""
    cleaned = clean_caption(text)
    if not cleaned:
        return cleaned, CAPTION_EMPTY
    if len(cleaned) < min_length:
        return cleaned, CAPTION_TOO_SHORT
    return cleaned, None
