"""The CRC kernel agrees with zlib.crc32 and with its naive twin."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from hftsim.journal._crc import crc32_rows, crc32_rows_reference


@pytest.mark.parametrize("width", [1, 7, 8, 9, 16, 23, 76, 80])
def test_crc32_rows_every_covered_length_equals_zlib(width):
    rows = np.random.default_rng(width).integers(0, 256, size=(64, width), dtype=np.uint8)
    for covered in range(width + 1):
        expected = [zlib.crc32(row[:covered].tobytes()) for row in rows]
        assert crc32_rows(rows, covered).tolist() == expected
        assert crc32_rows_reference(rows, covered).tolist() == expected


def test_crc32_rows_no_rows_returns_empty():
    rows = np.zeros((0, 76), dtype=np.uint8)
    assert crc32_rows(rows, 72).shape == (0,)
    assert crc32_rows_reference(rows, 72).shape == (0,)


def test_crc32_rows_known_vector_matches_ieee_check_value():
    rows = np.frombuffer(b"123456789", dtype=np.uint8).reshape(1, 9)
    assert int(crc32_rows(rows, 9)[0]) == 0xCBF43926  # the CRC-32/ISO-HDLC check value
