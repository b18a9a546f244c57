"""Photos citizens attach to reports: checked, re-encoded and stripped before anyone sees them.

Nothing of the upload is kept: the type is sniffed from the bytes (never the file name or the
declared type), pixels are counted before decoding (decompression bombs), the image is turned
upright, converted to sRGB JPEG without any metadata (EXIF with GPS and camera serials is
gone), and scaled to a sensible size. Pure: bytes in, bytes out.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageFilter, ImageOps, UnidentifiedImageError

MAX_UPLOAD_BYTES = 12 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 40-megapixel phone photo; more is a bomb or a panorama
MAX_EDGE = 2560
THUMB_EDGE = 480
QUALITY = 82
ACCEPTED = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


class PhotoRejected(ValueError):
    """The upload is refused; ``code`` is stable for clients, the text is for people."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Photo:
    data: bytes
    width: int
    height: int
    thumbnail: bytes
    content_type: str = "image/jpeg"


def process(upload: bytes) -> Photo:
    if len(upload) > MAX_UPLOAD_BYTES:
        raise PhotoRejected(
            "too_large", f"the photo is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB"
        )
    if not upload:
        raise PhotoRejected("empty", "the photo is empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(upload))
            if image.format not in ACCEPTED:
                raise PhotoRejected("unsupported_type", "send a JPEG, PNG or WebP photo")
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise PhotoRejected(
                    "too_many_pixels",
                    f"the photo has more than {MAX_PIXELS // 1_000_000} million pixels",
                )
            image.load()
    except PhotoRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoRejected("too_many_pixels", "the photo has too many pixels") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise PhotoRejected("not_an_image", "this file is not a readable image") from None
    upright = ImageOps.exif_transpose(image) or image
    rgb = _flatten(upright)
    rgb.thumbnail((MAX_EDGE, MAX_EDGE), Image.Resampling.LANCZOS)
    data = _jpeg(rgb)
    thumb = rgb.copy()
    thumb.thumbnail((THUMB_EDGE, THUMB_EDGE), Image.Resampling.LANCZOS)
    return Photo(data=data, width=rgb.width, height=rgb.height, thumbnail=_jpeg(thumb))


def _flatten(image: Image.Image) -> Image.Image:
    """RGB on white: transparency and palettes have no place in a JPEG."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    # No exif=, no icc_profile=: nothing of the original's metadata is written.
    image.save(out, format="JPEG", quality=QUALITY, optimize=True, progressive=True)
    return out.getvalue()


Box = tuple[float, float, float, float]
BLUR_RADIUS_SHARE = 0.04  # of the longer edge: faces and number plates become unreadable


def valid_box(box: Box | None) -> bool:
    """A part of the image as fractions (x, y, width, height), each edge inside 0..1."""
    if box is None:
        return True
    if len(box) != 4 or not all(isinstance(v, int | float) for v in box):
        return False
    x, y, w, h = (float(v) for v in box)
    return 0 <= x < 1 and 0 <= y < 1 and 0 < w <= 1 - x + 1e-9 and 0 < h <= 1 - y + 1e-9


def blur(data: bytes, box: Box | None = None) -> tuple[bytes, bytes]:
    """Blur the whole stored JPEG, or only ``box``; returns (image, thumbnail), re-encoded
    without metadata like every stored photo."""
    if not valid_box(box):
        raise ValueError("box must be four fractions inside the image")
    image = Image.open(io.BytesIO(data)).convert("RGB")
    x, y, w, h = box or (0.0, 0.0, 1.0, 1.0)
    area = (
        int(x * image.width),
        int(y * image.height),
        max(int(x * image.width) + 1, round((x + w) * image.width)),
        max(int(y * image.height) + 1, round((y + h) * image.height)),
    )
    radius = max(8, int(max(image.size) * BLUR_RADIUS_SHARE))
    part = image.crop(area)
    # Pixelate, then blur: a plain Gaussian of small text can sometimes be undone.
    small = part.resize((max(1, part.width // 16), max(1, part.height // 16)), Image.Resampling.BOX)
    part = small.resize(part.size, Image.Resampling.NEAREST).filter(
        ImageFilter.GaussianBlur(radius)
    )
    image.paste(part, area[:2])
    thumb = image.copy()
    thumb.thumbnail((THUMB_EDGE, THUMB_EDGE), Image.Resampling.LANCZOS)
    return _jpeg(image), _jpeg(thumb)
