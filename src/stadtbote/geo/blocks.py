"""Subscriber places as columns of numpy arrays, and their compact binary form.

:class:`PlaceArrays` is what ``fastpath.match`` runs over: one row per place of a subscriber.
The database keeps them as one blob per block of subscribers (see ``geo.models.PlaceBlock``),
written with :func:`pack` and read with :func:`unpack`.

Blob layout, version 1, all little-endian::

    offset 0   4 bytes  magic b"SBPA"
    offset 4   uint16   format version (1)
    offset 6   uint16   flags (0; reserved)
    offset 8   uint64   n, the number of rows
    offset 16  the columns one after the other, each n values:
               subscriber_id int64, x float64, y float64, topic_mask uint64,
               radius float32, district_id int32, min_severity int8

That is 16 + 41 n bytes. Columns are stored whole (not row by row) and widest first, so every
column starts at an offset aligned to its item size and :func:`unpack` can hand out read-only
``np.frombuffer`` views of the blob without copying. The floats are essentially random bits and
do not compress, so the blob column is best stored without compression (``STORAGE EXTERNAL``
in PostgreSQL) to spare the server a useless pglz pass.
"""

from __future__ import annotations

import struct
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, Self

import numpy as np
from numpy.typing import NDArray

MAGIC = b"SBPA"
VERSION = 1
_HEADER = struct.Struct("<4sHHQ")

#: column name -> stored dtype, in blob order (widest first, for alignment)
COLUMNS: dict[str, np.dtype[Any]] = {
    "subscriber_id": np.dtype("<i8"),
    "x": np.dtype("<f8"),
    "y": np.dtype("<f8"),
    "topic_mask": np.dtype("<u8"),
    "radius": np.dtype("<f4"),
    "district_id": np.dtype("<i4"),
    "min_severity": np.dtype("i1"),
}
ROW_BYTES = sum(dt.itemsize for dt in COLUMNS.values())
#: ``district_id`` of a point place
NO_DISTRICT = -1
#: ``topic_mask`` has one bit per topic of the tenant
MAX_TOPICS = 64
_NATIVE = {name: dt.newbyteorder("=") for name, dt in COLUMNS.items()}


class BlobError(ValueError):
    """A blob that is not a place block this code can read."""


@dataclass(frozen=True, slots=True, eq=False)
class PlaceArrays:
    """One row per subscriber place; all columns 1-D, equally long, in native byte order.

    * ``radius`` is 0 for district places; ``district_id`` is :data:`NO_DISTRICT` (-1) for point
      places. ``x``/``y`` of a district place are ignored (0 or NaN by convention).
    * ``topic_mask`` bit i is the tenant's topic i; ``min_severity`` is a ``Severity`` value.
    * Columns may be read-only views into a blob (see :func:`unpack`); never write to them.
    """

    subscriber_id: NDArray[np.int64]
    x: NDArray[np.float64]
    y: NDArray[np.float64]
    radius: NDArray[np.float32]
    district_id: NDArray[np.int32]
    topic_mask: NDArray[np.uint64]
    min_severity: NDArray[np.int8]

    def __post_init__(self) -> None:
        n = len(self.subscriber_id)
        for name, dtype in _NATIVE.items():
            column = getattr(self, name)
            if not isinstance(column, np.ndarray) or column.dtype != dtype or column.ndim != 1:
                raise TypeError(f"column {name} must be a 1-D {dtype} array")
            if len(column) != n:
                raise ValueError(f"column {name} has {len(column)} rows, expected {n}")

    def __len__(self) -> int:
        return len(self.subscriber_id)

    @classmethod
    def empty(cls) -> Self:
        return cls(**{name: np.empty(0, dtype=dt) for name, dt in _NATIVE.items()})

    @classmethod
    def from_rows(cls, rows: Iterable[Sequence[Any]]) -> Self:
        """Build from ``(subscriber_id, x, y, radius, district_id, topic_mask, min_severity)``."""
        rows = list(rows)
        if not rows:
            return cls.empty()
        sid, x, y, radius, district, mask, sev = zip(*rows, strict=True)
        return cls(
            subscriber_id=np.array(sid, dtype=np.int64),
            x=np.array(x, dtype=np.float64),
            y=np.array(y, dtype=np.float64),
            radius=np.array(radius, dtype=np.float32),
            district_id=np.array(district, dtype=np.int32),
            topic_mask=np.array([int(m) for m in mask], dtype=np.uint64),
            min_severity=np.array([int(s) for s in sev], dtype=np.int8),
        )

    def take(self, index: NDArray[Any]) -> Self:
        """The rows selected by an integer index or boolean mask (copies)."""
        return type(self)(**{name: getattr(self, name)[index] for name in _NATIVE})

    def equals(self, other: PlaceArrays) -> bool:
        """Same rows in the same order (NaN equals NaN)."""
        return len(self) == len(other) and all(
            np.array_equal(
                getattr(self, f.name), getattr(other, f.name), equal_nan=f.name in ("x", "y")
            )
            for f in fields(self)
        )


