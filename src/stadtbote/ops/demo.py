"""Loading the demo municipality (idempotent) and synthetic subscribers for benchmarks."""

from __future__ import annotations

import hashlib
import os
import random
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from stadtbote.core import tokens
from stadtbote.core.severity import Severity
from stadtbote.geo import service as geo
from stadtbote.geo.models import District
from stadtbote.ops import demo_data as data
from stadtbote.ops import demo_texts as texts
from stadtbote.pages.models import PublicText
from stadtbote.subscribers.models import Channel, ChannelStatus, Place, Subscriber
from stadtbote.tenants.models import Municipality, StaffMembership, Topic


@transaction.atomic
def load_demo(say: Callable[[str], None] = print) -> Municipality:
    tenant, created = Municipality.objects.get_or_create(
        slug=data.SLUG,
        defaults={
            "name": data.NAME,
            "default_language": "de",
            "languages": ["de", "en"],
            "center_lat": data.CENTER[0],
            "center_lon": data.CENTER[1],
            "contact_email": "buergerbuero@musterstadt.example",
            "website": "https://www.lippstadt.de/",
        },
    )
    for i, d in enumerate(data.DISTRICTS):
        District.objects.update_or_create(
            tenant=tenant,
            slug=d["slug"],
            defaults={"name": d["name"], "geometry": d["geometry"], "position": i},
        )
    for i, t in enumerate(data.TOPICS):
        existing = Topic.objects.filter(tenant=tenant, slug=t["slug"]).first()
        fields = {"name": t["name"], "description": t["description"], "position": i}
        if existing:
            Topic.objects.filter(pk=existing.pk).update(**fields)
        else:
            used = set(Topic.objects.filter(tenant=tenant).values_list("bit", flat=True))
            Topic.objects.create(
                tenant=tenant, slug=t["slug"], bit=min(set(range(64)) - used), **fields
            )
    _load_reports_setup(tenant)
    _load_message_templates(tenant)
    _load_knowledge_base(tenant)
    _load_warning_sources(tenant)
    password = os.environ.get("STADTBOTE_DEMO_PASSWORD")
    User = get_user_model()
    for email, role in data.STAFF:
        user, made = User.objects.get_or_create(
            username=email,
            defaults={"email": email},
        )
        if made:
            if password:
                user.set_password(password)
            else:
                user.set_unusable_password()
            user.save()
        StaffMembership.objects.update_or_create(user=user, tenant=tenant, defaults={"role": role})
    for kind, language, title, body in texts.TEXTS:
        # Never overwrite a text the town has edited: `make run` loads the demo every time.
        PublicText.objects.get_or_create(
            tenant=tenant, kind=kind, language=language, defaults={"title": title, "body": body}
        )
    _sync_knowledge(tenant)
    say(f"{'Created' if created else 'Updated'} demo municipality {tenant.slug!r} ({tenant.name}).")
    if not password:
        say(
            "Staff users have no password; set one with: stadtbote changepassword admin@musterstadt.example"
        )
    return tenant


def _load_knowledge_base(tenant: Municipality) -> None:
    """The assistant's demo pages (invented, for the fictional Musterstadt): imported like a
    town's own folder, so pages staff edited in the demo stay as they are."""
    from stadtbote.assistant import kb
    from stadtbote.assistant.kb_files import read_folder, read_synonyms

    folder = Path(kb.__file__).resolve().parent / "demo_kb"
    kb.import_pages(tenant, read_folder(folder), read_synonyms(folder / "synonyms.yaml"))


def _sync_knowledge(tenant: Municipality) -> None:
    """The assistant's entries derived from messages, categories and contacts, now: the
    changes above also queue a sync, but only a running worker would do it."""
    from stadtbote.assistant import derived

    derived.sync_town(tenant)


def _load_message_templates(tenant: Municipality) -> None:
    from stadtbote.messages.models import MessageTemplate

    for i, t in enumerate(data.MESSAGE_TEMPLATES):
        # get_or_create: a template the town has reworded stays as it is.
        MessageTemplate.objects.get_or_create(
            tenant=tenant,
            slug=t["slug"],
            defaults={**{k: v for k, v in t.items() if k != "slug"}, "position": i},
        )


# Official warnings for Lippstadt. The two polled sources are off: the demo machine usually has
# no internet, and a poll failing every few minutes would only fill the log. The town's admin
# switches them on in the staff console (Warnings) where the machine can reach the feeds.
DWD_ZIP = (
    "https://opendata.dwd.de/weather/alerts/cap/COMMUNEUNION_DWD_STAT/"
    "Z_CAP_C_EDZW_LATEST_PVW_STATUS_PREMIUMDWD_COMMUNEUNION_DE.zip"
)
LIPPSTADT_ARS = "059740028028"  # Amtlicher Regionalschlüssel of Stadt Lippstadt


