"""The relay rule: an official warning reaches the town once, only where it applies, as an
update where it updates and as the all-clear where it cancels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from stadtbote.cap.alert import Alert, Area, Info, Reference
from stadtbote.cap.models import Outcome, ReceivedAlert, SourceKind, WarningSource
from stadtbote.cap.relay import alert_key, covers, level, relay
from stadtbote.core.severity import Severity
from stadtbote.messages.models import Message, MessageStatus

SENT = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)
# A box over the middle of the demo town (Lippstadt) and one far away, as (lon, lat) rings.
OVER_TOWN = [(8.30, 51.64), (8.40, 51.64), (8.40, 51.70), (8.30, 51.70), (8.30, 51.64)]
ELSEWHERE = [(9.00, 52.00), (9.10, 52.00), (9.10, 52.10), (9.00, 52.10), (9.00, 52.00)]


def info(severity: str = "Severe", language: str = "de-DE", **extra) -> Info:
    fields = {
        "language": language,
        "categories": ["Met"],
        "event": "STURMBÖEN",
        "urgency": "Immediate",
        "severity": severity,
        "certainty": "Likely",
        "sender_name": "Deutscher Wetterdienst",
        "headline": "Amtliche WARNUNG vor STURMBÖEN",
        "description": "Es treten Sturmböen mit Geschwindigkeiten um 70 km/h auf.",
        "instruction": "Achten Sie auf herabstürzende Äste.",
        "web": "https://www.wettergefahren.de",
        "expires": timezone.now() + timedelta(hours=6),
        "areas": [Area("Stadt Lippstadt", polygons=[OVER_TOWN])],
    }
    fields.update(extra)
    return Info(**fields)


def alert(identifier: str = "2.49.0.0.276.0.DWD.PVW.1.a", **extra) -> Alert:
    fields = {
        "identifier": identifier,
        "sender": "opendata@dwd.de",
        "sent": SENT,
        "sent_text": "2026-11-27T07:00:00+01:00",
        "status": "Actual",
        "msg_type": "Alert",
        "scope": "Public",
        "infos": [info()],
    }
    fields.update(extra)
    return Alert(**fields)


def update_of(earlier: Alert, identifier: str, **extra) -> Alert:
    ref = Reference(earlier.sender, earlier.identifier, earlier.sent_text)
    return alert(identifier, msg_type="Update", references=[ref], **extra)


@pytest.fixture
def dwd(tenant) -> WarningSource:
    return WarningSource.objects.create(
        tenant=tenant,
        kind=SourceKind.DWD,
        name="Deutscher Wetterdienst",
        codes=["805974028"],
        auto_from="moderate",
        ignore_below="minor",
    )


def test_a_warning_over_the_town_goes_out_with_its_source_and_instructions(tenant, dwd):
    handled = relay(tenant, dwd, alert())
    assert handled.outcome == Outcome.RELAYED
    message = Message.objects.get(pk=handled.message_id)
    assert message.status == MessageStatus.PUBLISHED
    assert message.severity == Severity.SEVERE
    assert message.title == {"de": "Amtliche WARNUNG vor STURMBÖEN"}
    assert message.instruction == {"de": "Achten Sie auf herabstürzende Äste."}
    assert (message.source_name, message.source_url) == (
        "Deutscher Wetterdienst",
        "https://www.wettergefahren.de",
    )
    assert message.area["kind"] == "shape"
    row = ReceivedAlert.objects.get(tenant=tenant)
    assert (row.outcome, row.message_id, row.severity) == (Outcome.RELAYED, message.pk, "Severe")


def test_the_same_warning_from_a_second_source_goes_out_once(tenant, dwd):
    relay(tenant, dwd, alert())
    again = relay(tenant, None, alert("dwdmap.2.49.0.0.276.0.DWD.PVW.1.a"))
    assert again.duplicate
    assert Message.objects.count() == 1
    assert ReceivedAlert.objects.count() == 1


def test_a_warning_elsewhere_is_recorded_but_not_sent(tenant, dwd):
    handled = relay(tenant, dwd, alert(infos=[info(areas=[Area("Hannover", [ELSEWHERE])])]))
    assert (handled.outcome, handled.message_id) == (Outcome.NOT_HERE, None)
    assert not Message.objects.exists()


def test_a_district_geocode_covers_the_town_when_there_is_no_geometry(tenant):
    source = WarningSource.objects.create(
        tenant=tenant, kind=SourceKind.BUND, name="MoWaS", codes=["059740028028"]
    )
    kreis = Area("Kreis Soest", geocodes=[("SHN", "059740000000")])
    handled = relay(tenant, source, alert("mow.DE-NW-SO-1", infos=[info(areas=[kreis])]))
    assert handled.outcome == Outcome.RELAYED
    assert Message.objects.get().area == {"kind": "town"}
    other = Area("Kreis Coesfeld", geocodes=[("SHN", "055580000000")])
    missed = relay(tenant, source, alert("mow.DE-NW-COE-2", infos=[info(areas=[other])]))
    assert missed.outcome == Outcome.NOT_HERE


@pytest.mark.parametrize("status", ["Exercise", "Test", "System", "Draft"])
def test_exercises_tests_and_drafts_never_reach_citizens(tenant, dwd, status):
    assert relay(tenant, dwd, alert(status=status)).outcome == Outcome.NOT_ACTUAL
    assert not Message.objects.exists()


def test_below_the_towns_threshold_a_warning_waits_for_a_publisher(tenant, dwd):
    handled = relay(tenant, dwd, alert(infos=[info("Minor")]))
    assert handled.outcome == Outcome.HELD
    assert Message.objects.get().status == MessageStatus.DRAFT
    asked = DBTaskResult.objects.filter(task_path__endswith="ask_for_approval")
    assert asked.count() == 0  # enqueued only once the transaction commits


@pytest.mark.django_db(transaction=True)
def test_publishers_are_asked_by_mail_to_confirm_a_held_warning(tenant, dwd, smtp):
    from tests.support.tasks import drain

    relay(tenant, dwd, alert(infos=[info("Minor")]))
    drain()
    [mail] = smtp.received
    assert "Deutscher Wetterdienst" in mail.message.get_content()


def test_below_the_floor_a_warning_is_only_recorded(tenant, dwd):
    dwd.ignore_below = "moderate"
    dwd.save()
    assert relay(tenant, dwd, alert(infos=[info("Minor")])).outcome == Outcome.IGNORED
    assert not Message.objects.exists()


def test_the_source_may_map_a_cap_severity_to_another_level(tenant, dwd):
    dwd.severity_map = {"Severe": "extreme"}
    dwd.save()
    relay(tenant, dwd, alert())
    assert Message.objects.get().severity == Severity.EXTREME
    assert level(dwd, "Moderate") == "moderate"
    assert level(None, "Unknown") == "info"


def test_an_update_replaces_the_relayed_message_instead_of_alarming_again(tenant, dwd):
    first = alert()
    relay(tenant, dwd, first)
    handled = relay(tenant, dwd, update_of(first, "2.49.0.0.276.0.DWD.PVW.1.b"))
    assert handled.outcome == Outcome.RELAYED
    newer = Message.objects.get(pk=handled.message_id)
    assert newer.replaces == Message.objects.get(title__de__isnull=False, replaces=None)


def test_an_update_of_a_held_warning_takes_the_place_of_the_draft(tenant, dwd):
    first = alert(infos=[info("Minor")])
    relay(tenant, dwd, first)
    handled = relay(tenant, dwd, update_of(first, "2.49.0.0.276.0.DWD.PVW.1.b"))
    assert handled.outcome == Outcome.RELAYED  # raised to severe: goes out at once
    newer = Message.objects.get(pk=handled.message_id)
    assert newer.replaces_id is None
    assert Message.objects.exclude(pk=newer.pk).get().status == MessageStatus.CANCELLED


def test_a_cancel_withdraws_the_latest_version_and_sends_the_all_clear(tenant, dwd):
    first = alert()
    relay(tenant, dwd, first)
    second = update_of(first, "2.49.0.0.276.0.DWD.PVW.1.b")
    updated = relay(tenant, dwd, second)
    cancel = alert(
        "2.49.0.0.276.0.DWD.PVW.1.c",
        msg_type="Cancel",
        references=[Reference(second.sender, second.identifier, second.sent_text)],
    )
    handled = relay(tenant, dwd, cancel)
    assert (handled.outcome, handled.message_id) == (Outcome.CANCELLED, updated.message_id)
    assert Message.objects.get(pk=updated.message_id).status == MessageStatus.CANCELLED


def test_a_cancel_of_a_warning_never_relayed_is_ignored(tenant, dwd):
    cancel = alert(
        "x.cancel",
        msg_type="Cancel",
        references=[Reference("opendata@dwd.de", "unknown", "2026-11-27T07:00:00+01:00")],
    )
    assert relay(tenant, dwd, cancel).outcome == Outcome.IGNORED


def test_an_expired_warning_is_not_sent(tenant, dwd):
    old = info(expires=timezone.now() - timedelta(minutes=1))
    assert relay(tenant, dwd, alert(infos=[old])).outcome == Outcome.EXPIRED


def test_each_language_the_town_publishes_in_gets_its_own_text(tenant, dwd):
    english = info(language="en-GB", headline="Official WARNING of GALE-FORCE GUSTS",
                   description="Gale-force gusts of about 70 km/h.",
                   instruction="Beware of falling branches.")  # fmt: skip
    relay(tenant, dwd, alert(infos=[info(), english]))
    message = Message.objects.get()
    assert message.title["en"] == "Official WARNING of GALE-FORCE GUSTS"
    assert message.instruction["en"] == "Beware of falling branches."


def test_a_warning_in_a_foreign_language_only_still_reaches_everyone(tenant, dwd):
    relay(tenant, dwd, alert(infos=[info(language="fr-FR", headline="Rafales")]))
    assert Message.objects.get().title == {"de": "Rafales"}


def test_identifiers_lose_the_prefix_of_the_portal_that_relays_them():
    assert alert_key("dwdmap.2.49.0.0.276.0.DWD.PVW.1") == "2.49.0.0.276.0.DWD.PVW.1"
    assert alert_key("mow.DE-NW-BN-SE030") == "DE-NW-BN-SE030"
    assert alert_key("2.49.0.0.276.0.DWD.PVW.1") == "2.49.0.0.276.0.DWD.PVW.1"


@pytest.mark.parametrize(
    ("geocode", "town", "expected"),
    [
        ("059740028028", "059740028028", True),
        ("059740000000", "059740028028", True),  # the Kreis Soest
        ("050000000000", "059740028028", True),  # the whole Land
        ("055580000000", "059740028028", False),  # another Kreis
        ("805974028", "805974028", True),  # a DWD warn cell
        ("805974000", "805974028", False),  # warn cells are not hierarchical keys
    ],
)
def test_a_geocode_covers_the_town_when_equal_or_a_larger_unit(geocode, town, expected):
    assert covers(geocode, town) is expected


def test_a_push_or_mail_of_a_relayed_warning_carries_what_to_do_and_who_issued_it(tenant, dwd):
    from stadtbote.delivery.render import notice

    handled = relay(tenant, dwd, alert())
    body = notice(Message.objects.get(pk=handled.message_id), "message", "de").body
    assert "Achten Sie auf herabstürzende Äste." in body
    assert "Deutscher Wetterdienst" in body
