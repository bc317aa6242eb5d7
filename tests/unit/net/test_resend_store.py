"""ResendStore against a dict: the same messages by MsgSeqNum, through spills, evictions and rewrites."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hftsim.net.fix import resend
from hftsim.net.fix.resend import ResendStore

operations = st.lists(
    st.one_of(
        st.tuples(st.just("put"), st.integers(min_value=1, max_value=60), st.binary(min_size=1, max_size=40)),
        st.tuples(st.just("next"), st.integers(min_value=0, max_value=3), st.binary(min_size=1, max_size=40)),
        st.tuples(st.just("pop"), st.integers(min_value=1, max_value=80), st.just(b"")),
        st.tuples(st.just("clear"), st.just(0), st.just(b"")),
    ),
    max_size=120,
)


@settings(max_examples=300)
@given(operations, st.integers(min_value=1, max_value=12))
def test_resend_store_holds_the_newest_messages_exactly(ops, max_stored):
    """Never a wrong or unknown message; always at least the newest ``max_stored``; bounded."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(resend, "_BUFFER_BYTES", 64)  # spill to the file every few messages
        mp.setattr(resend, "_COMPACT_MIN_BYTES", 128)  # and rotate the files often
        mp.setattr(resend, "_EVICT_BLOCK", 2)  # evict in small blocks
        mp.setattr(resend, "_TAIL", 3)  # index the newest few at a time
        store, model = ResendStore(max_stored), {}  # the model never evicts
        seq = 1
        for op, arg, raw in ops:
            if op == "put":
                store[arg], model[arg] = raw, raw
            elif op == "next":  # the usual case: the next numbers, with admin messages skipped
                seq += arg
                store[seq], model[seq] = raw, raw
            elif op == "pop":
                held = arg in store
                expected = model.pop(arg, None)
                assert store.pop(arg) == (expected if held else None)
            else:
                store.clear()
                model.clear()
            held = list(store)
            assert held == sorted(set(held))
            assert all(store.get(k) == model[k] for k in held)  # nothing wrong, nothing unknown
            assert set(sorted(model)[-max_stored:]) <= set(held)  # the newest are all there
            for k in [k for k in model if k not in held]:  # older ones the store evicted: gone for good
                del model[k]
            assert len(store) == len(held) <= max_stored + 2 + 3
        for k in range(0, 90):
            assert store.get(k) in (None, model.get(k))
            assert (k in store) == (store.get(k) is not None)


def test_resend_store_keeps_messages_on_disk_not_in_memory(monkeypatch):
    monkeypatch.setattr(resend, "_BUFFER_BYTES", 4096)
    store = ResendStore(max_stored=10_000)
    raw = b"8=FIX.4.4\x019=200\x01" + b"x" * 200
    for seq in range(2, 5002):
        store[seq] = raw + b"%d" % seq
    assert len(store) == 5000 and store.file_bytes > 900_000
    # only the newest messages stay in memory: the buffer and the tail not yet indexed
    assert len(store._buffer) < 4096 + resend._TAIL * (len(raw) + 8)
    assert store[2] == raw + b"2" and store[5001] == raw + b"5001"
    with pytest.raises(KeyError):
        store[1]


def test_resend_store_rotates_its_files_without_copying_and_reads_across_them(monkeypatch):
    monkeypatch.setattr(resend, "_BUFFER_BYTES", 64)
    monkeypatch.setattr(resend, "_COMPACT_MIN_BYTES", 256)
    monkeypatch.setattr(resend, "_EVICT_BLOCK", 2)
    monkeypatch.setattr(resend, "_TAIL", 3)
    rewrites = []
    monkeypatch.setattr(ResendStore, "_compact", lambda self: rewrites.append(len(self)))
    store = ResendStore(max_stored=20)
    messages = {seq: b"m%05d" % seq + b"x" * (seq % 7) for seq in range(1, 3001)}
    bases = set()
    for seq, raw in messages.items():
        store[seq] = raw
        bases.add(store._file_base)
        newest = range(max(1, seq - 19), seq + 1)
        assert [store.get(k) for k in newest] == [messages[k] for k in newest]
    assert len(bases) > 10 and rewrites == []  # rotated many times, never rewrote a file
    assert store.file_bytes < 4 * 256 + 2 * 64  # the two newest files at most, not the history


def test_resend_store_rewrites_live_messages_when_the_older_file_still_holds_some(monkeypatch):
    monkeypatch.setattr(resend, "_BUFFER_BYTES", 64)
    monkeypatch.setattr(resend, "_COMPACT_MIN_BYTES", 256)
    monkeypatch.setattr(resend, "_TAIL", 3)
    rewrites = []
    compact = ResendStore._compact
    monkeypatch.setattr(ResendStore, "_compact", lambda self: rewrites.append(1) or compact(self))
    store = ResendStore(max_stored=5)
    for seq in range(1, 6):
        store[seq] = b"first %d" % seq
    for n in range(400):  # rewriting one number grows the files; 1-4 stay in the oldest one
        store[5] = b"again %d" % n
    assert rewrites  # rotating would have dropped messages 1-4: they were copied instead
    assert [store.get(k) for k in range(1, 6)] == [b"first %d" % k for k in range(1, 5)] + [b"again 399"]
