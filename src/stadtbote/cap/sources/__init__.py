"""Where polled warnings come from: one module per kind of source, each turning what its feed
serves into documents the poller reads and relays one by one (``poll.py``).

A source fetches through the poll's ``fetch.Client`` (so the allow-list applies to every URL it
follows) and asks ``seen`` which warnings the town already has, to spare fetching them again.
It raises ``FetchError`` when the feed itself could not be had and ``SourceError`` when it came
but is unusable (a zip bomb, a dashboard that is not JSON); a single bad warning in it is a
``CapError`` of that document only, raised when the poller reads it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from stadtbote.cap.alert import Alert
from stadtbote.cap.fetch import Client
from stadtbote.cap.models import SourceKind, WarningSource

# Identifiers in, the subset the town has already received out.
Seen = Callable[[list[str]], set[str]]


class SourceError(Exception):
    """The feed answered with something unusable as a whole; asking again soon will not help."""


@dataclass(frozen=True)
class Document:
    name: str  # for logs and the `cap poll` output: a zip entry, a URL, a warning id
    read: Callable[[], Alert]  # raises CapError


@dataclass
class Harvest:
    status: int  # 304: unchanged since the last poll, no documents
    etag: str
    last_modified: str
    documents: Iterable[Document]  # may be lazy: read one at a time, in order
    skipped: int = 0  # warnings not fetched because the town has them already


def harvest(source: WarningSource, client: Client, seen: Seen) -> Harvest:
    """What ``source`` serves now, conditional on the ETag/Last-Modified of its last success."""
    from stadtbote.cap.sources import bund, dwd, feed

    kinds: dict[str, Callable[[WarningSource, Client, Seen], Harvest]] = {
        SourceKind.DWD: dwd.harvest,
        SourceKind.BUND: bund.harvest,
        SourceKind.FEED: feed.harvest,
    }
    if source.kind not in kinds:
        raise SourceError(f"a {source.kind} source is not polled")
    if not source.url:
        raise SourceError("the source has no URL")
    return kinds[source.kind](source, client, seen)
