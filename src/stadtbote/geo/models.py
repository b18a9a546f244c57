"""Districts and the columnar copy of subscriber places used for fast targeting."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from stadtbote.tenants.models import Municipality


class District(models.Model):
    tenant = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="districts")
    slug = models.SlugField(max_length=60)
    name = models.JSONField(help_text='Per language, e.g. {"de": "Altstadt"}')
    # GeoJSON Polygon/MultiPolygon in WGS84 (lon, lat).
    geometry = models.JSONField()
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "slug"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "slug"], name="district_unique_slug")
        ]

    def __str__(self) -> str:
        return self.slug


class PlaceBlock(models.Model):
    """Packed places (see ``geo.blocks``) of the subscribers with ``id // BLOCK_SIZE == block_no``.

    Derived data: rebuilt from ``subscribers.Place`` whenever a subscriber changes, so that a
    message is matched against a million places by reading a few hundred blobs instead of a
    million rows. All places of one subscriber live in one block, which lets fan-out stream
    block by block without ever seeing a subscriber twice.
    """

    tenant = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    block_no = models.BigIntegerField()
    count = models.PositiveIntegerField(default=0)
    data = models.BinaryField()
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "block_no"], name="placeblock_unique")
        ]
