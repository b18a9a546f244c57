"""Moderating photos: hide and show, blur all or a part for good (the original is gone from
disk), remove; every step is in the case's history."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat

from stadtbote.core.errors import InvalidInput
from stadtbote.reports import media, photos, service
from stadtbote.reports.models import CasePhoto
from tests.conftest import ALTSTADT


def stripes() -> bytes:
    """Sharp black and white stripes: any blur changes them a lot."""
    image = Image.new("RGB", (400, 300), "white")
    for x in range(0, 400, 8):
        image.paste((0, 0, 0), (x, 0, x + 4, 300))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95)
    return out.getvalue()


@pytest.fixture
def photo(tenant) -> CasePhoto:
    case = service.create_case(
        tenant,
        {"category": "muell", "lat": ALTSTADT[0], "lon": ALTSTADT[1]},
    )
    return media.add_photo(case, stripes())


def difference(a: bytes, b: bytes, box: tuple[int, int, int, int]) -> float:
    one = Image.open(io.BytesIO(a)).convert("L").crop(box)
    two = Image.open(io.BytesIO(b)).convert("L").crop(box)
    return ImageStat.Stat(ImageChops.difference(one, two)).mean[0]


def test_blurring_a_box_changes_that_part_and_leaves_the_rest(photo):
    original = photo.image.read()
    blurred, _ = photos.blur(original, (0.5, 0.0, 0.5, 0.5))
    assert difference(original, blurred, (220, 20, 380, 130)) > 40
    assert difference(original, blurred, (20, 170, 180, 280)) < 5


def test_blurring_replaces_the_files_and_deletes_the_original(
    photo, django_capture_on_commit_callbacks
):
    old = Path(photo.image.path), Path(photo.thumbnail.path)
    original = photo.image.read()
    with django_capture_on_commit_callbacks(execute=True):
        media.blur_photo(photo, None)
    photo.refresh_from_db()
    assert not old[0].exists()
    assert not old[1].exists()
    with photo.image.open("rb") as f:
        assert difference(original, f.read(), (0, 0, 400, 300)) > 40
    event = photo.case.events.last()
    assert (event.kind, event.public, event.data["action"]) == ("moderated", False, "blurred")


@pytest.mark.parametrize(
    "box", [(0.5, 0.5, 0.6, 0.1), (-0.1, 0, 0.5, 0.5), (0, 0, 0, 0.5), (0, 0, 1), ("a", 0, 1, 1)]
)
def test_a_box_outside_the_photo_is_refused(photo, box):
    with pytest.raises(InvalidInput) as refused:
        media.blur_photo(photo, None, box)
    assert refused.value.field == "box"


def test_hiding_and_showing_are_recorded(photo):
    media.set_photo_hidden(photo, True, None)
    photo.refresh_from_db()
    assert photo.hidden
    media.set_photo_hidden(photo, False, None)
    actions = [e.data["action"] for e in photo.case.events.filter(kind="moderated")]
    assert actions == ["hidden", "shown"]


def test_removing_deletes_row_and_files_and_keeps_the_trace(
    photo, django_capture_on_commit_callbacks
):
    case, path = photo.case, Path(photo.image.path)
    with django_capture_on_commit_callbacks(execute=True):
        media.remove_photo(photo, None)
    assert not CasePhoto.objects.filter(case=case).exists()
    assert not path.exists()
    assert case.events.last().data["action"] == "removed"


def test_a_blurred_photo_carries_no_metadata(photo):
    blurred, thumb = photos.blur(photo.image.read())
    for data in (blurred, thumb):
        assert not Image.open(io.BytesIO(data)).getexif()


def files_of(photo: CasePhoto) -> set[str]:
    folder = Path(photo.image.path).parent
    return {p.name for p in folder.iterdir()}


def test_blurring_a_box_of_a_stored_photo_changes_only_that_part_and_records_the_box(
    photo, django_capture_on_commit_callbacks
):
    original = photo.image.read()
    original_thumb = photo.thumbnail.read()
    with django_capture_on_commit_callbacks(execute=True):
        media.blur_photo(photo, None, (0.0, 0.5, 0.5, 0.5))
    photo.refresh_from_db()
    with photo.image.open("rb") as f:
        blurred = f.read()
    with photo.thumbnail.open("rb") as f:
        thumb = f.read()
    assert difference(original, blurred, (20, 170, 180, 280)) > 40  # inside the box
    assert difference(original, blurred, (220, 20, 380, 130)) < 5  # outside
    assert difference(original_thumb, thumb, (20, 170, 180, 280)) > 40  # 400x300: same size
    assert files_of(photo) == {Path(photo.image.name).name, Path(photo.thumbnail.name).name}
    assert photo.case.events.last().data == {
        "photo": photo.pk,
        "action": "blurred",
        "box": [0.0, 0.5, 0.5, 0.5],
    }


def test_a_second_moderator_blurring_at_once_works_on_the_first_result(
    photo, django_capture_on_commit_callbacks
):
    seen_by_the_second = CasePhoto.objects.get(pk=photo.pk)
    with django_capture_on_commit_callbacks(execute=True):
        media.blur_photo(photo, None, (0.5, 0.0, 0.5, 0.5))
    with django_capture_on_commit_callbacks(execute=True):
        media.blur_photo(seen_by_the_second, None, (0.0, 0.5, 0.5, 0.5))
    photo.refresh_from_db()
    # Only the latest files are on disk, and they carry both blurs.
    assert files_of(photo) == {Path(photo.image.name).name, Path(photo.thumbnail.name).name}
    original = stripes()
    with photo.image.open("rb") as f:
        both = f.read()
    assert difference(original, both, (220, 20, 380, 130)) > 40
    assert difference(original, both, (20, 170, 180, 280)) > 40
    actions = [e.data["action"] for e in photo.case.events.filter(kind="moderated")]
    assert actions == ["blurred", "blurred"]


def test_a_refused_box_leaves_the_photo_and_history_as_they_were(photo):
    before = (photo.image.name, set(files_of(photo)))
    with pytest.raises(InvalidInput):
        media.blur_photo(photo, None, (0.9, 0.9, 0.5, 0.5))
    photo.refresh_from_db()
    assert (photo.image.name, files_of(photo)) == before
    assert not photo.case.events.filter(kind="moderated").exists()


def test_removing_a_photo_someone_just_removed_changes_nothing(
    photo, django_capture_on_commit_callbacks
):
    case, seen_by_the_second = photo.case, CasePhoto.objects.get(pk=photo.pk)
    with django_capture_on_commit_callbacks(execute=True):
        media.remove_photo(photo, None)
        media.remove_photo(seen_by_the_second, None)
    assert [e.data["action"] for e in case.events.filter(kind="moderated")] == ["removed"]


def test_moderation_names_who_did_it_and_stays_out_of_the_public_history(photo, db):
    from django.contrib.auth import get_user_model

    moderator = get_user_model().objects.create_user("moderation@musterstadt.example")
    media.set_photo_hidden(photo, True, moderator)
    event = photo.case.events.get(kind="moderated")
    assert (event.actor, event.public, event.data) == (
        moderator,
        False,
        {"photo": photo.pk, "action": "hidden"},
    )
