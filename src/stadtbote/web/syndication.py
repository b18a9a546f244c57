"""The town's public messages as news feeds: Atom (RFC 4287) and RSS 2.0, per town or topic.

Unlike the CAP index (``cap/writer.atom``), which serves aggregators of warnings, these feeds are
for people and their feed readers, news sites and the town's own website: one language per
feed, the severity in the title, the full text, the topics as categories.

Decisions:

- Entries are the messages published in the last ``FEED_DAYS`` days (by their last change),
  newest change first, at most ``FEED_LIMIT``. Drafts, scheduled messages and messages withdrawn
  before they were published never appear.
- An expired message stays too: a feed is the record of what the town said; the message's
  page says until when it applied. (The widget, by contrast, lists only current messages.)
- A withdrawn message stays in the feed, marked as withdrawn, with the withdrawal as its
  ``updated`` time, so it moves to the top: whoever read the warning learns that it no longer
  applies. Leaving it out would make feed readers keep showing the old text as if valid.
- An update (a message that replaces another) is its own entry; its text begins with a line
  naming the earlier message and, in Atom, it links to that page with ``rel="related"``.
  The replaced message keeps its entry.
- Entry ids are tag URIs (RFC 4151) per message, the same in every language and in the town's
  and each topic's feed: one message, one entry. They differ from the CAP index's ids, whose
  entries describe the CAP documents.
- Text is text: Atom ``type="text"``; in RSS, whose ``description`` readers treat as HTML, the
  text is HTML-escaped first, so a ``<script>`` in a title or body stays visible characters.
- The document holds no "now", so the same data gives the same bytes and their hash is the
  ETag.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.db.models.functions import Coalesce
from django.utils import formats, timezone, translation
from django.utils.html import linebreaks
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from lxml import etree
from lxml.builder import ElementMaker

from stadtbote.cap.writer import xml_text
from stadtbote.delivery.rules import pick_language
from stadtbote.messages.models import Message, MessageStatus
from stadtbote.tenants.models import Municipality, Topic
from stadtbote.web.presentation import severity_look

ATOM_NS = "http://www.w3.org/2005/Atom"
DC_NS = "http://purl.org/dc/elements/1.1/"
ATOM = ElementMaker(namespace=ATOM_NS, nsmap={None: ATOM_NS})
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

FEED_DAYS = 90
FEED_LIMIT = 50
SUMMARY_CHARS = 300
# The year in the tag URIs (RFC 4151 needs a date at which the authority owned the name).
TAG_YEAR = 2026


@dataclass(frozen=True)
class Scope:
    """Which feed: the town's, or one topic's, in one language."""

    tenant: Municipality
    lang: str
    topic: Topic | None = None

    def path(self, fmt: str) -> str:
        topic = f"topics/{self.topic.slug}/" if self.topic else ""
        return f"/{self.tenant.slug}/{topic}feed.{fmt}?lang={self.lang}"


def entries(scope: Scope, *, now: datetime | None = None) -> list[Message]:
    since = (now or timezone.now()) - timedelta(days=FEED_DAYS)
    found: QuerySet[Message] = Message.objects.filter(
        tenant=scope.tenant,
        status__in=(MessageStatus.PUBLISHED, MessageStatus.CANCELLED),
        published_at__isnull=False,
    )
    if scope.topic is not None:
        found = found.filter(topics=scope.topic)
    return list(
        found.annotate(changed=Coalesce("cancelled_at", "published_at"))
        .filter(changed__gte=since)
        .select_related("tenant", "replaces")
        .prefetch_related("topics")
        .order_by("-changed", "-id")[:FEED_LIMIT]
    )


def changed_at(message: Message) -> datetime:
    # A message is withdrawn after it was published, so cancelled_at is the later time.
    return message.cancelled_at or message.published_at or message.created_at


def last_modified(scope: Scope, messages: Sequence[Message]) -> datetime:
    return max((changed_at(m) for m in messages), default=scope.tenant.created_at)


# ---- shared pieces --------------------------------------------------------------------------


def _host(base_url: str) -> str:
    return urlsplit(base_url).hostname or "localhost"


def entry_id(message: Message, base_url: str) -> str:
    return f"tag:{_host(base_url)},{TAG_YEAR}:{message.tenant.slug}/messages/{message.id}"


def page_url(message: Message, base_url: str) -> str:
    return f"{base_url}/{message.tenant.slug}/messages/{message.id}"


def rfc3339(moment: datetime, tenant: Municipality) -> str:
    return moment.astimezone(ZoneInfo(tenant.timezone)).replace(microsecond=0).isoformat()


def _local(moment: datetime, tenant: Municipality) -> str:
    local = moment.astimezone(ZoneInfo(tenant.timezone))
    return formats.date_format(local, "SHORT_DATETIME_FORMAT")


def _title_of(message: Message, lang: str) -> str:
    chosen = pick_language(message.title, lang, message.tenant.default_language)
    return message.title.get(chosen, "")


@dataclass(frozen=True)
class _Item:
    """One message as the feed shows it: in the feed's language where the message has it."""

    id: str
    lang: str
    title: str
    summary: str
    text: str
    link: str
    published: datetime
    updated: datetime
    topics: list[tuple[str, str]]
    replaces: tuple[str, str] | None


