"""Knowledge the town already keeps elsewhere in Stadtbote, indexed for the assistant: its
current messages, what citizens can report (and how soon they hear back), and its offices'
addresses, opening hours and contacts.

``derive`` computes a town's derived entries (reads only). ``sync_town`` makes the town's
entries of the derived origins exactly those: it creates, updates and deletes, and writes a row
only when its text really changed, because the assistant rebuilds its index when the number of
entries or the latest ``updated_at`` changes (``service.knowledge``). Imported pages, pages
staff wrote and answers are never touched, even when one happens to use a derived url.

Kept current by ``tasks.sync_town_knowledge``: queued on commit when a message, category,
department or the town changes (signals, ``apps.py``), and for every town by the upkeep every
``tasks.SYNC_EVERY`` (``service.JOBS``), so that expiries take effect without anybody saving.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from stadtbote.assistant.models import Entry, Origin
from stadtbote.geo.models import District
from stadtbote.messages.models import Message, MessageStatus
from stadtbote.reports.models import Category, CategoryKind, Department
from stadtbote.reports.sla import Clock
from stadtbote.tenants.models import Municipality

DERIVED_ORIGINS = (Origin.MESSAGE, Origin.CATEGORY, Origin.CONTACT)
# A message without an end date is knowledge for this long after it was published. Most such
# messages are news of the day (a closure, a collection moved, a meeting); a quarter later an
# answer from them would mislead more often than help, while what stays true belongs on a
# page. A message with an end date stays until then, however long ago it was published.
MESSAGE_WINDOW = timedelta(days=90)
MAX_MESSAGES = 500  # the newest; keeps a town's index small whatever it publishes
_ATTEMPTS = 3  # a concurrent sync created the same url first: read again and go on


@dataclass(frozen=True)
class Derived:
    """One entry as it should be."""

    url: str
    origin: str
    language: str
    title: str
    body: str
    tags: tuple[str, ...] = ()
    translation_of: str = ""


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    kept: int = 0  # a derived url an imported or staff page already has: that page stays

    def __str__(self) -> str:
        return (
            f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.removed} removed" + (f", {self.kept} kept" if self.kept else "")
        )


# -- helpers shared with the contacts page ----------------------------------------------------


def languages(tenant: Municipality, offered: Iterable[str] | None = None) -> list[str]:
    """The town's languages (its default first), or of these the ones ``offered``."""
    order = list(dict.fromkeys([tenant.default_language, *(tenant.languages or [])]))
    if offered is None:
        return order
    given = [lang for lang in offered if lang]
    return [lang for lang in order if lang in given] + sorted(set(given) - set(order))


def text(texts: Mapping[str, Any] | None, lang: str, default: str) -> tuple[str, str]:
    """A text in ``lang``, else in the town's default language, else in any; and its language
    (pages mark text in another language than the page's). A plain string typed into the
    admin's JSON field counts as the default language's text."""
    if isinstance(texts, str):
        texts = {default: texts}
    if not isinstance(texts, Mapping):
        texts = {}
    for code in (lang, default, *texts):
        value = texts.get(code)
        if isinstance(value, str) and value.strip():
            return value.strip(), code
    return "", lang


def page_url(path: str, lang: str, primary: str) -> str:
    """Where a citizen reads ``path`` in ``lang``. Entry urls are unique per town, so each
    language needs its own: the primary language gets the page itself, another language the
    language switch (a plain GET that sets the reader's language and goes on to the page), as
    the pages choose their language from that preference, not from the address."""
    if lang == primary:
        return path
    return reverse("web:language") + "?" + urlencode({"language": lang, "next": path}, safe="/")


def public_departments(tenant: Municipality) -> list[Department]:
    """The offices the contacts page lists: public, with something to say."""
    found = [
        d
        for d in Department.objects.filter(tenant=tenant, public=True)
        if d.phone or d.address or d.public_email or text(d.opening_hours, "", "")[0]
    ]
    return sorted(found, key=lambda d: text(d.name, tenant.default_language, "")[0].casefold())


def tel_href(phone: str) -> str:
    """``tel:`` target of a number as people write it ("02941 980-100" -> "02941980100")."""
    return "tel:" + re.sub(r"[^\d+]", "", phone)


# -- messages -------------------------------------------------------------------------------


