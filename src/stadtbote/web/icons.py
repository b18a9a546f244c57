"""App icons drawn from the tenant's colour and initial, so every town gets an installable app
without a designer. PNG, because install prompts and notification badges need raster icons."""

from __future__ import annotations

import io
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

SIZES = (72, 192, 512)


@lru_cache(maxsize=64)
def png(initial: str, colour: str, size: int, maskable: bool = False) -> bytes:
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    if maskable:  # the platform cuts its own shape; fill everything, keep text in the safe zone
        draw.rectangle((0, 0, size, size), fill=colour)
    else:
        draw.rounded_rectangle((0, 0, size - 1, size - 1), radius=size // 5, fill=colour)
    font = ImageFont.load_default(size=int(size * (0.42 if maskable else 0.55)))
    draw.text(
        (size / 2, size / 2), initial[:1].upper() or "S", fill="white", font=font, anchor="mm"
    )
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    return out.getvalue()