def _item(message: Message, lang: str, base_url: str) -> _Item:
    chosen = pick_language(message.title, lang, message.tenant.default_language)
    # The whole entry in one language, the one its text is in (and its xml:lang says).
    with translation.override(chosen):
        return _item_in(message, chosen, base_url)


def _item_in(message: Message, chosen: str, base_url: str) -> _Item:
    tenant = message.tenant
    title = _("%(severity)s: %(title)s") % {
        "severity": severity_look(message.severity).label,
        "title": message.title.get(chosen, ""),
    }
    body = message.body.get(chosen) or message.body.get(tenant.default_language, "")
    instruction = message.instruction.get(chosen) or message.instruction.get(
        tenant.default_language, ""
    )
    lines: list[str] = []
    if message.status == MessageStatus.CANCELLED:
        title = _("Withdrawn: %(title)s") % {"title": title}
        when = (
            f" ({_('since')} {_local(message.cancelled_at, tenant)})"
            if message.cancelled_at
            else ""
        )
        lines.append(
            f"{_('Withdrawn')}{when}: {_('This message is no longer valid. Please disregard it.')}"
        )
    replaced = message.replaces
    replaces = None
    if replaced is not None and replaced.published_at is not None:
        replaces = (page_url(replaced, base_url), _title_of(replaced, chosen))
        lines.append(
            _("This updates an earlier message: %(title)s (%(url)s)")
            % {"title": replaces[1], "url": replaces[0]}
        )
    if message.source_name:
        lines.append(f"{_('Official warning from')} {message.source_name}")
    if body:
        lines.append(body)
    if instruction:
        lines.append(f"{_('What you should do')}:\n{instruction}")
    published = message.published_at or message.created_at
    return _Item(
        id=entry_id(message, base_url),
        lang=chosen,
        title=xml_text(title),
        summary=xml_text(Truncator(body).chars(SUMMARY_CHARS)) if body else "",
        text=xml_text("\n\n".join(lines)),
        link=page_url(message, base_url),
        published=published,
        updated=changed_at(message),
        topics=[
            (t.slug, xml_text(t.name.get(chosen) or t.name.get(tenant.default_language) or t.slug))
            for t in message.topics.all()
        ],
        replaces=(replaces[0], xml_text(replaces[1])) if replaces else None,
    )


def _feed_title(scope: Scope) -> str:
    if scope.topic is None:
        return _("%(name)s: messages") % {"name": scope.tenant.name}
    topic = scope.topic.name.get(scope.lang) or scope.topic.name.get(
        scope.tenant.default_language, scope.topic.slug
    )
    return _("%(name)s: messages on %(topic)s") % {"name": scope.tenant.name, "topic": topic}


def _topic_scheme(scope: Scope, base_url: str) -> str:
    return f"{base_url}/{scope.tenant.slug}/topics/"


def _serialise(root: Any) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# ---- Atom -----------------------------------------------------------------------------------