def current_messages(tenant: Municipality, now: datetime) -> list[Message]:
    """Published, not withdrawn, not expired, the newest version of an update chain (as the
    town page shows them), and not older than ``MESSAGE_WINDOW`` unless still valid by date."""
    published_since = Q(published_at__gte=now - MESSAGE_WINDOW) | Q(
        published_at__isnull=True, created_at__gte=now - MESSAGE_WINDOW
    )
    return list(
        Message.objects.filter(tenant=tenant, status=MessageStatus.PUBLISHED)
        .exclude(expires_at__lte=now)
        .exclude(updates__status=MessageStatus.PUBLISHED)
        .filter(Q(expires_at__isnull=False) | published_since)
        .prefetch_related("topics")
        .order_by("-published_at", "-created_at", "pk")[:MAX_MESSAGES]
    )


def message_entries(tenant: Municipality, now: datetime) -> list[Derived]:
    zone = ZoneInfo(tenant.timezone)
    districts = {d.slug: d.name for d in District.objects.filter(tenant=tenant)}
    entries = []
    for m in current_messages(tenant, now):
        langs = languages(tenant, [lang for lang, t in m.title.items() if t])
        path = reverse("web:message", kwargs={"tenant": tenant.slug, "message_id": m.pk})
        for lang in langs:
            with translation.override(lang):
                entries.append(
                    Derived(
                        url=page_url(path, lang, langs[0]),
                        origin=Origin.MESSAGE,
                        language=lang,
                        title=m.title[lang].strip(),
                        body=_message_body(tenant, m, lang, zone, districts),
                        tags=tuple(
                            text(t.name, lang, tenant.default_language)[0] or t.slug
                            for t in m.topics.all()
                        ),
                        translation_of="" if lang == langs[0] else path,
                    )
                )
    return entries


def _message_body(
    tenant: Municipality,
    m: Message,
    lang: str,
    zone: ZoneInfo,
    districts: dict[str, dict[str, str]],
) -> str:
    default = tenant.default_language
    body = text(m.body, lang, default)[0]
    published = m.published_at or m.created_at
    facts = [
        f"{_('Published')}: {_when(published, zone)}",
        f"{_('Valid until')}: {_when(m.expires_at, zone) if m.expires_at else _('until further notice')}",
        f"{_('Affected area')}: {_area(m, lang, default, districts)}",
    ]
    parts = [body, "\n".join(facts)] if body else ["\n".join(facts)]
    instruction = text(m.instruction, lang, default)[0]
    if instruction:
        parts.append(f"## {_('What you should do')}\n\n{instruction}")
    if m.source_name or m.source_url:
        source = f"{_('Official warning from')} {m.source_name}".strip() if m.source_name else ""
        parts.append(f"## {_('Source')}\n\n" + " – ".join(s for s in (source, m.source_url) if s))
    return "\n\n".join(parts)


def _when(moment: datetime, zone: ZoneInfo) -> str:
    return formats.date_format(moment.astimezone(zone), "DATETIME_FORMAT")


def _area(m: Message, lang: str, default: str, districts: dict[str, dict[str, str]]) -> str:
    """The message's area in words (as the message page says it)."""
    area = m.area or {}
    kind = area.get("kind", "town")
    if kind == "districts":
        names = sorted(text(districts.get(s), lang, default)[0] or s for s in area.get("slugs", []))
        return ngettext("District %(names)s", "Districts %(names)s", len(names)) % {
            "names": ", ".join(names)
        }
    if kind == "circle":
        return _("Within %(radius)s m of the marked point") % {"radius": area.get("radius_m")}
    if kind == "shape":
        return _("The area marked on the map")
    return _("The whole municipality")


# -- report categories ----------------------------------------------------------------------


def category_entries(tenant: Municipality, now: datetime) -> list[Derived]:
    """One page per language: what can be reported, in the town's groups, with each
    category's promise of a first answer; and that questions go to staff, if the town takes
    them. Only the report page's own address: the town's pages say more about each matter."""
    active = list(Category.objects.filter(tenant=tenant, active=True).order_by("position", "slug"))
    reports = [c for c in active if c.kind == CategoryKind.REPORT]
    inquiries = [c for c in active if c.kind == CategoryKind.INQUIRY]
    if not reports:
        return []
    path = reverse("web:report", kwargs={"tenant": tenant.slug})
    langs = languages(tenant)
    entries = []
    for lang in langs:
        with translation.override(lang):
            entries.append(
                Derived(
                    url=page_url(path, lang, langs[0]),
                    origin=Origin.CATEGORY,
                    language=lang,
                    title=_("What can I report to %(town)s?") % {"town": tenant.name},
                    body=_categories_body(tenant, reports, inquiries, lang),
                    tags=(_("Report a problem"), *_groups(tenant, reports, lang)),
                    translation_of="" if lang == langs[0] else path,
                )
            )
    return entries