def empty() -> PlaceArrays:
    return PlaceArrays.empty()


def from_rows(rows: Iterable[Sequence[Any]]) -> PlaceArrays:
    """See :meth:`PlaceArrays.from_rows`."""
    return PlaceArrays.from_rows(rows)


def topic_mask(topics: Iterable[str], topic_bits: Mapping[str, int]) -> int:
    """The bit mask of ``topics`` (unknown topics are ignored: nobody can follow them)."""
    mask = 0
    for topic in topics:
        bit = topic_bits.get(topic)
        if bit is None:
            continue
        if not 0 <= bit < MAX_TOPICS:
            raise ValueError(
                f"topic {topic!r} has bit {bit}; a tenant has at most {MAX_TOPICS} topics"
            )
        mask |= 1 << bit
    return mask


def pack(arrays: PlaceArrays) -> bytes:
    """Serialise to the versioned blob format described in the module doc."""
    parts = [_HEADER.pack(MAGIC, VERSION, 0, len(arrays))]
    parts.extend(
        getattr(arrays, name).astype(dt, copy=False).tobytes() for name, dt in COLUMNS.items()
    )
    return b"".join(parts)


def unpack(data: bytes | bytearray | memoryview) -> PlaceArrays:
    """Read a blob written by :func:`pack`.

    On little-endian machines the columns are zero-copy, read-only views of ``data`` (which
    they keep alive); elsewhere they are converted copies.
    """
    if len(data) < _HEADER.size:
        raise BlobError(f"place block too short ({len(data)} bytes)")
    magic, version, _flags, n = _HEADER.unpack_from(data)
    if magic != MAGIC:
        raise BlobError("not a place block (bad magic)")
    if version != VERSION:
        raise BlobError(
            f"place block format version {version} is not supported (expected {VERSION})"
        )
    if len(data) != _HEADER.size + n * ROW_BYTES:
        raise BlobError(
            f"place block of {n} rows must be {_HEADER.size + n * ROW_BYTES} bytes, got {len(data)}"
        )
    columns: dict[str, NDArray[Any]] = {}
    offset = _HEADER.size
    for name, dt in COLUMNS.items():
        column = np.frombuffer(data, dtype=dt, count=n, offset=offset)
        if sys.byteorder != "little":
            column = column.astype(_NATIVE[name])
        columns[name] = column
        offset += n * dt.itemsize
    return PlaceArrays(**columns)


def concat(parts: Sequence[PlaceArrays]) -> PlaceArrays:
    """All rows of ``parts``, in order, as one set of (new, writable) arrays."""
    if not parts:
        return PlaceArrays.empty()
    if len(parts) == 1:
        return parts[0]
    return PlaceArrays(
        **{name: np.concatenate([getattr(p, name) for p in parts]) for name in _NATIVE}
    )


def split_blocks(arrays: PlaceArrays, block_size: int = 1024) -> Iterator[tuple[int, PlaceArrays]]:
    """Group rows by ``subscriber_id // block_size``: ``(block_no, rows)`` in block order.

    Rows keep their relative order within a block (a stable sort).
    """
    if len(arrays) == 0:
        return
    block = arrays.subscriber_id // block_size
    order = np.argsort(block, kind="stable")
    block_sorted = block[order]
    starts = np.flatnonzero(np.r_[True, block_sorted[1:] != block_sorted[:-1]])
    ends = np.r_[starts[1:], len(order)]
    for start, end in zip(starts, ends, strict=True):
        yield int(block_sorted[start]), arrays.take(order[start:end])
