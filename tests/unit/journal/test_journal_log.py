"""Writing and reading the journal: round trips, segments, damage detection, recovery."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest

import hftsim.journal
from hftsim.core.arrays import COMMAND_DTYPE
from hftsim.core.errors import ConfigError, JournalCorrupt, JournalError
from hftsim.journal import FsyncPolicy, JournalReader, JournalWriter, segment_name

from .journal_support import (
    FRAME_BYTES,
    HEADER_BYTES,
    flip_byte,
    frame_offset,
    make_commands,
    rewrite_frame_seq,
    rewrite_header_field,
)

SEGMENT_OF_100 = HEADER_BYTES + 100 * FRAME_BYTES


def write_journal(directory, records, *, batch=37, segment_bytes=SEGMENT_OF_100, run_seed=7):
    with JournalWriter(directory, run_seed, FsyncPolicy.NEVER, segment_bytes=segment_bytes) as writer:
        for start in range(0, records.shape[0], batch):
            writer.append_batch(records[start:start + batch])
    return JournalReader(directory)


def collect_until_error(reader):
    got = []
    with pytest.raises(JournalError) as info:
        for batch in reader.iter_batches():
            got.append(batch)
    records = np.concatenate(got, dtype=COMMAND_DTYPE) if got else np.empty(0, dtype=COMMAND_DTYPE)
    return records, info


def test_journal_package_all_is_pinned():
    assert hftsim.journal.__all__ == [
        "AckMode", "BackgroundJournalWriter", "DEFAULT_SEGMENT_BYTES", "FORMAT_VERSION", "FsyncPolicy",
        "JournalReader", "JournalWriter", "JournaledVenue", "MAGIC", "RecordType", "RecoveredVenue",
        "RetentionPolicy", "SegmentHeader", "ShadowCheckpointer", "TailReport", "VenueManifest",
        "list_checkpoints", "read_checkpoint", "recover", "segment_name", "write_checkpoint",
    ]


def test_round_trip_across_segment_boundaries_returns_every_record(tmp_path):
    records = make_commands(1_234)
    reader = write_journal(tmp_path, records)
    assert [p.name for p in reader.segments] == [segment_name(i) for i in range(1, 14)]
    assert [h.first_seq for h in reader.headers()] == list(range(1, 1_235, 100))
    assert {h.run_seed for h in reader.headers()} == {7}
    got = reader.read_all()
    assert got.dtype == COMMAND_DTYPE
    np.testing.assert_array_equal(got, records)
    assert reader.tail() is None


def test_round_trip_single_appends_and_batches_interleaved_keeps_order(tmp_path):
    records = make_commands(10)
    with JournalWriter(tmp_path, 1, FsyncPolicy.NEVER) as writer:
        writer.append(records[0])
        writer.append(records[1:3])
        assert writer.committed_seq == 0
        writer.append_batch(records[3:8])
        assert writer.committed_seq == 8
        writer.append(records[8])
        writer.append(records[9])
    np.testing.assert_array_equal(JournalReader(tmp_path).read_all(), records)


def test_append_copies_so_caller_may_reuse_its_buffer(tmp_path):
    records = make_commands(2)
    with JournalWriter(tmp_path, 1, FsyncPolicy.NEVER) as writer:
        writer.append(records)
        expected = records.copy()
        records["qty"] = -1
    np.testing.assert_array_equal(JournalReader(tmp_path).read_all(), expected)


def test_iter_batches_from_seq_and_max_records_slice_the_journal(tmp_path):
    records = make_commands(450)
    reader = write_journal(tmp_path, records)
    batches = list(reader.iter_batches(from_seq=250, max_records=30))
    assert max(b.shape[0] for b in batches) <= 30
    np.testing.assert_array_equal(np.concatenate(batches, dtype=COMMAND_DTYPE), records[249:])
    with pytest.raises(JournalError, match="starts at seq 1"):
        list(reader.iter_batches(from_seq=0))


def test_same_inputs_write_identical_bytes(tmp_path):
    records = make_commands(300)
    first = write_journal(tmp_path / "a", records)
    second = write_journal(tmp_path / "b", records)
    assert [p.read_bytes() for p in first.segments] == [p.read_bytes() for p in second.segments]
    assert first.digest() == second.digest()


def test_reopen_continues_in_a_new_segment(tmp_path):
    records = make_commands(150)
    write_journal(tmp_path, records[:120])
    with JournalWriter(tmp_path, 7, FsyncPolicy.NEVER, segment_bytes=SEGMENT_OF_100) as writer:
        assert writer.next_seq == 121
        writer.append_batch(records[120:])
    reader = JournalReader(tmp_path)
    assert len(reader.segments) == 3
    np.testing.assert_array_equal(reader.read_all(), records)


def test_reopen_with_another_run_seed_raises(tmp_path):
    write_journal(tmp_path, make_commands(5))
    with pytest.raises(JournalError, match="run seed 7, not 8"):
        JournalWriter(tmp_path, 8)


def test_second_writer_on_same_directory_raises(tmp_path):
    with JournalWriter(tmp_path, 1, FsyncPolicy.NEVER):
        with pytest.raises(JournalError, match="another journal writer"):
            JournalWriter(tmp_path, 1, FsyncPolicy.NEVER)


def test_append_with_seq_gap_raises_and_writes_nothing(tmp_path):
    records = make_commands(10)
    records["seq"][4] = 99
    with JournalWriter(tmp_path, 1, FsyncPolicy.NEVER) as writer:
        with pytest.raises(JournalError, match="expected seq 5 at index 4, found 99"):
            writer.append_batch(records)
        assert writer.next_seq == 1
    assert JournalReader(tmp_path).read_all().shape == (0,)


def test_append_wrong_dtype_raises_config_error(tmp_path):
    with JournalWriter(tmp_path, 1, FsyncPolicy.NEVER) as writer:
        with pytest.raises(ConfigError):
            writer.append_batch(np.zeros(3, dtype=[("seq", "<i8")]))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"run_seed": -1}, "run_seed"), ({"segment_bytes": 100}, "segment_bytes"),
     ({"fsync_policy": FsyncPolicy.INTERVAL_MS, "fsync_interval_ms": 0}, "fsync_interval_ms")],
)
def test_writer_bad_config_names_the_field(tmp_path, kwargs, field):
    arguments = {"run_seed": 1, **kwargs}
    with pytest.raises(ConfigError, match=field):
        JournalWriter(tmp_path, **arguments)


@pytest.mark.slow  # 76 cuts, each truncated and fsynced: about 1 s
def test_torn_last_record_every_cut_is_reported_and_truncated(tmp_path):
    records = make_commands(250)
    reader = write_journal(tmp_path, records)
    last = reader.segments[-1]
    intact = last.read_bytes()
    last_frame = frame_offset(49)
    assert len(intact) == last_frame + FRAME_BYTES
    for kept in range(FRAME_BYTES):
        last.write_bytes(intact[:last_frame + kept])
        report = reader.tail()
        if kept == 0:
            assert report is None
        else:
            assert (report.good_bytes, report.torn_bytes, report.path) == (last_frame, kept, str(last))
            _, info = collect_until_error(reader)
            assert "torn tail" in str(info.value) and last.name in str(info.value)
            assert reader.recover_tail() == report
        assert last.stat().st_size == last_frame
        assert reader.tail() is None
        np.testing.assert_array_equal(reader.read_all(), records[:-1])


def test_torn_tail_blocks_the_writer_until_recovered(tmp_path):
    records = make_commands(30)
    reader = write_journal(tmp_path, records)
    path = reader.segments[-1]
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(JournalError, match="recover_tail"):
        JournalWriter(tmp_path, 7)
    reader.recover_tail()
    with JournalWriter(tmp_path, 7, FsyncPolicy.NEVER) as writer:
        writer.append_batch(records[29:])
    np.testing.assert_array_equal(reader.read_all(), records)


def test_zero_filled_tail_is_torn(tmp_path):
    records = make_commands(20)
    reader = write_journal(tmp_path, records)
    path = reader.segments[-1]
    data = path.read_bytes()
    path.write_bytes(data[:frame_offset(17)] + bytes(len(data) - frame_offset(17)))
    assert reader.recover_tail().torn_bytes == 3 * FRAME_BYTES
    np.testing.assert_array_equal(reader.read_all(), records[:17])


def test_torn_segment_header_deletes_that_segment(tmp_path):
    records = make_commands(100)
    reader = write_journal(tmp_path, records)
    torn = tmp_path / segment_name(2)
    torn.write_bytes(b"HFTSJ")
    assert reader.recover_tail().good_bytes == 0
    assert not torn.exists()
    np.testing.assert_array_equal(reader.read_all(), records)


def test_flipped_byte_in_the_middle_raises_corrupt_with_file_and_offset(tmp_path):
    records = make_commands(250)
    reader = write_journal(tmp_path, records)
    path = reader.segments[1]
    flip_byte(path, frame_offset(30) + 20)
    got, info = collect_until_error(reader)
    assert type(info.value) is JournalCorrupt
    assert path.name in str(info.value) and f"byte offset {frame_offset(30)}" in str(info.value)
    np.testing.assert_array_equal(got, records[:130])


def test_flipped_byte_in_last_segment_before_good_records_is_corrupt_not_torn(tmp_path):
    reader = write_journal(tmp_path, make_commands(250))
    path = reader.segments[-1]
    flip_byte(path, frame_offset(10) + 3)
    with pytest.raises(JournalCorrupt, match=f"{path.name}.*byte offset {frame_offset(10)}"):
        reader.tail()


def test_flipped_header_byte_raises_corrupt(tmp_path):
    reader = write_journal(tmp_path, make_commands(150))
    flip_byte(reader.segments[0], 20)
    with pytest.raises(JournalCorrupt, match="header CRC"):
        reader.read_all()


def test_other_format_version_raises_journal_error_with_file_found_and_expected(tmp_path):
    reader = write_journal(tmp_path, make_commands(150))
    path = reader.segments[1]
    rewrite_header_field(path, 8, "<H", 2)
    _, info = collect_until_error(reader)
    assert type(info.value) is JournalError
    message = str(info.value)
    assert path.name in message and "version 2 found" in message and "reads version 1" in message


def test_wrong_magic_raises_journal_error(tmp_path):
    reader = write_journal(tmp_path, make_commands(5))
    path = reader.segments[0]
    path.write_bytes(b"NOTAJRNL" + path.read_bytes()[8:])
    with pytest.raises(JournalError, match="not an hftsim journal segment"):
        reader.read_all()


def test_sequence_gap_inside_a_segment_raises_with_file_and_offset(tmp_path):
    records = make_commands(150)
    reader = write_journal(tmp_path, records)
    path = reader.segments[0]
    rewrite_frame_seq(path, 40, 1_000)
    got, info = collect_until_error(reader)
    assert type(info.value) is JournalCorrupt
    message = str(info.value)
    assert path.name in message and f"byte offset {frame_offset(40)}" in message
    assert "expected seq 41, found 1000" in message
    np.testing.assert_array_equal(got, records[:40])


def test_sequence_gap_between_segments_raises(tmp_path):
    reader = write_journal(tmp_path, make_commands(250))
    path = reader.segments[2]
    rewrite_header_field(path, 32, "<q", 205)
    expected = f"{path.name}: sequence gap at byte offset 32.*expected seq 201"
    with pytest.raises(JournalCorrupt, match=expected):
        reader.read_all()


def test_missing_middle_segment_raises(tmp_path):
    reader = write_journal(tmp_path, make_commands(250))
    reader.segments[1].unlink()
    with pytest.raises(JournalCorrupt, match="segments 2..2 are missing"):
        reader.read_all()


def test_reader_on_missing_directory_raises(tmp_path):
    with pytest.raises(JournalError, match="does not exist"):
        JournalReader(tmp_path / "nowhere")


def test_bad_last_frame_followed_by_zeros_is_torn(tmp_path):
    records = make_commands(20)
    reader = write_journal(tmp_path, records)
    path = reader.segments[-1]
    data = bytearray(path.read_bytes())
    data[frame_offset(17) + 40:] = bytes(len(data) - frame_offset(17) - 40)  # a sector boundary mid-frame
    path.write_bytes(bytes(data))
    report = reader.recover_tail()
    assert (report.good_bytes, "CRC mismatch" in report.reason) == (frame_offset(17), True)
    np.testing.assert_array_equal(reader.read_all(), records[:17])


def test_intact_frame_of_unknown_record_type_raises_journal_error(tmp_path):
    reader = write_journal(tmp_path, make_commands(20))
    path = reader.segments[-1]
    data = bytearray(path.read_bytes())
    start = frame_offset(5)
    data[start + 4] = 9
    data[start + 72:start + 76] = struct.pack("<I", zlib.crc32(bytes(data[start:start + 72])))
    path.write_bytes(bytes(data))
    with pytest.raises(JournalError, match="record type 9 at byte offset") as info:
        reader.read_all()
    assert type(info.value) is JournalError


def test_padding_bytes_of_records_are_written_as_zeros(tmp_path):
    records = make_commands(3)
    raw = records.view(np.uint8).reshape(3, COMMAND_DTYPE.itemsize)
    covered = np.zeros(COMMAND_DTYPE.itemsize, dtype=bool)
    for name in COMMAND_DTYPE.names:
        field, offset = COMMAND_DTYPE.fields[name][:2]
        covered[offset:offset + field.itemsize] = True
    raw[:, ~covered] = 0xAB  # garbage in the padding of the caller's buffer
    reader = write_journal(tmp_path, records)
    frame_bytes = np.frombuffer(reader.segments[0].read_bytes()[HEADER_BYTES:], dtype=np.uint8)
    payloads = frame_bytes.reshape(3, FRAME_BYTES)[:, 8:8 + COMMAND_DTYPE.itemsize]
    assert not payloads[:, ~covered].any()
    np.testing.assert_array_equal(reader.read_all(), records)
