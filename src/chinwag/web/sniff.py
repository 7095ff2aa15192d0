"""What an uploaded file is, judged from its bytes; and a safe name for it.

The name a client sends is never trusted for the type: ``kind_of`` looks at the first
bytes (magic numbers, through the ``filetype`` library), and calls anything it does not
recognise text when it is clean UTF-8, else ``application/octet-stream``. So a file named
``cat.png`` that holds HTML is ``text/plain``: it is served as text, as a download, and
never rendered. ``safe_name`` keeps a name displayable and harmless on any disk.
"""

from __future__ import annotations

import unicodedata

import filetype

SNIFF_BYTES = 8192  # enough for every magic number filetype knows
TEXT = "text/plain"
BINARY = "application/octet-stream"
INLINE_FAMILIES = ("image/", "audio/", "video/")
# Images that Pillow reads and that every browser shows: these get thumbnails.
THUMBNAIL_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp"})
MAX_NAME_CHARS = 120


def kind_of(head: bytes) -> str:
    """The MIME type of a file whose first bytes are ``head`` (at least SNIFF_BYTES, or
    the whole file when shorter)."""
    kind = filetype.guess(head)
    if kind is not None:
        return str(kind.mime)
    if b"\0" in head:
        return BINARY
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut off at the end of the sample is still text.
        if exc.start < len(head) - 3 or len(head) < SNIFF_BYTES:
            return BINARY
    return TEXT


def is_inline(mime: str) -> bool:
    """Pictures, sound and video open in place; everything else downloads."""
    return mime.startswith(INLINE_FAMILIES)


def served_type(mime: str) -> str:
    """The Content-Type header for a stored type."""
    return f"{TEXT}; charset=utf-8" if mime == TEXT else mime


def safe_name(name: str | None, fallback: str = "file") -> str:
    """``name`` without folders, control or format characters, leading dots or trailing
    spaces, and at most MAX_NAME_CHARS long (the extension kept); ``fallback`` if nothing
    is left."""
    text = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(c for c in text if unicodedata.category(c)[0] not in "CZ" or c == " ")
    text = text.strip(" .")
    if len(text) > MAX_NAME_CHARS:
        stem, dot, ext = text.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            text = stem[: MAX_NAME_CHARS - len(ext) - 1].rstrip(" .") + "." + ext
        else:
            text = text[:MAX_NAME_CHARS]
    return text or fallback


def matches_any(mime: str, patterns: tuple[str, ...]) -> bool:
    """``mime`` against patterns like ``image/png`` or ``image/*``."""
    family = mime.split("/", 1)[0] + "/*"
    return mime in patterns or family in patterns
