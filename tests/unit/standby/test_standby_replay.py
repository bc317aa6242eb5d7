"""The journaled gateway: session notes, deterministic ExecIDs, and a replay that rebuilds it exactly."""

import pytest

from hftsim.journal import JournaledVenue
from hftsim.net.client.initiator import new_order_body
from hftsim.net.fix.codec import FixEncoder, decode_message, format_utc_timestamp
from hftsim.net.standby.replica import open_replica
from hftsim.net.venue.clock import WallClock
from hftsim.net.venue.config import parse_config
from hftsim.net.venue.sessionlog import CommandNote, Reservation, SessionLog, decode_notes, encode_note

CONFIG = {
    "fix": {
        "sessions": [
            {"sender_comp_id": "A", "target_comp_id": "V"},
            {"sender_comp_id": "B", "target_comp_id": "V"},
            {"sender_comp_id": "DC", "target_comp_id": "V", "drop_copy": True},
        ]
    },
    "instruments": [{"symbol": "SIM", "tick_size": "0.01"}],
}


class _Session:
    """The part of FixSession the gateway uses."""

    def __init__(self, state):
        self.state = state
        self.rejects = []

    def reject(self, e, now_ns, **kw):
        self.rejects.append((e, kw))


class _Sender:
    def __init__(self, name):
        self.encoder = FixEncoder(name, "V")
        self.seq = 0

    def msg(self, msg_type, body):
        self.seq += 1
        return decode_message(self.encoder.encode_body(msg_type, self.seq, 1_700_000_000_000_000_000, body))


def _cancel(cl, orig):
    ts = format_utc_timestamp(1_700_000_000_000_000_000)
    return f"41={orig}\x0111={cl}\x0155=SIM\x0154=1\x0160={ts}\x0138=10\x01"


def _live_run(directory):
    config = parse_config(CONFIG)
    clock = WallClock()
    venue = JournaledVenue(directory, clock.now_ns, config.instruments, 3, group_records=1 << 12)
    replica = open_replica(config, directory, clock, truncate_torn_tail=False)
    log = SessionLog(directory)
    gw = replica.gateway
    gw.attach(venue, log)
    sessions = {name: _Session(replica.store.get("V", name)) for name in ("A", "B")}
    senders = {name: _Sender(name) for name in ("A", "B")}
    ts = 1_700_000_000_000_000_000
    script = [
        ("A", "D", new_order_body("a1", "SIM", 1, 10, "100.00", ts)),
        ("A", "D", new_order_body("a2", "SIM", 1, 10, "99.99", ts)),
        ("B", "D", new_order_body("b1", "SIM", -1, 15, "99.99", ts)),  # fills a1 and part of a2
        ("A", "F", _cancel("a2c", "a2")),
        ("A", "F", _cancel("a9c", "nope")),  # gateway reject: no journal record
        ("B", "D", new_order_body("b1", "SIM", -1, 5, "101.00", ts)),  # duplicate ClOrdID
        ("B", "D", new_order_body("b2", "SIM", -1, 5, "101.00", ts)),
        (
            "B",
            "G",
            f"41=b2\x0111=b3\x0155=SIM\x0154=2\x0160={format_utc_timestamp(ts)}\x0138=7\x0140=2\x0144=100.50\x01",
        ),
        ("A", "D", new_order_body("a3", "SIM", 1, 7, "100.50", ts)),
    ]
    for name, msg_type, body in script:
        gw.on_message(sessions[name], senders[name].msg(msg_type, body))
        gw.reserve()
        log.write()
        venue.commit()
    venue.close()
    log.close()
    return config, gw, replica.store


@pytest.mark.slow  # opens a journal (writer thread, CRC kernel)
def test_replay_rebuilds_gateway_sessions_and_stored_reports_exactly(tmp_path):
    config, live, live_store = _live_run(tmp_path / "v")
    replica = open_replica(config, tmp_path / "v", WallClock())
    gw = replica.gateway
    assert gw.last_seq == live.last_seq == 7
    assert gw.engine.digest() == live.engine.digest()
    for ours, theirs in zip(gw.states, live.states):
        # byte-identical reports under their original MsgSeqNum ...
        assert all(theirs.sent[seq] == raw for seq, raw in ours.sent.items())
        # ... except what the gateway answered without a journaled command (gap-filled on resend)
        for seq in set(theirs.sent) - set(ours.sent):
            missing = decode_message(theirs.sent[seq])
            assert missing.msg_type == "9" or missing.get_str(17).startswith("G")
    # inbound: one past the MsgSeqNum of the last journaled request of each session
    assert [s.next_in for s in gw.states] == [6, 5, 1]
    # the next outbound number of a recovered session is at least the old reservation
    assert all(limit > s.next_out for limit, s in zip(gw.limits, live.states))
    assert set(gw.accounts[("V", "B")].orders) == {"b1", "b2", "b3"}
    assert gw.accounts[("V", "A")].orders["a2c"] is gw.accounts[("V", "A")].orders["a2"]


