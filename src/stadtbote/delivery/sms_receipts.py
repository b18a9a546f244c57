"""SMS delivery receipts: which SMS reached the phone, when, and how fast each provider reports.

Every SMS a provider accepts for a delivery leaves an ``SmsSubmission`` row per provider
message id. Receipts come back two ways and end in ``record_receipts``:

- a Kannel-style gateway calls our dlr-url (``api/sms.py``). The message id in that URL is ours
  and carries a MAC, so only whoever holds the secret key can name a message: a forged
  callback cannot mark anything delivered;
- an SMSC sends SMPP deliver_sm to a bound session. The sending session reads those that come
  while it is open (recorded when the channel closes); the rest wait at the SMSC for the next
  bind, which ``read_smpp_receipts`` makes every 30 seconds.

A "delivered" receipt sets the delivery's ``received_at`` (as push receipts do), so SMS shows up
in the staff's "arrived on devices" figures. A long SMPP message has a receipt per segment: the
first final receipt of any segment decides, because the phone shows the message once its first
part is there and a later segment's receipt says nothing new about the delivery. A "failed",
"rejected" or "expired" receipt marks a sent, not yet received delivery failed with the reason.
Receipt times are ours (when we read the receipt), not the SMSC's "done date", which has minute
precision and no time zone; SMPP receipts read by the periodic job are late by up to its
interval. Every final receipt also times its provider for failover (slow receipts take it out).
"""

from __future__ import annotations

import base64
import functools
import logging
import os
import re
import secrets
import time
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django_tasks import task

from stadtbote.delivery import sms_config
from stadtbote.delivery.bulk import insert_rows
from stadtbote.delivery.channels.base import Outcome, Outgoing
from stadtbote.delivery.channels.sms import SmppProvider, SmsChannel
from stadtbote.delivery.channels.sms.failover import FailoverPolicy, record_receipt_delay
from stadtbote.delivery.channels.sms.providers.base import Receipt, SmsProvider
from stadtbote.delivery.channels.sms.transport import Accepted
from stadtbote.delivery.models import (
    SMS_AWAITING,
    Delivery,
    SmsStatus,
    SmsSubmission,
    Status,
)
from stadtbote.delivery.sms_health import CacheHealthStore
from stadtbote.tenants.models import Municipality

log = logging.getLogger(__name__)

# Past this an SMSC has given up on the message itself (validity periods are 24-48 h).
RECEIPT_WINDOW = timedelta(hours=48)
# One run of read_smpp_receipts: at most READ_BUDGET seconds, READ_WAIT per SMPP provider.
READ_BUDGET = 10.0
READ_WAIT = 2.0
POLICY = FailoverPolicy()  # as the channel's (registry._sms)
# A report that came before its submission row was written waits this long for it (seconds).
EARLY_KEPT = 600

_SALT = "stadtbote.delivery.sms-dlr"
_TOKEN_HEX = 16
_MAC_CHARS = 22  # base64url, 132 bits
MESSAGE_ID_LENGTH = _TOKEN_HEX + _MAC_CHARS
_CHUNK = 500
_ANSWER_FIELDS = re.compile(r"\b(?:stat|err):\S+", re.IGNORECASE)
_SUBMISSION_FIELDS = (
    "delivery",
    "tenant",
    "provider",
    "message_id",
    "segments",
    "submitted_at",
    "status",
    "error",
)


# -- Kannel's dlr-url ---------------------------------------------------------------------


