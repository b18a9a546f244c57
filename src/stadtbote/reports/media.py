"""Storing the photos of a case: processed first (``photos.process``), then saved under names
nobody can guess, never under the citizen's file name."""

from __future__ import annotations

import uuid

from django.core.files.base import ContentFile
from django.db import transaction

from stadtbote.core.errors import InvalidInput
from stadtbote.reports import photos
from stadtbote.reports.models import Case, CasePhoto

MAX_PHOTOS = 3


def add_photo(case: Case, upload: bytes) -> CasePhoto:
    try:
        processed = photos.process(upload)
    except photos.PhotoRejected as exc:
        raise InvalidInput(str(exc), field="photo", code=exc.code) from None
    with transaction.atomic():
        # Lock the case so two parallel uploads cannot both be the third.
        Case.objects.select_for_update().filter(pk=case.pk).first()
        if CasePhoto.objects.filter(case=case).count() >= MAX_PHOTOS:
            raise InvalidInput(f"at most {MAX_PHOTOS} photos per report", field="photo")
        name = f"{case.tenant.slug}/{case.public_id}/{uuid.uuid4().hex}"
        photo = CasePhoto(case=case, width=processed.width, height=processed.height)
        photo.image.save(f"{name}.jpg", ContentFile(processed.data), save=False)
        photo.thumbnail.save(f"{name}-thumb.jpg", ContentFile(processed.thumbnail), save=False)
        photo.save()
    return photo
