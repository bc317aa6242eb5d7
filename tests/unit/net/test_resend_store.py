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
def test_resend_store_behaves_like_a_dict_with_eviction(monkeypatch_ops, max_stored):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(resend, "_BUFFER_BYTES", 64)  # spill to the file every few messages
        mp.setattr(resend, "_COMPACT_MIN_BYTES", 128)  # and rewrite it often
        mp.setattr(resend, "_EVICT_BLOCK", 2)  # evict in small blocks
        store, model = ResendStore(max_stored), {}
        seq = 1
        for op, arg, raw in monkeypatch_ops:
            if op == "put":
                store[arg], model[arg] = raw, raw
            elif op == "next":  # the usual case: the next numbers, with admin messages skipped
                seq += arg
                store[seq], model[seq] = raw, raw
            elif op == "pop":
                assert store.pop(arg) == model.pop(arg, None)
            else:
                store.clear()
                model.clear()
            if len(model) > max_stored + 2:  # beyond the block: down to max_stored, oldest first
                while len(model) > max_stored:
                    del model[min(model)]
            assert len(store) == len(model)
            assert list(store) == sorted(model)
        assert dict(store.items()) == model
        for k in range(0, 90):
            assert store.get(k) == model.get(k)
            assert (k in store) == (k in model)


def test_resend_store_keeps_messages_on_disk_not_in_memory(monkeypatch):
    monkeypatch.setattr(resend, "_BUFFER_BYTES", 4096)
    store = ResendStore(max_stored=10_000)
    raw = b"8=FIX.4.4\x019=200\x01" + b"x" * 200
    for seq in range(2, 5002):
        store[seq] = raw + b"%d" % seq
    assert len(store) == 5000 and store.file_bytes > 900_000
    assert len(store._buffer) < 4096 + len(raw) + 8  # only the newest messages stay in memory
    assert store[2] == raw + b"2" and store[5001] == raw + b"5001"
    with pytest.raises(KeyError):
        store[1]
