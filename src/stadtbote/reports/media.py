"""Storing the photos of a case: processed first (``photos.process``), then saved under names
nobody can guess, never under the citizen's file name."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.db import transaction

from stadtbote.core.errors import InvalidInput
from stadtbote.reports import photos
from stadtbote.reports.models import Case, CaseEvent, CasePhoto, EventKind

MAX_PHOTOS = 3


def check(upload: bytes) -> photos.Photo:
    """Process an upload, or refuse it with an error naming the field."""
    try:
        return photos.process(upload)
    except photos.PhotoRejected as exc:
        raise InvalidInput(str(exc), field="photo", code=exc.code) from None


def add_photo(case: Case, upload: bytes) -> CasePhoto:
    return store(case, check(upload))


def store(case: Case, processed: photos.Photo) -> CasePhoto:
    """Save an already processed photo (see ``check``) with the case."""
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


def _moderated(photo: CasePhoto, actor: User | None, action: str, **data: object) -> None:
    CaseEvent.objects.create(
        case_id=photo.case_id,
        kind=EventKind.MODERATED,
        actor=actor,
        public=False,
        data={"photo": photo.pk, "action": action, **data},
    )


def set_photo_hidden(photo: CasePhoto, hidden: bool, actor: User | None) -> CasePhoto:
    """A hidden photo stays with the case for staff but is never shown publicly."""
    with transaction.atomic():
        CasePhoto.objects.filter(pk=photo.pk).update(hidden=hidden)
        photo.hidden = hidden
        _moderated(photo, actor, "hidden" if hidden else "shown")
    return photo


def blur_photo(photo: CasePhoto, actor: User | None, box: photos.Box | None = None) -> CasePhoto:
    """Blur the photo (or a part of it) for good: new files replace the old ones, and the
    unblurred original is deleted once the row points at the new files."""
    if not photos.valid_box(box):
        raise InvalidInput("four fractions (x, y, width, height) inside the photo", field="box")
    with photo.image.open("rb") as f:
        image, thumbnail = photos.blur(f.read(), box)
    old = [photo.image.name, photo.thumbnail.name]
    name = f"{photo.case.tenant.slug}/{photo.case.public_id}/{uuid.uuid4().hex}"
    storage = photo.image.storage
    new_image = storage.save(f"reports/{name}.jpg", ContentFile(image))
    new_thumb = storage.save(f"reports/{name}-thumb.jpg", ContentFile(thumbnail))
    try:
        with transaction.atomic():
            CasePhoto.objects.filter(pk=photo.pk).update(image=new_image, thumbnail=new_thumb)
            _moderated(photo, actor, "blurred", box=list(box) if box else None)
    except Exception:
        for leftover in (new_image, new_thumb):
            storage.delete(leftover)
        raise
    photo.image.name, photo.thumbnail.name = new_image, new_thumb
    transaction.on_commit(lambda: [storage.delete(n) for n in old])
    return photo


def remove_photo(photo: CasePhoto, actor: User | None) -> None:
    """Delete the photo and its files; the history keeps that it existed and who removed it."""
    storage = photo.image.storage
    files = [photo.image.name, photo.thumbnail.name]
    with transaction.atomic():
        _moderated(photo, actor, "removed")
        CasePhoto.objects.filter(pk=photo.pk).delete()
    transaction.on_commit(lambda: [storage.delete(n) for n in files])
