"""Polling: each due source claimed by one worker, every warning relayed once however often
and however concurrently a source is polled, backoff after failures, and the commands."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from stadtbote.cap import poll
from stadtbote.cap.models import Outcome, ReceivedAlert, SourceKind, WarningSource
from stadtbote.cap.relay import alert_key
from stadtbote.messages.models import Message
from stadtbote.ops.demo import load_demo
from stadtbote.ops.management.commands import worker
from tests.cap.feeds import (
    DATA,
    DWD_SAMPLES,
    FeedServer,
    Reply,
    current,
    dwd_zip,
    serving,
    zipped,
)
from tests.ops.conftest import run
from tests.support.tasks import drain

BUND = DATA / "bund"
ALERT_2 = "2.49.0.1.276.0.DWD.PVW.1548604620000.f431e879-0f99-4722-a76b-1c3bb1cbd3ac"
MOWAS = "mow.DE-NW-SO-SE036-20261127-36-000"


@pytest.fixture
def server(settings) -> Iterator[FeedServer]:
    yield from serving(settings)


def demo_source(tenant, kind: str, url: str, **fields: Any) -> WarningSource:
    """The demo town's source of that kind, pointed at the test server and switched on."""
    source = WarningSource.objects.get(tenant=tenant, kind=kind)
    WarningSource.objects.filter(pk=source.pk).update(url=url, enabled=True, **fields)
    source.refresh_from_db()
    return source


@pytest.fixture
def dwd(tenant, server) -> WarningSource:
    server.serve("/dwd.zip", Reply(200, dwd_zip()))  # no validators: read again every time
    return demo_source(tenant, SourceKind.DWD, server.url("/dwd.zip"))


def serve_bund(server: FeedServer) -> WarningSource:
    server.serve(
        "/api31/dashboard/059740000000.json",
        Reply(200, (BUND / "dashboard_059740000000.json").read_bytes()),
    )
    for path in BUND.glob("*.*json"):
        server.serve(f"/api31/warnings/{path.name}", Reply(200, path.read_bytes()))
    return WarningSource.objects.get(kind=SourceKind.BUND)


