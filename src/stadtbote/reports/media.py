"""Storing the photos of a case: processed first (``photos.process``), then saved under names
nobody can guess, never under the citizen's file name."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
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
    unblurred original is deleted once the row points at the new files.

    ``box`` is (x, y, width, height) as fractions of the image (0..1); None blurs it all.
    """
    if not photos.valid_box(box):
        raise InvalidInput("four fractions (x, y, width, height) inside the photo", field="box")
    storage = photo.image.storage
    written: list[str] = []
    try:
        with transaction.atomic():
            # The row as it is now, locked: a second moderator blurring at the same moment
            # works on this result instead of on files that are about to be deleted.
            current = (
                CasePhoto.objects.select_for_update()
                .select_related("case__tenant")
                .get(pk=photo.pk)
            )
            with current.image.open("rb") as f:
                image, thumbnail = photos.blur(f.read(), box)
            old = [current.image.name, current.thumbnail.name]
            name = f"reports/{current.case.tenant.slug}/{current.case.public_id}/{uuid.uuid4().hex}"
            written.append(storage.save(f"{name}.jpg", ContentFile(image)))
            written.append(storage.save(f"{name}-thumb.jpg", ContentFile(thumbnail)))
            CasePhoto.objects.filter(pk=photo.pk).update(image=written[0], thumbnail=written[1])
            _moderated(photo, actor, "blurred", box=list(box) if box else None)
            transaction.on_commit(lambda: _delete_files(storage, old))
    except Exception:
        _delete_files(storage, written)
        raise
    photo.image.name, photo.thumbnail.name = written
    return photo


def _delete_files(storage: Storage, names: list[str]) -> None:
    for name in names:
        storage.delete(name)


def remove_photo(photo: CasePhoto, actor: User | None) -> None:
    """Delete the photo and its files; the history keeps that it existed and who removed it.
    A photo already removed (by someone else a moment ago) is left alone."""
    storage = photo.image.storage
    with transaction.atomic():
        current = CasePhoto.objects.select_for_update().filter(pk=photo.pk).first()
        if current is None:
            return
        files = [current.image.name, current.thumbnail.name]
        _moderated(current, actor, "removed")
        current.delete()
        transaction.on_commit(lambda: _delete_files(storage, files))