def _load_warning_sources(tenant: Municipality) -> None:
    from stadtbote.cap.models import SourceKind, WarningSource

    sources = [
        (SourceKind.DWD, "Deutscher Wetterdienst", DWD_ZIP, [data.WARNCELL_ID], False),
        (
            SourceKind.BUND,
            "warnung.bund.de",
            "https://warnung.bund.de/api31",
            [LIPPSTADT_ARS],
            False,
        ),
        (SourceKind.PUSH, "Kreisleitstelle (API)", "", [LIPPSTADT_ARS, data.WARNCELL_ID], True),
    ]
    for kind, name, url, codes, enabled in sources:
        # get_or_create: a rule the town has changed (or a source it enabled) stays as it is.
        WarningSource.objects.get_or_create(
            tenant=tenant,
            kind=kind,
            name=name,
            defaults={"url": url, "codes": codes, "enabled": enabled},
        )


# Where citizens find the offices (the contacts page, and the assistant's answers to "when
# is the Bürgerbüro open?"). The same addresses, numbers and hours as the demo's knowledge
# base pages (demo_kb/de/oeffnungszeiten.md, kontakte.md). The Tiefbauamt works behind the
# scenes (reports reach it through the app), so it is not listed.
_FACHAMT_HOURS = {
    "de": "Montag bis Freitag 8:30–12:00 Uhr\nDonnerstag zusätzlich 14:00–17:30 Uhr\n"
    "Viele Anliegen mit Termin",
    "en": "Monday to Friday 8:30 am – 12:00 noon\nThursday also 2:00 pm – 5:30 pm\n"
    "Many matters by appointment",
}
DEPARTMENT_CONTACTS: dict[str, dict[str, Any]] = {
    "buergerbuero": {
        "phone": "02941 980-100",
        "address": "Rathaus, Ostwall 1, 59555 Musterstadt",
        "public_email": "buergerbuero@musterstadt.example",
        "opening_hours": {
            "de": "Montag, Mittwoch, Freitag 7:30–12:30 Uhr\nDienstag 7:30–16:00 Uhr\n"
            "Donnerstag 7:30–18:00 Uhr\n1. und 3. Samstag im Monat 9:00–12:00 Uhr (nur mit "
            "Termin)\nFür Personalausweis, Reisepass und Anmeldung bitte einen Termin buchen.",
            "en": "Monday, Wednesday, Friday 7:30 am – 12:30 pm\nTuesday 7:30 am – 4:00 pm\n"
            "Thursday 7:30 am – 6:00 pm\n1st and 3rd Saturday of the month 9:00 am – 12:00 "
            "noon (appointment only)\nPlease book an appointment for ID cards, passports and "
            "registering your address.",
        },
        "public": True,
    },
    "ordnungsamt": {
        "phone": "02941 980-320",
        "address": "Stadthaus, Lange Straße 14, 59555 Musterstadt",
        "public_email": "ordnungsamt@musterstadt.example",
        "opening_hours": _FACHAMT_HOURS,
        "public": True,
    },
    "stadtwerke": {
        "phone": "02941 2720-0",
        "address": "Kundenzentrum, Am Wasserturm 3, 59557 Musterstadt",
        "public_email": "service@stadtwerke-musterstadt.example",
        "opening_hours": {
            "de": "Kundenzentrum: Montag bis Freitag 8:00–16:00 Uhr\n"
            "Störungsdienst (Strom, Wasser, Straßenbeleuchtung) rund um die Uhr: 02941 2720-222",
            "en": "Customer centre: Monday to Friday 8:00 am – 4:00 pm\n"
            "Faults (power, water, street lights) day and night: 02941 2720-222",
        },
        "public": True,
    },
    "tiefbau": {
        "phone": "02941 980-440",
        "address": "Technisches Rathaus, Südertor 9, 59555 Musterstadt",
        "public_email": "tiefbau@musterstadt.example",
        "opening_hours": _FACHAMT_HOURS,
        "public": False,
    },
}
_CONTACT_FIELDS = ("phone", "address", "public_email", "opening_hours")