def _mac(tenant_id: int, token: str) -> str:
    digest = salted_hmac(_SALT, f"{tenant_id}:{token}", algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")[:_MAC_CHARS]


def mint_message_id(tenant_id: int) -> str:
    """A message id for the HTTP gateway: random, and signed for the town it is sent for."""
    token = secrets.token_hex(_TOKEN_HEX // 2)
    return token + _mac(tenant_id, token)


def check_message_id(tenant_id: int, message_id: str) -> bool:
    if len(message_id) != MESSAGE_ID_LENGTH or not message_id.isascii():
        return False
    token, mac = message_id[:_TOKEN_HEX], message_id[_TOKEN_HEX:]
    return constant_time_compare(mac, _mac(tenant_id, token))


def dlr_url(tenant: Municipality) -> str:
    """Where the gateway reports; it fills %d (report type) and %A (the SMSC's answer)."""
    return f"{settings.PUBLIC_URL}/api/v1/{tenant.slug}/sms/dlr?id={{id}}&type=%d&answer=%A"


def health_store(tenant_id: int, specs: Sequence[sms_config.ProviderSpec]) -> CacheHealthStore:
    # Keyed by the provider set too: a changed set starts with fresh health.
    return CacheHealthStore(f"sms-health:{tenant_id}:{','.join(s.name for s in specs)}")


def id_factory(tenant: Municipality) -> functools.partial[str]:
    return functools.partial(mint_message_id, tenant.pk)


# -- the channel as the engine runs it ----------------------------------------------------


class EngineSmsChannel(SmsChannel):
    """``SmsChannel`` that keeps a submission row per accepted SMS of a delivery, and records
    the SMPP receipts its sessions read before they close.

    Only items that are deliveries get rows: the confirmation code task
    (``subscribers/tasks.py``) sends through the same channel with the phone channel's id in
    ``delivery_id``, and that id may well be some delivery's. An item counts as a delivery only
    if a Delivery row with its id is an SMS of this town for the very message the item's notice
    is about; a code's notice is about "code-<id>", which no message id equals.
    """

    def __init__(self, providers: Sequence[SmsProvider], *, tenant_id: int, **options: Any):
        super().__init__(providers, on_accepted=self._note_accepted, **options)
        self._tenant_id = tenant_id
        self._accepted_now: list[Accepted] = []
        self._used: set[str] = set()

    def send(self, items: Sequence[Outgoing]) -> list[Outcome]:
        self._accepted_now = []
        try:
            return super().send(items)
        finally:
            accepted, self._accepted_now = self._accepted_now, []
            self._used.update(a.provider for a in accepted)
            try:
                record_submissions(self._tenant_id, items, accepted)
            except Exception:
                # Raising would make the engine send these SMS again; a lost row only costs
                # their receipts.
                log.exception("SMS submissions of town %s not recorded", self._tenant_id)

    def read_receipts(
        self,
        *,
        wait: float = 0.0,
        deadline: float | None = None,
        names: Collection[str] | None = None,
    ) -> list[tuple[str, Receipt]]:
        """Receipts the providers (``names``: only these) hold, waiting up to ``wait`` seconds
        per SMPP provider and never past ``deadline`` (``time.monotonic()``). Unlike
        ``collect_receipts`` this does not time providers: ``record_receipts`` does, from the
        submission rows, for receipts from any session."""
        collected: list[tuple[str, Receipt]] = []
        for name, provider in self._providers.items():
            if names is not None and name not in names:
                continue
            try:
                if isinstance(provider, SmppProvider):
                    left = wait if deadline is None else min(wait, deadline - time.monotonic())
                    if left < 0:
                        break
                    receipts = provider.receipts(wait=left)
                else:
                    receipts = provider.receipts()
            except Exception:  # one provider's trouble must not cost the others' receipts
                log.exception("%s: reading receipts failed", name)
                continue
            collected.extend((name, receipt) for receipt in receipts)
        return collected

    def close(self) -> None:
        used, self._used = self._used, set()
        if used:
            try:
                # Only sessions still bound: receipts they read are acknowledged and would be
                # lost; binding again here would hold up the batch if an SMSC just went down.
                bound = {
                    name
                    for name in used
                    if not isinstance(self._providers[name], SmppProvider)
                    or getattr(self._providers[name], "_client", None) is not None
                }
                pairs = self.read_receipts(names=bound)
                if pairs:
                    record_receipts(towns_sharing(self._tenant_id), pairs)
            except Exception:
                log.exception("SMS receipts of town %s not recorded", self._tenant_id)
        super().close()

    def _note_accepted(self, accepted: Accepted) -> None:
        self._accepted_now.append(accepted)


def record_submissions(
    tenant_id: int, items: Sequence[Outgoing], accepted: Sequence[Accepted]
) -> int:
    """Insert a row per provider message id of the accepted deliveries; returns how many."""
    if not accepted:
        return 0
    about = {item.delivery_id: item.notice.message_id for item in items}
    deliveries = Delivery.objects.filter(
        pk__in={a.delivery_id for a in accepted},
        channel_type="sms",
        message__tenant_id=tenant_id,
    ).values_list("pk", "message_id")
    real = {pk for pk, message_id in deliveries if about.get(pk) == str(message_id)}
    now = timezone.now()
    rows = [
        (a.delivery_id, tenant_id, a.provider, message_id, a.segments, now, SmsStatus.ACCEPTED, "")
        for a in accepted
        if a.delivery_id in real
        for message_id in a.message_ids
    ]
    insert_rows(SmsSubmission, _SUBMISSION_FIELDS, rows)
    _apply_early_reports(tenant_id, [(row[2], row[3]) for row in rows])
    return len(rows)


def _early_key(tenant_id: int, message_id: str) -> str:
    return f"sms-dlr-early:{tenant_id}:{message_id}"


def _apply_early_reports(tenant_id: int, submitted: Sequence[tuple[str, str]]) -> None:
    """Reports the gateway made before these rows were written (see ``record_dlr``)."""
    keys = {
        _early_key(tenant_id, message_id): provider
        for provider, message_id in submitted
        if len(message_id) == MESSAGE_ID_LENGTH  # only our HTTP gateway ids are kept early
    }
    if not keys:
        return
    early = cache.get_many(list(keys))
    for key, (message_id, status, error, extra, at) in early.items():
        receipt = Receipt(message_id, status, error=error, extra=extra)
        record_receipts([tenant_id], [(keys[key], receipt)], now=at)
    cache.delete_many(list(early))


# -- receipts -----------------------------------------------------------------------------


def towns_sharing(tenant_id: int) -> list[int]:
    """The towns configured by the same variable as this one: an SMSC account shared by the
    county delivers any town's receipts to any of their sessions."""
    slugs = dict(Municipality.objects.values_list("pk", "slug"))
    variable = sms_config.variable_for(os.environ, slugs.get(tenant_id, ""))
    if variable is None:
        return [tenant_id]
    return [
        pk for pk, slug in slugs.items() if sms_config.variable_for(os.environ, slug) == variable
    ]


def _describe(receipt: Receipt) -> str:
    detail = receipt.error
    if not detail:
        # Kannel's %A is the SMSC's receipt text; its "text:" field repeats the SMS itself.
        answer = receipt.extra.get("answer", "")
        fields = _ANSWER_FIELDS.findall(answer)
        detail = " ".join(fields) if fields else answer
    return f"{receipt.status}: {detail}"[:200] if detail else receipt.status


def record_receipts(
    tenant_ids: Iterable[int],
    pairs: Iterable[tuple[str, Receipt]],
    now: datetime | None = None,
) -> int:
    """Apply receipts (provider name, receipt) to the submissions of these towns still awaiting
    one; returns how many submissions they settled or updated. Repeated receipts change
    nothing: only awaiting rows are matched and a delivery's first receipt wins."""
    now = now or timezone.now()
    towns = list(tenant_ids)
    wanted: dict[tuple[str, str], Receipt] = {}
    for name, receipt in pairs:
        if not (receipt.final or receipt.status == "buffered"):
            continue  # "accepted by the SMSC" and unknown states say nothing new
        earlier = wanted.get((name, receipt.message_id))
        if earlier is None or not earlier.final:
            wanted[name, receipt.message_id] = receipt
    keys = list(wanted)
    buffered: list[int] = []
    settled: dict[tuple[str, str], list[int]] = {}  # (status, error) -> submission ids
    received: list[int] = []
    undelivered: dict[str, list[int]] = {}  # reason -> delivery ids
    delays: dict[int, list[tuple[str, float]]] = {}  # town -> (provider, seconds)
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        rows = SmsSubmission.objects.filter(
            tenant_id__in=towns,
            provider__in={name for name, _ in chunk},
            message_id__in={message_id for _, message_id in chunk},
            status__in=SMS_AWAITING,
        ).values_list("pk", "tenant_id", "provider", "message_id", "delivery_id", "submitted_at")
        for pk, tenant_id, provider, message_id, delivery_id, submitted_at in rows:
            got = wanted.get((provider, message_id))
            if got is None:
                continue
            if not got.final:
                buffered.append(pk)
                continue
            detail = _describe(got) if got.status != "delivered" else ""
            settled.setdefault((got.status, detail), []).append(pk)
            delay = (now - submitted_at).total_seconds()
            delays.setdefault(tenant_id, []).append((provider, delay))
            if delivery_id is None:
                continue
            if got.status == "delivered":
                received.append(delivery_id)
            else:
                undelivered.setdefault(f"SMS not delivered: {detail}"[:300], []).append(delivery_id)
    for start in range(0, len(buffered), _CHUNK):
        SmsSubmission.objects.filter(
            pk__in=buffered[start : start + _CHUNK], status=SmsStatus.ACCEPTED
        ).update(status=SmsStatus.BUFFERED)
    for (status, error), pks in settled.items():
        for start in range(0, len(pks), _CHUNK):
            SmsSubmission.objects.filter(
                pk__in=pks[start : start + _CHUNK], status__in=SMS_AWAITING
            ).update(status=status, receipt_at=now, error=error)
    for start in range(0, len(received), _CHUNK):
        Delivery.objects.filter(
            pk__in=received[start : start + _CHUNK], received_at__isnull=True
        ).update(received_at=now)
    for reason, ids in undelivered.items():
        for start in range(0, len(ids), _CHUNK):
            # Only a sent delivery that no segment's receipt reported received yet.
            Delivery.objects.filter(
                pk__in=ids[start : start + _CHUNK], status=Status.SENT, received_at__isnull=True
            ).update(status=Status.FAILED, reason=reason)
    _time_providers(delays, now)
    return len(buffered) + sum(len(pks) for pks in settled.values())


def _time_providers(delays: dict[int, list[tuple[str, float]]], now: datetime) -> None:
    """Feed receipt delays into each town's provider health, as the sending channel sees it."""
    if not delays:
        return
    slugs = dict(Municipality.objects.filter(pk__in=list(delays)).values_list("pk", "slug"))
    for tenant_id, timed in delays.items():
        try:
            specs = sms_config.providers_for(os.environ, slugs.get(tenant_id, ""))
        except sms_config.SmsConfigError:
            continue
        if not specs:
            continue
        store = health_store(tenant_id, specs)
        state = store.get()
        for provider, delay in timed:
            state = record_receipt_delay(state, provider, delay, now.timestamp(), POLICY)
        store.put(state)


def record_dlr(tenant: Municipality, receipt: Receipt) -> int:
    """A receipt the HTTP gateway reported for one of ``tenant``'s messages."""
    try:
        specs = sms_config.providers_for(os.environ, tenant.slug) or []
    except sms_config.SmsConfigError:
        specs = []
    names = [spec.name for spec in specs if spec.kind == "http"]
    recorded = record_receipts([tenant.pk], [(name, receipt) for name in names])
    if recorded or not (receipt.final or receipt.status == "buffered"):
        return recorded
    known = SmsSubmission.objects.filter(tenant=tenant, message_id=receipt.message_id)
    if not known.exists():
        # The gateway may report before the sending worker wrote the row: it writes the rows
        # of a chunk once the whole chunk is submitted. That worker applies it then.
        key = _early_key(tenant.pk, receipt.message_id)
        if receipt.final or cache.get(key) is None:  # a "buffered" never hides a final one
            value = (
                receipt.message_id,
                receipt.status,
                receipt.error,
                receipt.extra,
                timezone.now(),
            )
            cache.set(key, value, timeout=EARLY_KEPT)
    return recorded


# -- the periodic job ---------------------------------------------------------------------


def expire_unanswered(now: datetime | None = None) -> int:
    now = now or timezone.now()
    return SmsSubmission.objects.filter(
        status__in=SMS_AWAITING, submitted_at__lt=now - RECEIPT_WINDOW
    ).update(status=SmsStatus.EXPIRED, error="no receipt within 48 h")


# How often the upkeep runs this job (maintenance.JOBS): the slice ``count_overdue`` looks at.
JOB_INTERVAL = timedelta(seconds=30)


def count_overdue(now: datetime) -> int:
    """A provider that accepts SMS and never reports back is slow, not healthy: every SMS still
    without a receipt when it passes the policy's longest acceptable delay counts as one late
    receipt, once (the slice of the last job interval)."""
    limit = timedelta(seconds=POLICY.max_receipt_delay)
    late = SmsSubmission.objects.filter(
        status__in=SMS_AWAITING,
        submitted_at__lt=now - limit,
        submitted_at__gte=now - limit - JOB_INTERVAL,
    ).values_list("tenant_id", "provider", "submitted_at")
    delays: dict[int, list[tuple[str, float]]] = {}
    for tenant_id, provider, submitted_at in late:
        delays.setdefault(tenant_id, []).append((provider, (now - submitted_at).total_seconds()))
    _time_providers(delays, now)
    return sum(len(d) for d in delays.values())


def _smpp_sets(now: datetime) -> list[list[Municipality]]:
    """Towns awaiting receipts, grouped by the SMS provider set they share, for the sets with
    an SMPP provider (the HTTP gateway calls us)."""
    waiting = SmsSubmission.objects.filter(
        status__in=SMS_AWAITING, submitted_at__gte=now - RECEIPT_WINDOW
    ).values_list("tenant_id", flat=True)
    groups: dict[str, list[Municipality]] = {}
    for town in Municipality.objects.filter(pk__in=waiting.distinct()).order_by("pk"):
        try:
            specs = sms_config.providers_for(os.environ, town.slug)
        except sms_config.SmsConfigError:
            continue  # the start-up check names the variable
        if specs and any(spec.kind == "smpp" for spec in specs):
            variable = sms_config.variable_for(os.environ, town.slug) or ""
            groups.setdefault(variable, []).append(town)
    return list(groups.values())


def collect_sms_receipts(now: datetime | None = None) -> int:
    """Periodic: expire submissions without a receipt for too long, and have a worker read the
    SMPP receipts. The reading waits on sockets, so it runs as a task and not in the upkeep
    tick that all other periodic jobs share."""
    now = now or timezone.now()
    expired = expire_unanswered(now)
    count_overdue(now)
    if _smpp_sets(now):
        read_smpp_receipts.enqueue()
    return expired


@task(queue_name="maintenance")
def read_smpp_receipts() -> int:
    """Bind to every SMSC that owes receipts and record what it delivers within a few
    seconds; at most ``READ_BUDGET`` seconds per run."""
    from stadtbote.delivery.registry import open_channel

    deadline = time.monotonic() + READ_BUDGET
    recorded = 0
    for towns in _smpp_sets(timezone.now()):
        if time.monotonic() >= deadline:
            break
        try:
            channel = open_channel("sms", towns[0])
        except Exception:  # one town's broken set must not cost the others their receipts
            log.exception("SMS channel of %s not opened for receipts", towns[0].slug)
            continue
        try:
            if not isinstance(channel, EngineSmsChannel):
                continue
            pairs = channel.read_receipts(wait=READ_WAIT, deadline=deadline)
        finally:
            channel.close()
        if pairs:
            recorded += record_receipts(towns_sharing(towns[0].pk), pairs)
    return recorded
