"""The Deutscher Wetterdienst's open-data warnings: one ZIP with one CAP document per current
warning, e.g. https://opendata.dwd.de/weather/alerts/cap/COMMUNEUNION_DWD_STAT/
Z_CAP_C_EDZW_LATEST_PVW_STATUS_PREMIUMDWD_COMMUNEUNION_DE.zip (warnings per municipality).

The archive is unpacked in memory only (nothing is written to disk), and distrusted like any
download: a bounded number of entries, each bounded before and while it is inflated, and a
ratio check against archives built to explode. The ZIP holds every current warning, most of
them already relayed; those are recognised by their identifier before the schema sees them.
"""

from __future__ import annotations

import functools
import io
import re
import zipfile
import zlib
from collections.abc import Iterator

from stadtbote.cap import reader
from stadtbote.cap.fetch import Client
from stadtbote.cap.models import WarningSource
from stadtbote.cap.sources import Document, Harvest, Seen, SourceError

# The DWD's ZIP is a few MiB even in a storm; 64 MiB leaves room and still bounds memory.
ZIP_MAX_BYTES = 64 * 1024 * 1024
MAX_ENTRIES = 5000
MAX_TOTAL = 200 * 1024 * 1024  # all entries together, uncompressed
# CAP XML inflates about tenfold; far beyond that an entry was built to explode.
MAX_RATIO = 200
_IDENTIFIER = re.compile(rb"<(?:[\w.-]+:)?identifier>\s*([^<\s]{1,300})\s*</", re.ASCII)


def harvest(source: WarningSource, client: Client, seen: Seen) -> Harvest:
    got = client.fetch(
        source.url, etag=source.etag, last_modified=source.last_modified, max_bytes=ZIP_MAX_BYTES
    )
    result = Harvest(got.status, got.etag, got.last_modified, [])
    if got.status != 304:
        result.documents = _documents(got.body, seen, result)
    return result


def _documents(data: bytes, seen: Seen, result: Harvest) -> Iterator[Document]:
    for name, xml in unzip(data):
        known = peek_identifier(xml)
        if known and seen([known]):
            result.skipped += 1
            continue
        yield Document(name, functools.partial(reader.read, xml))


def peek_identifier(xml: bytes) -> str | None:
    """The alert's identifier from the start of the document, without parsing it: only to
    skip what the town has, never trusted for anything else (the reader reads it properly)."""
    match = _IDENTIFIER.search(xml[:4096])
    return match.group(1).decode("ascii") if match else None


def unzip(data: bytes) -> Iterator[tuple[str, bytes]]:
    """The XML entries of the archive as (name, bytes), one at a time. The whole archive is
    checked before the first is inflated; ``SourceError`` if it is broken or hostile."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError) as exc:
        raise SourceError(f"not a ZIP archive: {exc}") from None
    entries = _checked(archive.infolist())
    total = 0
    for info in entries:
        xml = _inflate(archive, info)
        total += len(xml)
        if total > MAX_TOTAL:
            raise SourceError(f"the archive inflates to more than {MAX_TOTAL} bytes")
        yield info.filename, xml


def _checked(infos: list[zipfile.ZipInfo]) -> list[zipfile.ZipInfo]:
    if len(infos) > MAX_ENTRIES:
        raise SourceError(f"the archive has {len(infos)} entries, at most {MAX_ENTRIES} allowed")
    declared = 0
    kept = []
    for info in infos:
        name = info.filename
        # Never written to disk, but a name with a path in it is not what the DWD publishes.
        if "/" in name.rstrip("/") or "\\" in name or ".." in name or ":" in name:
            raise SourceError(f"entry {name[:80]!r} has a path in its name")
        if info.is_dir() or not name.lower().endswith(".xml"):
            continue
        if info.flag_bits & 0x1:
            raise SourceError(f"entry {name!r} is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise SourceError(f"entry {name!r} uses an unexpected compression method")
        if info.file_size > reader.MAX_BYTES:
            raise SourceError(f"entry {name!r} inflates to {info.file_size} bytes")
        if info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise SourceError(f"entry {name!r} inflates {MAX_RATIO}-fold or more")
        declared += info.file_size
        kept.append(info)
    if declared > MAX_TOTAL:
        raise SourceError(f"the archive inflates to {declared} bytes, at most {MAX_TOTAL}")
    return kept


def _inflate(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    # Read at most one byte more than declared: an entry that lies about its size is caught
    # here instead of being inflated in full. Reading to the end checks the CRC too.
    try:
        with archive.open(info) as entry:
            xml = entry.read(min(info.file_size, reader.MAX_BYTES) + 1)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
        raise SourceError(f"entry {info.filename!r} is corrupt: {exc}") from None
    if len(xml) > info.file_size:
        raise SourceError(f"entry {info.filename!r} is larger than it says")
    return xml
