"""SMS delivery receipts: the gateway's dlr-url callback and the SMSC's deliver_sm end in the
delivery's ``received_at`` (the staff's "arrived on devices" figures), mark undelivered SMS
failed, and time the providers, so that one whose receipts come slowly is taken out."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from stadtbote.delivery import maintenance, sms_receipts
from stadtbote.delivery.channels.base import Notice, Outgoing
from stadtbote.delivery.channels.sms.providers.base import Receipt, accepted
from stadtbote.delivery.channels.sms.transport import Accepted
from stadtbote.delivery.models import Delivery, SmsStatus, SmsSubmission, Status
from stadtbote.delivery.progress import arrival
from stadtbote.messages.models import Message
from tests.conftest import ALTSTADT, point_place
from tests.staff.conftest import signed_in
from tests.support.smpp_server import SmppServer
from tests.support.sms_gateway import SmsGateway
from tests.support.tasks import drain

pytestmark = pytest.mark.django_db(transaction=True)

WARNING = {
    "title": {"de": "Unwetterwarnung"},
    "body": {"de": "Orkanböen ab 18 Uhr. Bleiben Sie im Haus."},
    "severity": "severe",
}
NUMBERS = ("0151 1234 5671", "0151 1234 5672", "0151 1234 5673")


@pytest.fixture(autouse=True)
def fresh_health() -> None:
    cache.clear()  # provider health and rate limits of earlier tests


def provider_url(gateway: SmsGateway, **options: str) -> str:
    query = "&".join(f"{key}={value}" for key, value in {"from": "Musterstadt", **options}.items())
    return gateway.url.replace("http://", "kannel+http://stadtbote:secret@") + "?" + query


@pytest.fixture
def gateway(monkeypatch: pytest.MonkeyPatch) -> Iterator[SmsGateway]:
    with SmsGateway() as server:
        monkeypatch.setenv("STADTBOTE_SMS_PROVIDERS", provider_url(server))
        yield server


def subscribe(api, number: str, *gateways: SmsGateway, smsc: SmppServer | None = None) -> None:
    body = {"places": [point_place(ALTSTADT)], "channels": [{"type": "sms", "address": number}]}
    created = api.post("musterstadt/subscribers", body).json()
    drain()
    e164 = "+49" + number.replace(" ", "")[1:]
    if smsc is not None:
        texts = smsc.texts_for(e164)
    else:
        texts = [r["text"] for g in gateways for r in g.received if r["to"] == e164]
    code = re.search(r"\b(\d{6})\b", texts[-1]).group(1)
    confirmed = api.post(
        f"musterstadt/subscribers/{created['id']}/confirm-sms",
        {"code": code},
        token=created["token"],
    )
    assert confirmed.status_code == 200, confirmed.json()


def publish(api, staff_token: str) -> Message:
    message_id = api.post("musterstadt/messages", WARNING, token=staff_token).json()["id"]
    drain()
    return Message.objects.get(pk=message_id)


def report(client, request: dict[str, str], dlr_type: int, answer: str = ""):
    """What the gateway does with the dlr-url we gave it: fill in %d and %A, then GET it."""
    url = request["dlr-url"].replace("%d", str(dlr_type)).replace("%A", answer)
    return client.get(url.removeprefix(settings.PUBLIC_URL))


def warning_requests(gateway: SmsGateway) -> list[dict[str, str]]:
    return [r for r in gateway.received if "WARNUNG" in r["text"]]


def test_a_delivered_report_from_the_gateway_sets_the_arrival_that_staff_see(
    api, client, tenant, staff_token, gateway
):
    subscribe(api, NUMBERS[0], gateway)
    message = publish(api, staff_token)
    [request] = warning_requests(gateway)
    submission = SmsSubmission.objects.get()

    first = report(client, request, 1)
    again = report(client, request, 1)

    delivery = Delivery.objects.get(channel_type="sms")
    submission.refresh_from_db()
    page = signed_in(tenant, "publisher").get(f"/musterstadt/staff/messages/{message.pk}")
    assert request["dlr-mask"] == "31"
    assert first.status_code == 200
    assert first.json() == {"recorded": 1}
    assert again.json() == {"recorded": 0}
    assert submission.delivery_id == delivery.pk
    assert submission.provider == "kannel-1"
    assert submission.status == SmsStatus.DELIVERED
    assert submission.receipt_at == delivery.received_at
    assert delivery.status == Status.SENT
    assert delivery.received_at is not None
    figures = arrival(message)["sms"]
    assert figures.received == 1
    assert figures.p50 is not None
    assert figures.p90 is not None
    assert "SMS: 1 device" in page.content.decode()


def test_a_report_with_a_forged_or_foreign_message_id_is_refused_and_changes_nothing(
    api, client, tenant, staff_token, gateway
):
    subscribe(api, NUMBERS[0], gateway)
    publish(api, staff_token)
    [request] = warning_requests(gateway)
    message_id = SmsSubmission.objects.get().message_id
    forged_mac = message_id[:-1] + ("A" if message_id[-1] != "A" else "B")
    guessed = "0" * len(message_id)

    answers = [
        report(client, {"dlr-url": request["dlr-url"].replace(message_id, other)}, 1)
        for other in (forged_mac, guessed, "m000001")
    ]

    assert [a.status_code for a in answers] == [403, 403, 403]
    assert answers[0].json()["code"] == "invalid_signature"
    assert not sms_receipts.check_message_id(tenant.pk + 1, message_id)
    assert SmsSubmission.objects.get().status == SmsStatus.ACCEPTED
    assert Delivery.objects.get(channel_type="sms").received_at is None


def test_a_report_without_a_known_type_or_id_is_malformed(api, client, tenant, gateway):
    path = "/api/v1/musterstadt/sms/dlr"

    no_type = client.get(path, {"id": sms_receipts.mint_message_id(tenant.pk)})
    no_id = client.get(path, {"type": "1"})

    assert (no_type.status_code, no_id.status_code) == (422, 422)


def test_a_failed_report_marks_the_sms_and_its_delivery_failed_with_the_reason(
    api, client, tenant, staff_token, gateway
):
    subscribe(api, NUMBERS[0], gateway)
    publish(api, staff_token)
    [request] = warning_requests(gateway)

    answer = report(client, request, 2, "id:1 stat:UNDELIV err:001 text:Musterstadt")

    submission = SmsSubmission.objects.get()
    delivery = Delivery.objects.get(channel_type="sms")
    assert answer.json() == {"recorded": 1}
    assert submission.status == SmsStatus.FAILED
    assert submission.error == "failed: stat:UNDELIV err:001"
    assert delivery.status == Status.FAILED
    assert delivery.reason == "SMS not delivered: failed: stat:UNDELIV err:001"
    assert delivery.received_at is None


def test_a_buffered_report_keeps_the_sms_waiting_for_its_final_receipt(
    api, client, tenant, staff_token, gateway
):
    subscribe(api, NUMBERS[0], gateway)
    publish(api, staff_token)
    [request] = warning_requests(gateway)

    report(client, request, 4)
    report(client, request, 1)

    assert SmsSubmission.objects.get().status == SmsStatus.DELIVERED


def test_a_report_that_comes_before_its_sms_was_recorded_is_applied_when_it_is(
    api, client, tenant, staff_token, gateway
):
    subscribe(api, NUMBERS[0], gateway)
    publish(api, staff_token)
    [request] = warning_requests(gateway)
    written = SmsSubmission.objects.get()
    delivery = Delivery.objects.get(channel_type="sms")
    item = Outgoing(delivery.pk, "+4915112345671", render_notice(delivery), {}, "")
    accepted = Accepted(delivery.pk, written.provider, (written.message_id,), written.segments)
    written.delete()  # as if the sending worker had not written it yet

    early = report(client, request, 1)
    sms_receipts.record_submissions(tenant.pk, [item], [accepted])

    submission = SmsSubmission.objects.get()
    delivery.refresh_from_db()
    assert early.json() == {"recorded": 0}
    assert submission.status == SmsStatus.DELIVERED
    assert delivery.received_at is not None
    assert delivery.received_at <= submission.receipt_at


def render_notice(delivery: Delivery) -> Notice:
    message = Message.objects.get(pk=delivery.message_id)
    return Notice(
        message_id=str(message.pk),
        kind="message",
        title="",
        body="",
        severity="severe",
        url="",
        language="de",
        tenant=message.tenant.slug,
        tenant_name=message.tenant.name,
    )


class ReadingProvider:
    """A provider whose session has already read the receipt of what it accepted."""

    name = "reading"

    def submit(self, messages):
        return [accepted(m.reference, "r1") for m in messages]

    def receipts(self):
        return [Receipt("r1", "delivered")]

    def close(self):
        pass


def test_receipts_the_sending_session_read_are_recorded_when_the_channel_closes(
    api, tenant, staff_token, gateway
):
    subscribe(api, NUMBERS[0], gateway)
    publish(api, staff_token)
    delivery = Delivery.objects.get(channel_type="sms")
    item = Outgoing(delivery.pk, "+4915112345671", render_notice(delivery), {}, "")
    channel = sms_receipts.EngineSmsChannel([ReadingProvider()], tenant_id=tenant.pk)

    [outcome] = channel.send([item])
    written = SmsSubmission.objects.get(provider="reading")
    channel.close()

    written.refresh_from_db()
    delivery.refresh_from_db()
    assert outcome.status == "sent"
    assert written.delivery_id == delivery.pk
    assert written.status == SmsStatus.DELIVERED
    assert delivery.received_at == written.receipt_at


def test_a_confirmation_code_leaves_no_submission_even_when_its_id_is_a_deliverys(
    api, tenant, staff_token, gateway
):
    subscribe(api, NUMBERS[0], gateway)
    publish(api, staff_token)
    delivery = Delivery.objects.get(channel_type="sms")
    code_notice = Notice(
        message_id=f"code-{delivery.pk}",
        kind="message",
        title="",
        body="code",
        severity="info",
        url="",
        language="de",
        tenant=tenant.slug,
        tenant_name=tenant.name,
    )
    item = Outgoing(delivery.pk, "+4915112345671", code_notice, {"text": "code"}, "code:1")

    recorded = sms_receipts.record_submissions(
        tenant.pk, [item], [Accepted(delivery.pk, "kannel-1", ("x",), 1)]
    )

    assert recorded == 0
    assert SmsSubmission.objects.count() == 1  # the warning's, not the code's


def test_the_periodic_job_collects_the_receipts_the_smsc_held_for_the_next_bind(
    api, tenant, staff_token, monkeypatch
):
    with SmppServer(system_id="stadtbote", password="secret", receipt_delay=0.3) as smsc:
        monkeypatch.setenv(
            "STADTBOTE_SMS_PROVIDERS",
            f"smpp://stadtbote:secret@127.0.0.1:{smsc.port}?source=Musterstadt",
        )
        subscribe(api, NUMBERS[0], smsc=smsc)
        message = publish(api, staff_token)
        submission = SmsSubmission.objects.get()
        waited_until = time.monotonic() + 5
        while submission.message_id not in [m for m, _ in smsc.held]:
            assert time.monotonic() < waited_until, "the SMSC never held the receipt"
            time.sleep(0.05)
        before = SmsSubmission.objects.get().status

        sms_receipts.collect_sms_receipts()
        drain()

    submission.refresh_from_db()
    delivery = Delivery.objects.get(channel_type="sms")
    assert before == SmsStatus.ACCEPTED
    assert submission.provider == "smpp-1"
    assert submission.status == SmsStatus.DELIVERED
    assert delivery.received_at == submission.receipt_at
    assert arrival(message)["sms"].received == 1
    assert smsc.held == []


def test_an_undelivered_smpp_receipt_marks_the_delivery_failed(
    api, tenant, staff_token, monkeypatch
):
    with SmppServer(system_id="stadtbote", password="secret", receipt_delay=0.3) as smsc:
        monkeypatch.setenv(
            "STADTBOTE_SMS_PROVIDERS",
            f"smpp://stadtbote:secret@127.0.0.1:{smsc.port}?source=Musterstadt",
        )
        subscribe(api, NUMBERS[0], smsc=smsc)
        smsc.receipt_status("+4915112345671", "UNDELIV")
        publish(api, staff_token)
        waited_until = time.monotonic() + 5
        while not any(stat == "UNDELIV" for _, stat in smsc.held):
            assert time.monotonic() < waited_until, "the SMSC never held the receipt"
            time.sleep(0.05)

        sms_receipts.collect_sms_receipts()
        drain()

    delivery = Delivery.objects.get(channel_type="sms")
    assert SmsSubmission.objects.get().status == SmsStatus.FAILED
    assert delivery.status == Status.FAILED
    assert delivery.reason.startswith("SMS not delivered: failed")


def test_slow_receipts_take_a_provider_out_and_the_next_sms_go_to_the_other(
    api, client, tenant, staff_token, monkeypatch
):
    with SmsGateway() as slow, SmsGateway() as spare:
        monkeypatch.setenv(
            "STADTBOTE_SMS_PROVIDERS",
            provider_url(slow, name="slow", weight="100")
            + ","
            + provider_url(spare, name="spare", weight="1"),
        )
        for number in NUMBERS:
            subscribe(api, number, slow, spare)
        publish(api, staff_token)
        first_round = {s.provider for s in SmsSubmission.objects.all()}
        # The receipts come 20 minutes after submitting (the policy allows a median of 10).
        SmsSubmission.objects.update(submitted_at=timezone.now() - timedelta(minutes=20))
        for request in warning_requests(slow):
            assert report(client, request, 1).json() == {"recorded": 1}

        publish(api, staff_token)

    second_round = SmsSubmission.objects.filter(receipt_at__isnull=True)
    assert first_round == {"slow"}
    assert len(warning_requests(slow)) == 3
    assert len(warning_requests(spare)) == 3
    assert sorted(s.provider for s in second_round) == ["spare"] * 3


def test_sms_without_a_receipt_for_48_hours_expire(tenant):
    now = timezone.now()
    old = SmsSubmission.objects.create(
        tenant=tenant, provider="kannel-1", message_id="a", submitted_at=now - timedelta(hours=49)
    )
    recent = SmsSubmission.objects.create(
        tenant=tenant, provider="kannel-1", message_id="b", submitted_at=now - timedelta(hours=47)
    )

    expired = sms_receipts.collect_sms_receipts(now)
    job = maintenance.JOBS["collect_sms_receipts"]

    old.refresh_from_db()
    recent.refresh_from_db()
    assert job == (timedelta(seconds=30), sms_receipts.collect_sms_receipts)
    assert expired == 1
    assert (old.status, old.error) == (SmsStatus.EXPIRED, "no receipt within 48 h")
    assert recent.status == SmsStatus.ACCEPTED


def test_a_provider_that_never_reports_back_is_taken_out_like_a_slow_one(
    api, tenant, staff_token, monkeypatch
):
    with SmsGateway() as silent, SmsGateway() as spare:
        monkeypatch.setenv(
            "STADTBOTE_SMS_PROVIDERS",
            provider_url(silent, name="silent", weight="100")
            + ","
            + provider_url(spare, name="spare", weight="1"),
        )
        for number in NUMBERS:
            subscribe(api, number, silent, spare)
        publish(api, staff_token)
        # No receipt ever comes; the job sees them pass the longest acceptable delay.
        later = timezone.now() + timedelta(seconds=sms_receipts.POLICY.max_receipt_delay + 10)
        late = sms_receipts.count_overdue(later)
        again = sms_receipts.count_overdue(later + sms_receipts.JOB_INTERVAL)

        publish(api, staff_token)

    assert (late, again) == (3, 0)
    newest = SmsSubmission.objects.order_by("-id")[:3]
    assert sorted(s.provider for s in newest) == ["spare"] * 3
