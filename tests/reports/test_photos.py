"""Photo uploads: sniffed, re-encoded, stripped, and refused when unsafe."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from stadtbote.reports import photos
from stadtbote.reports.photos import PhotoRejected, process


def image_bytes(fmt: str, size=(64, 48), mode="RGB", exif: Image.Exif | None = None) -> bytes:
    img = Image.new(mode, size, (200, 30, 30) if mode == "RGB" else None)
    out = io.BytesIO()
    kwargs = {"exif": exif} if exif is not None else {}
    img.save(out, format=fmt, **kwargs)
    return out.getvalue()


def gps_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to view
    exif.get_ifd(0x8825)[2] = (51.0, 40.0, 25.0)  # GPSLatitude
    return exif


def test_a_jpeg_with_gps_exif_comes_back_upright_and_without_any_metadata():
    photo = process(image_bytes("JPEG", size=(64, 48), exif=gps_exif()))
    out = Image.open(io.BytesIO(photo.data))
    assert out.format == "JPEG"
    assert (photo.width, photo.height) == (48, 64)  # turned upright by its orientation tag
    assert not out.getexif()
    assert b"PhoneMaker" not in photo.data
    assert "icc_profile" not in out.info


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_png_and_webp_become_jpeg(fmt):
    photo = process(image_bytes(fmt))
    assert Image.open(io.BytesIO(photo.data)).format == "JPEG"
    assert photo.content_type == "image/jpeg"


def test_transparent_pixels_become_white():
    photo = process(image_bytes("PNG", mode="RGBA"))
    assert Image.open(io.BytesIO(photo.data)).convert("RGB").getpixel((5, 5)) >= (250, 250, 250)


def test_large_photos_are_scaled_down_and_get_a_small_thumbnail():
    photo = process(image_bytes("JPEG", size=(4000, 3000)))
    assert max(photo.width, photo.height) == photos.MAX_EDGE
    assert max(Image.open(io.BytesIO(photo.thumbnail)).size) == photos.THUMB_EDGE


def test_a_gif_is_refused_whatever_its_name():
    with pytest.raises(PhotoRejected) as err:
        process(image_bytes("GIF", mode="P"))
    assert err.value.code == "unsupported_type"


@pytest.mark.parametrize("data", [b"%PDF-1.7 not an image", b"\xff\xd8\xff\xe0garbage", b"<svg/>"])
def test_what_is_not_an_image_is_refused(data):
    with pytest.raises(PhotoRejected) as err:
        process(data)
    assert err.value.code in {"not_an_image", "unsupported_type"}


def test_an_empty_or_oversized_upload_is_refused_before_decoding():
    with pytest.raises(PhotoRejected) as err:
        process(b"")
    assert err.value.code == "empty"
    with pytest.raises(PhotoRejected) as err:
        process(b"\xff" * (photos.MAX_UPLOAD_BYTES + 1))
    assert err.value.code == "too_large"


def png_bomb(width: int, height: int) -> bytes:
    """A tiny PNG that claims a huge canvas (a decompression bomb): header and one chunk."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (width + 1) * 16)  # far fewer rows than claimed
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def test_a_decompression_bomb_is_refused_from_its_header_without_decoding():
    bomb = png_bomb(50_000, 50_000)
    assert len(bomb) < 10_000
    with pytest.raises(PhotoRejected) as err:
        process(bomb)
    assert err.value.code == "too_many_pixels"


def test_a_truncated_photo_is_refused_as_unreadable():
    whole = image_bytes("JPEG", size=(400, 300))
    with pytest.raises(PhotoRejected) as err:
        process(whole[: len(whole) // 3])
    assert err.value.code == "not_an_image"
