"""A venue on 127.0.0.1 in a background thread, and a blocking simplefix client."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable

import pytest
import simplefix

from hftsim.net.venue import VenueServer, new_event_loop, parse_config

VENUE = "HFTSIM"


def venue_config(state_file: str | None = None) -> dict:
    return {
        "fix": {
            "host": "127.0.0.1",
            "port": 0,
            "state_file": state_file,
            "sessions": [
                {"sender_comp_id": "A", "target_comp_id": VENUE},
                {"sender_comp_id": "B", "target_comp_id": VENUE},
                {"sender_comp_id": "C", "target_comp_id": VENUE},
                {"sender_comp_id": "DC", "target_comp_id": VENUE, "drop_copy": True},
            ],
        },
        "instruments": [{"symbol": "SIM", "tick_size": "0.01"}, {"symbol": "ALT", "tick_size": "0.05"}],
    }


class RunningVenue:
    """A VenueServer running on its own event loop thread."""

    def __init__(self, config: dict, publisher=None, dashboard_port: int | None = None, **server_kw) -> None:
        if config["fix"]["state_file"] is None:
            del config["fix"]["state_file"]
        self.server = VenueServer(parse_config(config), publisher, dashboard_port=dashboard_port, **server_kw)
        self.loop = new_event_loop()
        serve = self.server.serve(install_signal_handlers=False)
        self.thread = threading.Thread(target=self.loop.run_until_complete, args=(serve,), daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.is_listening:
            assert time.monotonic() < deadline, "venue did not start"
            time.sleep(0.005)
        self.port = self.server.port

    def call(self, fn: Callable):
        """Run ``fn()`` on the venue's loop thread and return its result."""

        async def run():
            return fn()

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(5)

    def stop(self) -> None:
        self.server.request_stop()
        self.thread.join(10)
        self.loop.close()


@pytest.fixture
def venue():
    running = RunningVenue(venue_config())
    yield running
    running.stop()


class FixClient:
    """A blocking FIX 4.4 client built on simplefix (independent of hftsim's codec)."""

    def __init__(self, port: int, sender: str, target: str = VENUE, seq: int = 1) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.parser = simplefix.FixParser()
        self.sender, self.target, self.seq = sender, target, seq
        self.received: list[simplefix.FixMessage] = []

    def build(
        self,
        msg_type: str,
        fields: list[tuple[int, object]],
        seq: int | None = None,
        header: list[tuple[int, object]] = (),
    ) -> bytes:
        msg = simplefix.FixMessage()
        msg.append_pair(8, "FIX.4.4", header=True)
        msg.append_pair(35, msg_type, header=True)
        msg.append_pair(49, self.sender, header=True)
        msg.append_pair(56, self.target, header=True)
        msg.append_pair(34, self.seq if seq is None else seq, header=True)
        msg.append_utc_timestamp(52, header=True)
        for tag, value in header:
            msg.append_pair(tag, value, header=True)
        for tag, value in fields:
            msg.append_pair(tag, value)
        if seq is None:
            self.seq += 1
        return msg.encode()

    def send(self, msg_type: str, fields: list[tuple[int, object]] = (), **kw) -> None:
        self.sock.sendall(self.build(msg_type, list(fields), **kw))

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def logon(self, heart_bt_int_s: int = 30, reset: bool = False) -> simplefix.FixMessage:
        fields = [(98, 0), (108, heart_bt_int_s)] + ([(141, "Y")] if reset else [])
        self.send("A", fields)
        reply = self.recv()
        assert reply.get(35) == b"A", reply
        return reply

    def new_order(self, cl_ord_id: str, side: int, qty: int, price: str, symbol: str = "SIM") -> None:
        self.send(
            "D",
            [
                (11, cl_ord_id),
                (55, symbol),
                (54, side),
                (60, "20240102-10:00:00.000"),
                (38, qty),
                (40, 2),
                (44, price),
            ],
        )

    def recv(self, timeout_s: float = 5.0) -> simplefix.FixMessage:
        deadline = time.monotonic() + timeout_s
        while True:
            msg = self.parser.get_message()
            if msg is not None:
                self.received.append(msg)
                return msg
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no FIX message in time")
            self.sock.settimeout(remaining)
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("venue closed the connection")
            self.parser.append_buffer(data)

    def recv_type(self, msg_type: bytes, timeout_s: float = 5.0) -> simplefix.FixMessage:
        deadline = time.monotonic() + timeout_s
        while True:
            msg = self.recv(max(0.01, deadline - time.monotonic()))
            if msg.get(35) == msg_type:
                return msg

    def is_closed_by_peer(self, timeout_s: float = 5.0) -> bool:
        """Drain until the venue closes the connection; False if it stays open past the deadline."""
        try:
            while True:
                self.recv(timeout_s)
        except EOFError:
            return True
        except TimeoutError:
            return False

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def clients(venue):
    made: list[FixClient] = []

    def make(sender: str, **kw) -> FixClient:
        client = FixClient(venue.port, sender, **kw)
        made.append(client)
        return client

    yield make
    for c in made:
        c.close()