def in_threads(count: int, work: Callable[[], Any]) -> list[Any]:
    """Run ``work`` in ``count`` threads at once, each with its own database connection."""
    barrier, results = threading.Barrier(count), []

    def run_one() -> None:
        try:
            barrier.wait()
            results.append(work())
        finally:
            connection.close()

    threads = [threading.Thread(target=run_one) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(results) == count
    return results


# --- claiming -------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_poll_due_claims_each_due_source_once_however_many_workers_ask(tenant):
    due = [
        WarningSource.objects.create(tenant=tenant, kind=SourceKind.FEED, name=f"Feed {n}")
        for n in range(3)
    ]
    now = timezone.now()
    WarningSource.objects.create(
        tenant=tenant, kind=SourceKind.FEED, name="later", next_poll_at=now + timedelta(hours=1)
    )
    WarningSource.objects.create(tenant=tenant, kind=SourceKind.FEED, name="off", enabled=False)
    # The demo town's push source is never polled, and its other two are switched off.
    WarningSource.objects.filter(kind=SourceKind.PUSH).update(next_poll_at=now)
    assert sum(in_threads(4, lambda: poll.poll_due(now))) == 3
    assert poll.poll_due(now) == 0
    queued = DBTaskResult.objects.filter(task_path__endswith="poll_source")
    assert sorted(t.args_kwargs["args"][0] for t in queued) == sorted(s.pk for s in due)
    assert all(t.priority == 10 and t.queue_name == "fanout" for t in queued)
    # The lease: nobody claims them again until it has run out (the worker died).
    assert poll.poll_due(now + poll.LEASE - timedelta(seconds=1)) == 0
    assert poll.poll_due(now + poll.LEASE) == 3


@pytest.mark.django_db(transaction=True)
def test_the_workers_upkeep_polls_the_sources(tenant, dwd):
    worker.upkeep()
    assert DBTaskResult.objects.filter(task_path__endswith="poll_source").count() == 1
    drain()
    assert ReceivedAlert.objects.count() == len(DWD_SAMPLES)


# --- once, and only once --------------------------------------------------------------------


def test_the_dwd_zip_is_relayed_once_when_polled_twice(tenant, dwd):
    first = poll.poll(dwd)
    assert (first.status, first.documents, first.errors) == ("ok", 6, [])
    # alert_1 and its updates cover Lippstadt's warn cell (minor: a publisher confirms);
    # alert_2 and its update warn of snow in the Eifel.
    assert first.outcomes == {Outcome.HELD: 4, Outcome.NOT_HERE: 2}
    messages = set(Message.objects.values_list("pk", flat=True))
    assert len(messages) == 4
    again = poll.poll(dwd)
    assert (again.status, again.documents, again.skipped) == ("ok", 0, 6)
    assert ReceivedAlert.objects.count() == 6
    assert set(Message.objects.values_list("pk", flat=True)) == messages
    assert str(again) == "0 new, 6 known"


@pytest.mark.django_db(transaction=True)
def test_two_polls_of_one_source_at_once_relay_each_warning_once(tenant, dwd):
    poll.poll_source.enqueue(dwd.pk)
    poll.poll_source.enqueue(dwd.pk)
    drain()
    assert ReceivedAlert.objects.count() == 6
    ReceivedAlert.objects.all().delete()
    Message.objects.all().delete()
    reports = in_threads(2, lambda: poll.poll(WarningSource.objects.get(pk=dwd.pk)))
    assert sum(r.documents - r.outcomes["duplicate"] for r in reports) == 6
    rows = ReceivedAlert.objects.all()
    assert rows.count() == 6
    # Each relayed or held warning made exactly one message, however the threads interleaved.
    made = rows.filter(outcome__in=[Outcome.RELAYED, Outcome.HELD]).count()
    assert Message.objects.count() == made


def test_the_etag_of_the_last_success_makes_the_next_poll_a_304(tenant, server):
    server.file("/dwd.zip", dwd_zip(), etag='"zip-1"')
    source = demo_source(tenant, SourceKind.DWD, server.url("/dwd.zip"))
    assert poll.poll(source).status == "ok"
    source.refresh_from_db()
    assert source.etag == '"zip-1"'
    unchanged = poll.poll(source)
    assert (unchanged.status, unchanged.documents, str(unchanged)) == ("unchanged", 0, "unchanged")
    assert server.requests[-1].headers["If-None-Match"] == '"zip-1"'
    source.refresh_from_db()
    assert source.failures == 0
    assert source.last_success_at is not None


def test_one_unreadable_document_does_not_stop_the_others(tenant, server):
    files = {p.name: current(p) for p in DWD_SAMPLES}
    files["broken.xml"] = b"<alert xmlns='urn:oasis:names:tc:emergency:cap:1.2'><oops/></alert>"
    server.serve("/dwd.zip", Reply(200, zipped(files)))
    source = demo_source(tenant, SourceKind.DWD, server.url("/dwd.zip"))
    report = poll.poll(source)
    assert (report.status, report.documents, len(report.errors)) == ("ok", 7, 1)
    assert "broken.xml: not valid CAP 1.2" in report.errors[0]
    assert ReceivedAlert.objects.count() == 6


def test_a_dwd_warning_from_both_portals_is_one_warning_whichever_comes_first(tenant, server):
    server.serve("/dwd.zip", Reply(200, dwd_zip()))
    dwd = demo_source(tenant, SourceKind.DWD, server.url("/dwd.zip"))
    bund = serve_bund(server)
    bund = demo_source(tenant, SourceKind.BUND, server.url("/api31"))
    poll.poll(bund)
    # The DWD warning came through warnung.bund.de first; in the DWD's ZIP it is known.
    assert poll.poll(dwd).skipped == 1
    assert ReceivedAlert.objects.filter(key=ALERT_2).get().source == bund
    ReceivedAlert.objects.all().delete()
    poll.poll(dwd)
    report = poll.poll(bund)  # now the other way round: not even fetched there
    assert report.skipped == 1
    assert ReceivedAlert.objects.filter(key=ALERT_2).get().source == dwd
    assert not any(".MUL.json" in p for p in server.paths()[-4:])


def test_a_mowas_warning_and_its_update_reach_the_town_clipped_to_its_shape(tenant, server):
    bund = serve_bund(server)
    bund = demo_source(tenant, SourceKind.BUND, server.url("/api31"))
    report = poll.poll(bund)
    assert report.outcomes[Outcome.RELAYED] == 2
    first, update = Message.objects.order_by("created_at")
    assert first.area["kind"] == "shape"  # the GeoJSON, clipped to the town
    assert update.replaces_id == first.pk
    assert update.area == {"kind": "town"}  # no shape: its municipality keys place it
    assert first.title == {
        "de": "Großbrand in Lippstadt-Cappel: Fenster und Türen geschlossen halten",
        "en": "Major fire in Lippstadt-Cappel: keep windows and doors closed",
    }
    assert first.source_name == "Leitstelle Kreis Soest"  # the issuer, not the portal
    assert ReceivedAlert.objects.get(key=alert_key(MOWAS)).identifier == MOWAS


# --- failures and backoff -------------------------------------------------------------------


def test_a_failure_backs_off_and_a_success_resets(tenant, server):
    server.serve("/dwd.zip", Reply(500), Reply(500), Reply(200, dwd_zip()))
    source = demo_source(tenant, SourceKind.DWD, server.url("/dwd.zip"), poll_seconds=60)
    start = timezone.now()
    failed = poll.poll(source, now=start, rng=random.Random(7))
    assert failed.status == "failed"
    source.refresh_from_db()
    assert source.failures == 1
    assert source.last_error == f"HTTP 500 from {server.host_port}"
    assert start + timedelta(seconds=108) <= source.next_poll_at <= start + timedelta(seconds=132)
    poll.poll(source, now=start)
    source.refresh_from_db()
    assert source.failures == 2
    assert source.next_poll_at >= start + timedelta(seconds=216)
    later = start + timedelta(minutes=5)
    assert poll.poll(source, now=later).status == "ok"
    source.refresh_from_db()
    assert (source.failures, source.last_error) == (0, "")
    assert (source.last_success_at, source.next_poll_at) == (later, later + timedelta(seconds=60))


def test_retry_after_is_honoured(tenant, server):
    server.serve("/dwd.zip", Reply(503, headers={"Retry-After": "1800"}))
    source = demo_source(tenant, SourceKind.DWD, server.url("/dwd.zip"))
    start = timezone.now()
    report = poll.poll(source, now=start)
    assert report.next_poll_at is not None
    assert report.next_poll_at >= start + timedelta(seconds=1800)


def test_a_source_off_the_allow_list_fails_without_a_request(tenant, server):
    source = WarningSource.objects.create(
        tenant=tenant, kind=SourceKind.FEED, name="Intranet", url="https://intranet.example/cap"
    )
    report = poll.poll(source)
    assert report.status == "failed"
    assert "not on the CAP allow-list" in report.error
    assert server.requests == []


@pytest.mark.parametrize("failures", [1, 2, 5, 6, 30, 10_000])
def test_backoff_doubles_up_to_an_hour_with_a_tenth_of_jitter(failures):
    for seed in range(20):
        wait = poll.backoff(60, failures, rng=random.Random(seed))
        exact = min(60 * 2**failures, 3600)
        assert exact * 0.9 <= wait <= exact * 1.1
    assert poll.backoff(60, 1, retry_after=7200) == 3600
    assert poll.backoff(60, 1, retry_after=600) == 600


# --- the demo and the commands --------------------------------------------------------------


def test_the_demo_town_has_its_three_warning_sources_once(tenant):
    load_demo(say=lambda _: None)
    sources = {s.kind: s for s in WarningSource.objects.filter(tenant=tenant)}
    assert len(sources) == WarningSource.objects.count() == 3
    assert (sources["dwd"].codes, sources["dwd"].enabled) == (["805974028"], False)
    assert (sources["bund"].codes, sources["bund"].enabled) == (["059740028028"], False)
    assert sources["bund"].url == "https://warnung.bund.de/api31"
    assert (sources["push"].name, sources["push"].enabled) == ("Kreisleitstelle (API)", True)
    assert poll.poll_due() == 0  # nothing is polled in the demo until a town switches it on


def test_cap_poll_polls_every_enabled_source_and_says_what_happened(tenant, dwd):
    out = run("cap", "poll", "--tenant", "musterstadt")
    assert out.strip() == "musterstadt: Deutscher Wetterdienst (dwd): 6 new, 4 held, 2 not_here"
    WarningSource.objects.update(enabled=False)
    assert run("cap", "poll").strip() == "No enabled source to poll."


def test_cap_import_relays_a_file_by_the_push_sources_rule(tenant, tmp_path):
    path = tmp_path / "alert_1.xml"
    path.write_bytes(current(DWD_SAMPLES[0]))
    out = run("cap", "import", str(path), "--tenant", "musterstadt")
    assert ": held: minor waits for a publisher" in out
    row = ReceivedAlert.objects.get()
    assert row.source.name == "Kreisleitstelle (API)"
    assert "received before" in run("cap", "import", str(path), "--tenant", "musterstadt")
    broken = tmp_path / "broken.xml"
    broken.write_bytes(b"<alert/>")
    with pytest.raises(CommandError, match=r"not usable CAP 1\.2"):
        run("cap", "import", str(broken), "--tenant", "musterstadt")