def _load_reports_setup(tenant: Municipality) -> None:
    from stadtbote.reports.models import Category, Department, ReplyTemplate

    departments = {}
    for d in data.DEPARTMENTS:
        departments[d["slug"]], _ = Department.objects.update_or_create(
            tenant=tenant, slug=d["slug"], defaults={k: v for k, v in d.items() if k != "slug"}
        )
        dept, contact = departments[d["slug"]], DEPARTMENT_CONTACTS.get(d["slug"])
        # Only while the office has no contact data: what the town has entered stays.
        if contact and not any(getattr(dept, f) for f in _CONTACT_FIELDS):
            for field, value in contact.items():
                setattr(dept, field, value)
            dept.save(update_fields=list(contact))
    for i, c in enumerate(data.CATEGORIES):
        fields = {k: v for k, v in c.items() if k not in ("slug", "department")}
        Category.objects.update_or_create(
            tenant=tenant,
            slug=c["slug"],
            defaults={**fields, "department": departments[c["department"]], "position": i},
        )
    for i, t in enumerate(data.REPLY_TEMPLATES):
        category = (
            Category.objects.get(tenant=tenant, slug=t["category"]) if "category" in t else None
        )
        # get_or_create: a template the town has reworded stays as it is.
        ReplyTemplate.objects.get_or_create(
            tenant=tenant,
            slug=t["slug"],
            defaults={
                "title": t["title"],
                "text": t["text"],
                "status": t["status"],
                "category": category,
                "position": i,
            },
        )


def add_demo_messages(tenant: Municipality, say: Callable[[str], None] = print) -> int:
    """Publish the sample messages unless the town has current ones (nothing is sent)."""
    from stadtbote.messages import service as messages
    from stadtbote.messages.models import Message, MessageStatus

    now = timezone.now()
    current = Message.objects.filter(tenant=tenant, status=MessageStatus.PUBLISHED).exclude(
        expires_at__lte=now
    )
    if current.exists():
        return 0
    for sample in texts.MESSAGES:
        body: dict[str, Any] = {k: v for k, v in sample.items() if k != "days"}
        body["expires_at"] = (now + timedelta(days=int(sample["days"]))).isoformat()
        messages.create(tenant, body, key=None)
    _sync_knowledge(tenant)
    say(f"Published {len(texts.MESSAGES)} sample messages (not sent to anyone).")
    return len(texts.MESSAGES)


MAX_SMS_SUBSCRIBERS = 1_000_000


def synthetic_number(seed: int, n: int) -> str:
    """Subscriber ``n``'s phone number: a German mobile number, +49151 and 8 digits (E.164,
    13 digits in all) — the seed's last two digits, then ``n`` with six digits."""
    if not 0 <= n < MAX_SMS_SUBSCRIBERS:
        raise ValueError(f"synthetic phone numbers go up to subscriber {MAX_SMS_SUBSCRIBERS - 1:,}")
    return f"+49151{seed % 100:02d}{n:06d}"


# How synthetic subscriber ``n`` is reached on each channel type, from (seed, n) only: an FCM
# registration token, an APNs device token (64 hex digits), an e-mail address at the given
# domain, a German mobile number. Web Push (URL/<n> with keys from (seed, n)) is built below.
SYNTHETIC_ADDRESSES: dict[str, Callable[[int, int, str], str]] = {
    "fcm": lambda seed, n, domain: (
        f"demo{seed}-{n:07d}:APA91b" + hashlib.sha256(f"fcm:{seed}:{n}".encode()).hexdigest()
    ),
    "apns": lambda seed, n, domain: hashlib.sha256(f"apns:{seed}:{n}".encode()).hexdigest(),
    "email": lambda seed, n, domain: f"buerger{n}@{domain}",
    "sms": lambda seed, n, domain: synthetic_number(seed, n),
}
MIX_TYPES = ("webpush", *SYNTHETIC_ADDRESSES)


def parse_channel_mix(text: str) -> dict[str, int]:
    """``"webpush=40,fcm=25"`` -> ``{"webpush": 40, "fcm": 25}`` (whole-number weights)."""
    mix: dict[str, int] = {}
    for part in text.split(","):
        kind, _, weight = part.strip().partition("=")
        if kind not in MIX_TYPES or kind in mix or not weight.strip().isdigit():
            raise ValueError(
                f"bad channel mix entry {part.strip()!r}; use e.g. webpush=40,email=60"
            )
        mix[kind] = int(weight)
    if not sum(mix.values()):
        raise ValueError("the channel mix needs a positive weight")
    return mix


def mix_pattern(mix: dict[str, int]) -> list[str]:
    """One cycle of channel types, each as often as its weight and evenly interleaved (smooth
    weighted round-robin): subscriber ``n`` gets ``pattern[n % len(pattern)]``."""
    total = sum(mix.values())
    current = dict.fromkeys(mix, 0)
    pattern = []
    for _ in range(total):
        for kind, weight in mix.items():
            current[kind] += weight
        pick = max(current, key=lambda k: current[k])
        current[pick] -= total
        pattern.append(pick)
    return pattern


