"""Place arrays and their blob format."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from stadtbote.geo import blocks
from stadtbote.geo.blocks import (
    NO_DISTRICT,
    BlobError,
    PlaceArrays,
    concat,
    pack,
    split_blocks,
    unpack,
)


def sample(n: int = 1000, seed: int = 3) -> PlaceArrays:
    rng = np.random.default_rng(seed)
    is_district = rng.random(n) < 0.2
    return PlaceArrays(
        subscriber_id=np.sort(rng.integers(0, 2**40, n)).astype(np.int64),
        x=np.where(is_district, np.nan, rng.normal(0, 5000, n)),
        y=np.where(is_district, np.nan, rng.normal(0, 5000, n)),
        radius=np.where(is_district, 0, rng.uniform(0, 500, n)).astype(np.float32),
        district_id=np.where(is_district, rng.integers(0, 2**31 - 1, n), NO_DISTRICT).astype(
            np.int32
        ),
        topic_mask=rng.integers(0, 2**64 - 1, n, dtype=np.uint64, endpoint=True),
        min_severity=rng.integers(0, 5, n).astype(np.int8),
    )


def test_pack_then_unpack_gives_the_same_rows() -> None:
    arrays = sample()
    assert unpack(pack(arrays)).equals(arrays)


def test_extreme_values_survive_the_round_trip() -> None:
    rows = [
        (2**63 - 1, -1e300, 1e-300, 0.0, 2**31 - 1, 2**64 - 1, 4),
        (-5, 0.0, 0.0, 500.0, -1, 0, 0),
    ]
    arrays = PlaceArrays.from_rows(rows)
    back = unpack(pack(arrays))
    assert back.equals(arrays)
    assert int(back.topic_mask[0]) == 2**64 - 1
    assert int(back.subscriber_id[0]) == 2**63 - 1


def test_an_empty_block_round_trips() -> None:
    data = pack(PlaceArrays.empty())
    assert len(data) == 16
    assert len(unpack(data)) == 0
    assert len(blocks.from_rows([])) == 0


def test_a_blob_is_16_plus_41_bytes_a_row_and_little_endian() -> None:
    data = pack(sample(10))
    assert len(data) == 16 + 41 * 10
    assert data[:4] == b"SBPA"
    assert struct.unpack_from("<HHQ", data, 4) == (1, 0, 10)


def test_unpack_does_not_copy_and_hands_out_read_only_columns() -> None:
    data = pack(sample(100))
    start = np.frombuffer(data, dtype=np.uint8).ctypes.data
    back = unpack(data)
    for name in blocks.COLUMNS:
        column = getattr(back, name)
        assert start <= column.ctypes.data < start + len(data)
        assert column.ctypes.data % column.dtype.itemsize == 0  # aligned
        assert not column.flags.writeable


def test_unpack_refuses_what_it_cannot_read() -> None:
    data = pack(sample(3))
    with pytest.raises(BlobError, match="magic"):
        unpack(b"XXXX" + data[4:])
    with pytest.raises(BlobError, match="version"):
        unpack(data[:4] + struct.pack("<H", 2) + data[6:])
    with pytest.raises(BlobError, match="bytes"):
        unpack(data[:-1])
    with pytest.raises(BlobError, match="short"):
        unpack(b"SBPA")


def test_from_rows_builds_the_columns() -> None:
    arrays = PlaceArrays.from_rows([(7, 1.5, -2.5, 250, -1, 0b101, 2), (8, 0, 0, 0, 42, 0, 0)])
    assert arrays.subscriber_id.tolist() == [7, 8]
    assert arrays.radius.dtype == np.float32
    assert arrays.district_id.tolist() == [-1, 42]
    assert arrays.topic_mask.tolist() == [5, 0]


def test_concat_keeps_the_order_of_the_parts() -> None:
    a, b = sample(5, seed=1), sample(7, seed=2)
    both = concat([a, b])
    assert len(both) == 12
    assert both.take(np.arange(5)).equals(a)
    assert both.take(np.arange(5, 12)).equals(b)
    assert len(concat([])) == 0


def test_split_blocks_groups_subscribers_by_id_range() -> None:
    arrays = PlaceArrays.from_rows(
        [(sid, 0, 0, 0, -1, 0, 0) for sid in (2050, 5, 1023, 1024, 7, 2048)]
    )
    parts = {no: part.subscriber_id.tolist() for no, part in split_blocks(arrays)}
    assert parts == {0: [5, 1023, 7], 1: [1024], 2: [2050, 2048]}


def test_columns_must_have_the_right_types_and_lengths() -> None:
    good = sample(3)
    with pytest.raises(TypeError, match="radius"):
        PlaceArrays(**{**_columns(good), "radius": good.radius.astype(np.float64)})
    with pytest.raises(ValueError, match="rows"):
        PlaceArrays(**{**_columns(good), "x": good.x[:2]})


def _columns(arrays: PlaceArrays) -> dict[str, np.ndarray]:
    return {name: getattr(arrays, name) for name in blocks.COLUMNS}
