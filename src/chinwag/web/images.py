"""Pictures: metadata stripping and thumbnails, with Pillow, once, at upload time.

Both are CPU work: the web service runs them on a worker thread, never in the loop.
A file Pillow cannot read (or one that claims to be a picture and is not) is left as
it is and gets no thumbnail: it is still stored and served, just not shown inline.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from chinwag.proto.limits import THUMBNAIL_PIXELS

log = logging.getLogger("chinwag.web")

# Decompression bombs: refuse pictures with more pixels than this (a 16k x 16k photo).
Image.MAX_IMAGE_PIXELS = 16384 * 16384
# Formats whose EXIF (GPS position, camera, time) we remove before storing.
STRIPPED_FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WEBP"}
ORIENTATION = 0x0112  # the EXIF tag
METADATA_KEYS = ("exif", "xmp", "XML:com.adobe.xmp", "comment")  # in Pillow's img.info
PIL_ERRORS = (OSError, UnidentifiedImageError, Image.DecompressionBombError, ValueError)


def strip_metadata(path: Path) -> bool:
    """Rewrite the picture at ``path`` without EXIF and similar metadata, turned upright
    as its EXIF orientation said. Returns whether the file changed (a picture without
    metadata is left byte for byte as it was)."""
    try:
        with Image.open(path) as img:
            fmt = img.format or ""
            if fmt not in STRIPPED_FORMATS or getattr(img, "n_frames", 1) > 1:
                return False
            exif = img.getexif()
            meta = [k for k in img.info if k in METADATA_KEYS]
            if not exif and not meta:
                return False
            out = io.BytesIO()
            options: dict[str, object] = {"exif": b""}
            if fmt == "JPEG" and exif.get(ORIENTATION, 1) == 1:
                # Upright already: keep the encoding (no second round of JPEG loss).
                target: Image.Image = img
                options.update(quality="keep", subsampling="keep")
            else:
                target = ImageOps.exif_transpose(img)
                if fmt == "JPEG":
                    options["quality"] = 92
            for key in METADATA_KEYS:
                target.info.pop(key, None)
            if "icc_profile" in img.info:  # colours, not metadata: keep
                options["icc_profile"] = img.info["icc_profile"]
            target.save(out, STRIPPED_FORMATS[fmt], **options)
    except PIL_ERRORS as exc:
        log.info("not stripping metadata from %s: %s", path.name, exc)
        return False
    path.write_bytes(out.getvalue())
    return True


def make_thumbnail(source: Path, dest: Path) -> str | None:
    """A thumbnail of ``source`` (upright, at most THUMBNAIL_PIXELS a side) at ``dest``;
    returns its type, or None when ``source`` is no readable picture."""
    try:
        with Image.open(source) as img:
            img.seek(0)
            thumb = ImageOps.exif_transpose(img)
            thumb.thumbnail((THUMBNAIL_PIXELS, THUMBNAIL_PIXELS))
            has_alpha = thumb.mode in ("RGBA", "LA", "PA") or "transparency" in thumb.info
            if has_alpha:
                thumb.convert("RGBA").save(dest, "PNG", optimize=True)
                return "image/png"
            thumb.convert("RGB").save(dest, "JPEG", quality=85)
            return "image/jpeg"
    except PIL_ERRORS as exc:
        log.info("no thumbnail for %s: %s", source.name, exc)
        return None
