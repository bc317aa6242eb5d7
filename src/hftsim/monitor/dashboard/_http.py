"""A minimal HTTP/1.1 request reader and response writer over asyncio streams. Edge.

Only what the dashboard needs: ``GET``/``HEAD`` without a body, one request per connection
(``Connection: close``), except the server-sent-events stream which stays open. Everything a browser
or a stranger might send is bounded: the request head must fit in :data:`MAX_HEAD_BYTES` and arrive
within the server's header timeout, with at most :data:`MAX_HEADERS` header lines of printable ASCII.
Anything else gets a 4xx and the connection is closed; it never raises into the server.
"""

from __future__ import annotations

import asyncio

__all__ = ["MAX_HEADERS", "MAX_HEAD_BYTES", "BadRequest", "Request", "read_request", "response"]

MAX_HEAD_BYTES = 16 * 1024
MAX_HEADERS = 64
_REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    431: "Request Header Fields Too Large",
    503: "Service Unavailable",
}


class BadRequest(Exception):
    """The peer sent something that is not an acceptable HTTP request; ``status`` says what to answer."""

    def __init__(self, status: int, why: str) -> None:
        super().__init__(why)
        self.status = status


class Request:
    """A parsed request head."""

    __slots__ = ("method", "path", "query", "headers")

    def __init__(self, method: str, path: str, query: str, headers: dict[str, str]) -> None:
        self.method, self.path, self.query, self.headers = method, path, query, headers


async def read_request(reader: asyncio.StreamReader, timeout_s: float) -> Request | None:
    """Read and parse one request head; None when the peer closed before sending one.

    Raises:
        BadRequest: malformed, too large, too slow, or not GET/HEAD.
    """
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout_s)
    except asyncio.IncompleteReadError as e:
        if not e.partial:
            return None
        raise BadRequest(400, "connection closed inside the request head") from None
    except (asyncio.LimitOverrunError, ValueError):
        raise BadRequest(431, f"request head over {MAX_HEAD_BYTES} bytes") from None
    except TimeoutError:
        raise BadRequest(408, "request head not received in time") from None
    if len(head) > MAX_HEAD_BYTES:
        raise BadRequest(431, f"request head over {MAX_HEAD_BYTES} bytes")
    return parse_head(head)


def parse_head(head: bytes) -> Request:
    """Parse ``request-line CRLF *(header CRLF) CRLF``.

    Raises:
        BadRequest: anything malformed.
    """
    try:
        text = head.decode("ascii")
    except UnicodeDecodeError:
        raise BadRequest(400, "request head is not ASCII") from None
    lines = text[:-4].split("\r\n")
    if any(not line.isprintable() for line in lines):
        raise BadRequest(400, "control characters in the request head")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1.") or not parts[1].startswith("/"):
        raise BadRequest(400, "malformed request line")
    method, target, _version = parts
    if not method.isalpha() or not method.isupper():
        raise BadRequest(400, "malformed method")
    if method not in ("GET", "HEAD"):
        raise BadRequest(405, f"method {method} not allowed")
    if len(lines) - 1 > MAX_HEADERS:
        raise BadRequest(431, f"more than {MAX_HEADERS} header lines")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip() or " " in name:
            raise BadRequest(400, "malformed header line")
        headers[name.lower()] = value.strip()
    path, _, query = target.partition("?")
    return Request(method, path, query, headers)


def response(
    status: int,
    body: bytes = b"",
    content_type: str = "text/plain; charset=utf-8",
    is_head: bool = False,
    extra: tuple[tuple[str, str], ...] = (),
) -> bytes:
    """A complete ``Connection: close`` response."""
    lines = [
        f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}",
        f"Content-Type: {content_type}",
        f"Content-Length: {len(body)}",
        "Cache-Control: no-store",
        "X-Content-Type-Options: nosniff",
        "Connection: close",
        *(f"{k}: {v}" for k, v in extra),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + (b"" if is_head else body)