def add_synthetic_subscribers(
    tenant: Municipality,
    count: int,
    push_endpoint: str | None,
    seed: int,
    say: Callable[[str], None] = print,
    channel_mix: dict[str, int] | None = None,
    email_domain: str = "bench.example.org",
) -> int:
    """Add ``count`` subscribers spread over the town (deterministic for a seed).

    With ``push_endpoint`` each gets a real P-256 Web Push subscription at ``URL/<n>`` whose
    keys derive from (seed, n), so a benchmark push service can decrypt what it receives.
    With ``channel_mix`` (type -> weight) each gets one confirmed channel of a type drawn from
    the mix in fixed proportions (Web Push then needs ``push_endpoint``). Re-running with the
    same seed, endpoint and mix adds nobody twice.
    """
    from stadtbote.delivery.channels.webpush.keys import synthetic_subscription

    rng = random.Random(seed)
    districts = list(District.objects.filter(tenant=tenant))
    topic_ids = list(Topic.objects.filter(tenant=tenant).values_list("id", "bit"))
    outline = geo.boundary(tenant)
    assert outline is not None, "the demo town has districts"
    minx, miny, maxx, maxy = outline.bounds
    base = push_endpoint.rstrip("/") if push_endpoint else None
    if channel_mix is None:
        channel_mix = {"webpush": 1} if base else {}
    if channel_mix.get("webpush") and not base:
        raise ValueError("Web Push in the channel mix needs a push endpoint")
    if channel_mix.get("sms") and count > MAX_SMS_SUBSCRIBERS:
        raise ValueError(f"SMS in the channel mix: at most {MAX_SMS_SUBSCRIBERS:,} subscribers")
    pattern = mix_pattern(channel_mix) if channel_mix else []
    existing = set(
        Channel.objects.filter(tenant=tenant, type__in=list(channel_mix)).values_list(
            "type", "address"
        )
    )

    def address(n: int) -> tuple[str, str] | None:
        if not pattern:
            return None
        kind = pattern[n % len(pattern)]
        if kind == "webpush":
            return kind, f"{base}/{n}"
        return kind, SYNTHETIC_ADDRESSES[kind](seed, n, email_domain)

    made = 0
    through = Subscriber.topics.through
    chunk = 2000
    for start in range(0, count, chunk):
        n_range = range(start, min(count, start + chunk))
        plans = []
        for n in n_range:
            reach = address(n)
            # Draw every random number even for skipped subscribers: the data stays the same
            # for a seed whether or not some already exist.
            lat, lon = rng.uniform(miny, maxy), rng.uniform(minx, maxx)
            radius = rng.choice((0, 100, 250, 500, 1000))
            district = rng.choice(districts) if rng.random() < 0.15 else None
            wanted = [tid for tid, _ in topic_ids if rng.random() < 0.3]
            severity = rng.choice(
                (Severity.MINOR, Severity.MODERATE, Severity.MODERATE, Severity.SEVERE)
            )
            lang = "en" if rng.random() < 0.1 else "de"
            if reach and reach in existing:
                continue
            plans.append((n, reach, lat, lon, radius, district, wanted, severity, lang))
        if not plans:
            continue
        with transaction.atomic():
            subs = Subscriber.objects.bulk_create(
                Subscriber(
                    tenant=tenant,
                    token_hash=tokens.digest(tokens.new_secret(16)),
                    language=p[8],
                    min_severity=int(p[7]),
                )
                for p in plans
            )
            places: list[Place] = []
            links: list = []
            channels: list[Channel] = []
            for sub, (n, reach, lat, lon, radius, district, wanted, _sev, _lang) in zip(
                subs, plans, strict=True
            ):
                if district is not None:
                    places.append(Place(subscriber=sub, district=district, label="Bezirk"))
                else:
                    places.append(
                        Place(subscriber=sub, lat=lat, lon=lon, radius_m=radius, label="Zuhause")
                    )
                links.extend(through(subscriber_id=sub.pk, topic_id=tid) for tid in wanted)
                if reach and reach[0] == "webpush":
                    keys = synthetic_subscription(seed, n)
                    channels.append(
                        Channel(
                            tenant=tenant,
                            subscriber=sub,
                            type="webpush",
                            status=ChannelStatus.CONFIRMED,
                            address=reach[1],
                            address_key=tokens.address_key("webpush", reach[1]),
                            p256dh=keys.p256dh_b64url,
                            auth=keys.auth_b64url,
                        )
                    )
                elif reach:
                    kind, addr = reach
                    channels.append(
                        Channel(
                            tenant=tenant,
                            subscriber=sub,
                            type=kind,
                            status=ChannelStatus.CONFIRMED,
                            address=addr,
                            address_key=tokens.address_key(kind, addr),
                            confirmed_at=timezone.now(),
                        )
                    )
            Place.objects.bulk_create(places, batch_size=2000)
            through.objects.bulk_create(links, batch_size=5000)
            Channel.objects.bulk_create(channels, batch_size=2000)
        made += len(plans)
    blocks = geo.rebuild_all_blocks(tenant)
    say(f"Added {made} synthetic subscribers ({count - made} existed); {blocks} place blocks.")
    return made
