"""A standby must not mistake a TCP connection to itself for its primary (loopback simultaneous open)."""

from __future__ import annotations

import asyncio
import socket

from hftsim.net.standby.standby import is_self_connected


async def _transports():
    loop = asyncio.get_running_loop()
    # a socket connected to its own address: what a reconnect to a dead primary's ephemeral port
    # can become when the kernel picks that same port as the source
    own = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    own.bind(("127.0.0.1", 0))
    own.connect(own.getsockname())
    own.setblocking(False)
    looped, _ = await loop.create_connection(asyncio.Protocol, sock=own)
    server = await loop.create_server(asyncio.Protocol, "127.0.0.1", 0)
    normal, _ = await loop.create_connection(asyncio.Protocol, *server.sockets[0].getsockname()[:2])
    try:
        return is_self_connected(looped), is_self_connected(normal), is_self_connected(None)
    finally:
        looped.abort()
        normal.abort()
        server.close()
        await server.wait_closed()


def test_standby_detects_a_tcp_connection_to_itself():
    assert asyncio.run(_transports()) == (True, False, False)