def _groups(tenant: Municipality, categories: list[Category], lang: str) -> list[str]:
    names = (text(c.group, lang, tenant.default_language)[0] or _("Other") for c in categories)
    return list(dict.fromkeys(names))


def _categories_body(
    tenant: Municipality, reports: list[Category], inquiries: list[Category], lang: str
) -> str:
    default = tenant.default_language
    parts = [
        _(
            "You can report a problem at a place in %(town)s on the page “Report a problem” "
            "of the Stadtbote app, with the place and a photo if you like. Every report gets a "
            "first answer within the time given for its category."
        )
        % {"town": tenant.name}
    ]
    for group in _groups(tenant, reports, lang):
        lines = [
            _category_line(tenant, c, lang)
            for c in reports
            if (text(c.group, lang, default)[0] or _("Other")) == group
        ]
        parts.append(f"## {group}\n\n" + "\n".join(lines))
    if inquiries:
        intro = _(
            "Questions that are not about a problem at a place can be sent to the town's staff:"
        )
        parts.append(
            f"## {_('Questions to the town’s staff')}\n\n{intro}\n\n"
            + "\n".join(_category_line(tenant, c, lang) for c in inquiries)
        )
    return "\n\n".join(parts)


def _category_line(tenant: Municipality, c: Category, lang: str) -> str:
    name = text(c.name, lang, tenant.default_language)[0] or c.slug
    description = text(c.description, lang, tenant.default_language)[0]
    line = f"- **{name}**" + (f": {description.rstrip('.')}." if description else ".")
    return f"{line} {_promise(c)}"


def _promise(c: Category) -> str:
    hours = c.first_response_hours
    shown = str(int(hours)) if float(hours).is_integer() else formats.number_format(hours, 1)
    if c.first_response_clock == Clock.WORKING:
        return _("First answer within %(hours)s working hours.") % {"hours": shown}
    return _("First answer within %(hours)s hours.") % {"hours": shown}


# -- offices and the town's contact ---------------------------------------------------------


def contact_entries(tenant: Municipality, now: datetime) -> list[Derived]:
    """One page per public office and language (the contacts page's section of it), and the
    town's general contact (the contacts page itself)."""
    path = reverse("web:contacts", kwargs={"tenant": tenant.slug})
    langs = languages(tenant)
    offices = public_departments(tenant)
    entries = []
    for lang in langs:
        with translation.override(lang):
            for d in offices:
                name = text(d.name, lang, tenant.default_language)[0] or d.slug
                # Prefixed: a department's slug must not clash with the page's own ids ("main").
                anchor = f"{path}#office-{d.slug}"
                entries.append(
                    Derived(
                        url=page_url(anchor, lang, langs[0]),
                        origin=Origin.CONTACT,
                        language=lang,
                        title=_("%(office)s: opening hours and contact") % {"office": name},
                        body=_office_body(tenant, d, lang),
                        tags=(name, _("Opening hours"), _("Contact"), _("Phone")),
                        translation_of="" if lang == langs[0] else anchor,
                    )
                )
            if tenant.contact_email or tenant.website or offices:
                entries.append(
                    Derived(
                        url=page_url(path, lang, langs[0]),
                        origin=Origin.CONTACT,
                        language=lang,
                        title=_("How to reach %(town)s") % {"town": tenant.name},
                        body=_town_body(tenant, offices, lang),
                        tags=(_("Contact"), _("Phone"), _("E-mail")),
                        translation_of="" if lang == langs[0] else path,
                    )
                )
    return entries