@pytest.mark.slow  # opens a journal (writer thread, CRC kernel)
def test_exec_ids_name_journal_seq_and_gateway_rejects_are_epoch_scoped(tmp_path):
    _, live, _ = _live_run(tmp_path / "v")
    exec_ids = [
        decode_message(raw).get_str(17)
        for raw in live.states[0].sent.values()
        if decode_message(raw).msg_type == "8"
    ]
    assert exec_ids[0] == "1-1"
    journaled = [e for e in exec_ids if not e.startswith("G")]
    assert len(journaled) == len(set(journaled))
    b_ids = [
        decode_message(r).get_str(17)
        for r in live.states[1].sent.values()
        if decode_message(r).msg_type == "8"
    ]
    assert any(e.startswith("G0.0.") for e in b_ids)  # the duplicate ClOrdID reject


@pytest.mark.slow  # opens a journal (writer thread, CRC kernel)
def test_replay_from_checkpoint_with_gateway_state_equals_full_replay(tmp_path):
    from hftsim.journal.checkpoint import write_checkpoint

    config, live, _ = _live_run(tmp_path / "v")
    full = open_replica(config, tmp_path / "v", WallClock()).gateway
    # checkpoint at seq 3 from a partial replay, then recover from it
    import numpy as np

    from hftsim.journal import JournalReader

    records = np.concatenate(list(JournalReader(tmp_path / "v" / "journal").iter_batches()))
    notes = {n.seq: n for n in SessionLog(tmp_path / "v").notes if isinstance(n, CommandNote)}
    from hftsim.matching.engine import MatchingEngine
    from hftsim.net.standby.replica import new_gateway

    engine = MatchingEngine(config.instruments, config.stp)
    part, _ = new_gateway(config, engine, WallClock())
    part.apply_records(records[:3], dict(notes))
    write_checkpoint(tmp_path / "v" / "checkpoints", 3, 3, engine, {"gateway": part.snapshot_state()})
    restored = open_replica(config, tmp_path / "v", WallClock())
    assert restored.checkpoint_seq == 3
    gw = restored.gateway
    assert gw.last_seq == full.last_seq
    assert gw.engine.digest() == full.engine.digest()
    assert [(s.next_in, s.next_out) for s in gw.states] == [(s.next_in, s.next_out) for s in full.states]
    assert set(gw._orders) == set(full._orders)


def test_session_log_torn_tail_truncated_on_open(tmp_path):
    log = SessionLog(tmp_path)
    log.add(CommandNote(1, 0, 2, "x", "", [(0, 2)]))
    log.add(Reservation(1, 0, 4096))
    data = log.write()
    log.close()
    with open(tmp_path / "fix-sessions.log", "ab") as f:
        f.write(encode_note(CommandNote(2, 0, 3, "y", "", []))[:-3])
    reopened = SessionLog(tmp_path)
    assert reopened.size == len(data)
    assert [type(n).__name__ for n in reopened.notes] == ["CommandNote", "Reservation"]
    assert decode_notes(data)[1] == len(data)
    reopened.close()


@pytest.mark.parametrize("cut", [1, 5, 9])
def test_decode_notes_stops_at_partial_frame(cut):
    frame = encode_note(Reservation(3, 1, 10))
    notes, used = decode_notes(frame + frame[:cut])
    assert len(notes) == 1 and used == len(frame)


@pytest.mark.slow  # opens a journal (writer thread, CRC kernel)
def test_gateway_state_restores_exactly_and_older_snapshots_rebuild_history_in_their_order(tmp_path):
    config, live, _ = _live_run(tmp_path / "v")
    data = live.snapshot_state()
    fresh = open_replica(config, tmp_path / "fresh", WallClock()).gateway
    fresh.restore_state(data)
    assert fresh.snapshot_state() == data
    assert fresh.accounts[("V", "A")].orders["a2c"] is fresh.accounts[("V", "A")].orders["a2"]
    # a snapshot from before the history was kept: the history follows the table's listed order
    older = {**data, "accounts": [[next_id, ids] for next_id, ids, _ in data["accounts"]]}
    again = open_replica(config, tmp_path / "again", WallClock()).gateway
    again.restore_state(older)
    for acc, (_, ids) in zip(again._account_at, older["accounts"]):
        assert list(acc.history) == [cl for cl, _ in ids]
        assert set(acc.orders) == {cl for cl, _ in ids}
