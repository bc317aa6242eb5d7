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
        mp.setattr(resend, "_COMPACT_MIN_BYTES", 128)  # and rewrite it often
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