def _office_body(tenant: Municipality, d: Department, lang: str) -> str:
    parts = []
    if d.address:
        parts.append(f"{_('Address')}: {d.address}")
    hours = text(d.opening_hours, lang, tenant.default_language)[0]
    if hours:
        name = text(d.name, lang, tenant.default_language)[0] or d.slug
        parts.append(
            f"## {_('Opening hours')}\n\n"
            + _("%(office)s is open at these times:") % {"office": name}
            + "\n"
            + "\n".join(line.strip() for line in hours.splitlines() if line.strip())
        )
    reach = [f"{_('Phone')}: {d.phone}"] if d.phone else []
    reach += [f"{_('E-mail')}: {d.public_email}"] if d.public_email else []
    if reach:
        parts.append(f"## {_('Phone number and e-mail')}\n\n" + "\n".join(reach))
    return "\n\n".join(parts)


def _town_body(tenant: Municipality, offices: list[Department], lang: str) -> str:
    parts = []
    reach = [f"{_('E-mail')}: {tenant.contact_email}"] if tenant.contact_email else []
    reach += [f"{_('Website')}: {tenant.website}"] if tenant.website else []
    if reach:
        parts.append("\n".join(reach))
    if offices:
        lines = []
        for d in offices:
            name = text(d.name, lang, tenant.default_language)[0] or d.slug
            lines.append(f"- {name}" + (f": {d.phone}" if d.phone else ""))
        parts.append(f"## {_('Offices')}\n\n" + "\n".join(lines))
    return "\n\n".join(parts)


# -- all of it ------------------------------------------------------------------------------

Provider = Callable[[Municipality, datetime], list[Derived]]
# Where derived knowledge comes from. E-services (what a citizen can apply for online, and
# where) are not part of Stadtbote yet; when they are, their provider goes here, with an
# ``Origin`` of its own (a new choice in models.py, and in DERIVED_ORIGINS above), and the
# signals in apps.py learn their model.
PROVIDERS: tuple[Provider, ...] = (message_entries, category_entries, contact_entries)


def derive(tenant: Municipality, now: datetime | None = None) -> list[Derived]:
    """The town's derived entries as they should be now (one per url: the first wins)."""
    now = now or timezone.now()
    found: dict[str, Derived] = {}
    for provider in PROVIDERS:
        for entry in provider(tenant, now):
            found.setdefault(entry.url, entry)
    return list(found.values())


def sync_town(tenant: Municipality, now: datetime | None = None) -> Counts:
    """Make the town's derived entries exactly ``derive(tenant, now)``. Safe to run twice at
    once: on PostgreSQL the second waits for the town's row, on SQLite for the write lock; an
    url someone else created meanwhile is read again in a next attempt."""
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            with transaction.atomic():
                _lock(tenant)
                return _apply(tenant, derive(tenant, now))
        except IntegrityError:
            if attempt == _ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def _lock(tenant: Municipality) -> None:
    """One sync per town at a time. FOR NO KEY UPDATE: rows that merely refer to the town
    (new subscribers, cases, questions) are not held up by it."""
    no_key = connection.features.has_select_for_no_key_update
    rows = Municipality.objects.select_for_update(no_key=no_key).filter(pk=tenant.pk)
    list(rows.values_list("pk", flat=True))


def _apply(tenant: Municipality, wanted: list[Derived]) -> Counts:
    counts = Counts()
    now = timezone.now()
    urls = {d.url for d in wanted}
    others = set(  # imported and staff pages: only their urls, never their texts
        Entry.objects.filter(tenant=tenant)
        .exclude(origin__in=DERIVED_ORIGINS)
        .values_list("url", flat=True)
    )
    existing = {e.url: e for e in Entry.objects.filter(tenant=tenant, origin__in=DERIVED_ORIGINS)}
    stale = [e.pk for e in existing.values() if e.url not in urls]
    counts.removed, _details = Entry.objects.filter(pk__in=stale).delete()
    new = []
    for d in wanted:
        fields = {
            "origin": d.origin,
            "language": d.language,
            "title": d.title[:300],
            "body": d.body,
            "tags": list(d.tags),
            "translation_of": d.translation_of,
        }
        entry = existing.get(d.url)
        if d.url in others:
            counts.kept += 1
        elif entry is None:
            new.append(Entry(tenant=tenant, url=d.url, updated_at=now, **fields))
        elif any(getattr(entry, k) != v for k, v in fields.items()):
            Entry.objects.filter(pk=entry.pk).update(updated_at=now, **fields)
            counts.updated += 1
        else:
            counts.unchanged += 1
    Entry.objects.bulk_create(new)
    counts.created = len(new)
    return counts
