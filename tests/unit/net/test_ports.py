"""unused_port: below the kernel's ephemeral range, free when picked, and a plain fallback."""

from __future__ import annotations

import socket

import pytest

from hftsim.net import ports


def test_port_is_below_the_ephemeral_range_and_free():
    low = ports._ephemeral_low()
    for _ in range(20):
        port = ports.unused_port()
        assert ports._LOWEST <= port < low
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))  # nothing holds it


def test_port_held_by_a_listener_is_never_picked(monkeypatch):
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        taken = held.getsockname()[1]
        monkeypatch.setattr(ports, "_LOWEST", taken)
        monkeypatch.setattr(ports, "_ephemeral_low", lambda: taken + 1_002)
        picks = {ports.unused_port() for _ in range(300)}
    assert taken not in picks
    assert all(taken < p <= taken + 1_001 for p in picks)


def test_a_range_starting_too_low_falls_back_to_a_kernel_port(monkeypatch):
    monkeypatch.setattr(ports, "_ephemeral_low", lambda: ports._LOWEST + 10)
    port = ports.unused_port()
    assert port > 0
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))


def test_no_free_port_is_an_error_naming_the_range(monkeypatch):
    def refuse(self, address):
        raise OSError(98, "Address already in use")

    monkeypatch.setattr(ports.socket.socket, "bind", refuse)
    with pytest.raises(OSError, match=r"no unused port on 127\.0\.0\.1 in 10000\.\."):
        ports.unused_port()