def atom(scope: Scope, messages: Sequence[Message], *, base_url: str) -> bytes:
    tenant = scope.tenant
    town_url = f"{base_url}/{tenant.slug}/"
    with translation.override(scope.lang):
        title = xml_text(_feed_title(scope))
        items = [_item(m, scope.lang, base_url) for m in messages]
    topic = f"topics/{scope.topic.slug}/" if scope.topic else ""
    feed = ATOM.feed(
        ATOM.id(f"tag:{_host(base_url)},{TAG_YEAR}:{tenant.slug}/{topic}feed/{scope.lang}"),
        ATOM.title(title, type="text"),
        ATOM.updated(rfc3339(last_modified(scope, messages), tenant)),
        ATOM.link(rel="self", type="application/atom+xml", href=base_url + scope.path("atom")),
        ATOM.link(rel="alternate", type="text/html", href=town_url),
        ATOM.link(rel="alternate", type="application/rss+xml", href=base_url + scope.path("rss")),
        ATOM.author(ATOM.name(xml_text(tenant.name)), ATOM.uri(town_url)),
        ATOM.generator("Stadtbote"),
        *(_atom_entry(item, scope, base_url, town_url) for item in items),
    )
    feed.set(XML_LANG, scope.lang)
    return _serialise(feed)


def _atom_entry(item: _Item, scope: Scope, base_url: str, town_url: str) -> Any:
    parts: list[Any] = [
        ATOM.id(item.id),
        ATOM.title(item.title, type="text"),
        ATOM.updated(rfc3339(item.updated, scope.tenant)),
        ATOM.published(rfc3339(item.published, scope.tenant)),
        # The town is the author of every entry, also when an entry travels on its own.
        ATOM.author(ATOM.name(xml_text(scope.tenant.name)), ATOM.uri(town_url)),
        ATOM.link(rel="alternate", type="text/html", href=item.link),
    ]
    if item.replaces:
        parts.append(
            ATOM.link(
                rel="related", type="text/html", href=item.replaces[0], title=item.replaces[1]
            )
        )
    scheme = _topic_scheme(scope, base_url)
    parts += [ATOM.category(term=slug, label=name, scheme=scheme) for slug, name in item.topics]
    if item.summary:
        parts.append(ATOM.summary(item.summary, type="text"))
    parts.append(ATOM.content(item.text, type="text"))
    entry = ATOM.entry(*parts)
    if item.lang != scope.lang:
        entry.set(XML_LANG, item.lang)
    return entry


# ---- RSS 2.0 --------------------------------------------------------------------------------


def rss(scope: Scope, messages: Sequence[Message], *, base_url: str) -> bytes:
    tenant = scope.tenant
    with translation.override(scope.lang):
        title = xml_text(_feed_title(scope))
        description = xml_text(
            _("Road closures, warnings and news from %(name)s") % {"name": tenant.name}
        )
        items = [_item(m, scope.lang, base_url) for m in messages]
    channel = etree.Element("channel")
    _sub(channel, "title", title)
    _sub(channel, "link", f"{base_url}/{tenant.slug}/")
    _sub(channel, "description", description)
    _sub(channel, "language", scope.lang)
    _sub(channel, "lastBuildDate", format_datetime(last_modified(scope, messages)))
    _sub(channel, "generator", "Stadtbote")
    # RSS has no self link; the Atom one is what feed validators ask for.
    etree.SubElement(
        channel,
        f"{{{ATOM_NS}}}link",
        rel="self",
        type="application/rss+xml",
        href=base_url + scope.path("rss"),
    )
    scheme = _topic_scheme(scope, base_url)
    for item in items:
        node = etree.SubElement(channel, "item")
        _sub(node, "title", item.title)
        _sub(node, "link", item.link)
        # Readers render description as HTML: escape the text, keep its paragraphs.
        _sub(node, "description", linebreaks(item.text, autoescape=True))
        _sub(node, "guid", item.id).set("isPermaLink", "false")
        _sub(node, "pubDate", format_datetime(item.published))
        for _slug, name in item.topics:
            _sub(node, "category", name).set("domain", scheme)
        # RSS's own author element must be an e-mail address; Dublin Core takes a name.
        _sub(node, f"{{{DC_NS}}}creator", xml_text(tenant.name))
    root = etree.Element("rss", version="2.0", nsmap={"atom": ATOM_NS, "dc": DC_NS})
    root.append(channel)
    return _serialise(root)


def _sub(parent: Any, tag: str, text: str) -> Any:
    node = etree.SubElement(parent, tag)
    node.text = text
    return node
