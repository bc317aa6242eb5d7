"""The dashboard's request parser: everything malformed is a BadRequest with a 4xx status."""

import asyncio

import pytest

from hftsim.monitor.dashboard._http import MAX_HEAD_BYTES, BadRequest, parse_head, read_request, response


def test_http_parse_head_get_with_query():
    req = parse_head(b"GET /events?x=1 HTTP/1.1\r\nHost: a\r\nAccept: text/event-stream\r\n\r\n")
    assert (req.method, req.path, req.query) == ("GET", "/events", "x=1")
    assert req.headers == {"host": "a", "accept": "text/event-stream"}


@pytest.mark.parametrize(
    "head, status",
    [
        (b"\x00\xff\xfe garbage\r\n\r\n", 400),
        (b"GET\r\n\r\n", 400),
        (b"GET / SMTP/1.0\r\n\r\n", 400),
        (b"GET nopath HTTP/1.1\r\n\r\n", 400),
        (b"get / HTTP/1.1\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\n\r\n", 405),
        (b"GET / HTTP/1.1\r\nno colon here\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nX: a\x07b\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\n" + b"X: y\r\n" * 100 + b"\r\n", 431),
    ],
)
def test_http_parse_head_malformed_raises_bad_request(head, status):
    with pytest.raises(BadRequest) as e:
        parse_head(head)
    assert e.value.status == status


def _read(data: bytes, eof: bool = True, timeout_s: float = 1.0):
    async def main():
        reader = asyncio.StreamReader(limit=MAX_HEAD_BYTES)
        reader.feed_data(data)
        if eof:
            reader.feed_eof()
        return await read_request(reader, timeout_s)

    return asyncio.run(main())


def test_http_read_request_oversized_head_is_431():
    with pytest.raises(BadRequest) as e:
        _read(b"GET / HTTP/1.1\r\nX: " + b"a" * (MAX_HEAD_BYTES + 10) + b"\r\n\r\n")
    assert e.value.status == 431


def test_http_read_request_closed_midway_is_400_and_empty_is_none():
    with pytest.raises(BadRequest):
        _read(b"GET / HTT")
    assert _read(b"") is None


def test_http_read_request_slow_head_times_out_408():
    with pytest.raises(BadRequest) as e:
        _read(b"GET / HTTP/1.1\r\n", eof=False, timeout_s=0.01)
    assert e.value.status == 408


def test_http_response_head_has_no_body():
    full, head = response(200, b"hello"), response(200, b"hello", is_head=True)
    assert full.endswith(b"\r\n\r\nhello") and head.endswith(b"\r\n\r\n")
    assert b"Content-Length: 5" in head
