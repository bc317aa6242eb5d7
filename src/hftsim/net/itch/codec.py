"""Nasdaq TotalView-ITCH 5.0 encoder and decoder for the venue's ten feed messages. Hot path.

Every message starts with the common header: Message Type (1, ASCII), Stock Locate (u16),
Tracking Number (u16), Timestamp (6 bytes, ns since midnight). Integers are unsigned big-endian;
Alpha fields are ASCII, left-justified and space padded; prices are Price(4), an u32 with four
implied decimals (``price_e4`` fields: 1234500 means 123.4500). Offsets and sizes are in
``shared/PROTOCOLS.md`` section 1.2. The 6-byte timestamp is packed as u16 high part and u32 low
part, so one precompiled :class:`struct.Struct` per message type does the whole message.

Encoders come in two forms with the same arguments: ``pack_into(buf, offset, record)`` writes into
a preallocated buffer (a MoldUDP64 packet under construction) and returns the bytes written;
``encode(record)`` returns a new ``bytes``. :func:`decode` turns a message back into its record.
"""

from __future__ import annotations

import struct
from typing import Callable, Union

import msgspec

from hftsim.core.errors import ProtocolError

__all__ = [
    "AddOrder",
    "AddOrderMpid",
    "ItchMessage",
    "MESSAGE_LENGTHS",
    "MAX_PRICE_E4",
    "MAX_TIMESTAMP_NS",
    "OrderCancel",
    "OrderDelete",
    "OrderExecuted",
    "OrderExecutedWithPrice",
    "OrderReplace",
    "StockDirectory",
    "SystemEvent",
    "TradeNonCross",
    "decode",
    "encode",
    "encode_add_order",
    "encode_order_delete",
    "pack_into",
]

#: the largest Price(4) the ITCH 5.0 spec allows: 200,000.0000 (0x77359400), below the u32 limit.
#: Check instrument price bands against it once at configuration; the encoder does not.
MAX_PRICE_E4 = 2_000_000_000
#: the largest timestamp: one ns before the next midnight (below 2**48, so 6 bytes always suffice)
MAX_TIMESTAMP_NS = 86_400 * 1_000_000_000 - 1
_MAX_TIMESTAMP_HIGH = (MAX_TIMESTAMP_NS >> 32) - 1  # below this high half, no timestamp can be too late


class _Record(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    stock_locate: int
    tracking_number: int = 0
    timestamp_ns: int  # ns since midnight


class SystemEvent(_Record):
    """'S': a market or feed event. ``event_code``: O S Q M E C (start of messages ... end of messages)."""

    event_code: str


class StockDirectory(_Record):
    """'R': one instrument of the day's directory (``stock_locate`` is its locate code)."""

    stock: str
    market_category: str = " "
    financial_status_indicator: str = " "
    round_lot_size: int = 100
    round_lots_only: str = "N"
    issue_classification: str = "C"
    issue_sub_type: str = "  "
    authenticity: str = "P"
    short_sale_threshold_indicator: str = " "
    ipo_flag: str = " "
    luld_reference_price_tier: str = " "
    etp_flag: str = " "
    etp_leverage_factor: int = 0
    inverse_indicator: str = "N"


class AddOrder(_Record):
    """'A': a displayed order joined the book. ``side`` is ``"B"`` or ``"S"``."""

    order_reference_number: int
    side: str
    shares: int
    stock: str
    price_e4: int


class AddOrderMpid(AddOrder):
    """'F': as 'A', attributed to market participant ``attribution`` (4-letter MPID)."""

    attribution: str


class OrderExecuted(_Record):
    """'E': ``executed_shares`` of an order traded at its displayed price."""

    order_reference_number: int
    executed_shares: int
    match_number: int


class OrderExecutedWithPrice(OrderExecuted):
    """'C': as 'E' at ``execution_price_e4``; ``printable`` is ``"Y"`` or ``"N"`` (volume counted once)."""

    printable: str
    execution_price_e4: int


class OrderCancel(_Record):
    """'X': ``cancelled_shares`` left an order, which stays on the book."""

    order_reference_number: int
    cancelled_shares: int


class OrderDelete(_Record):
    """'D': the whole remaining order left the book."""

    order_reference_number: int


class OrderReplace(_Record):
    """'U': an order was replaced by a new reference number, share count and price (new priority)."""

    original_order_reference_number: int
    new_order_reference_number: int
    shares: int
    price_e4: int


class TradeNonCross(_Record):
    """'P': an execution of a non-displayed order; it does not change the visible book.

    Nasdaq has sent 0 as the order reference number since December 2010 and "B" as the side since
    July 2014 (ITCH 5.0 spec, section 1.5.1); the venue may do the same.
    """

    order_reference_number: int
    side: str
    shares: int
    stock: str
    price_e4: int
    match_number: int


ItchMessage = Union[
    SystemEvent,
    StockDirectory,
    AddOrder,
    AddOrderMpid,
    OrderExecuted,
    OrderExecutedWithPrice,
    OrderCancel,
    OrderDelete,
    OrderReplace,
    TradeNonCross,
]

_HEADER = "cHHHI"  # type, locate, tracking, timestamp high 16 bits, timestamp low 32 bits
_S = struct.Struct(">" + _HEADER + "c")
_R = struct.Struct(">" + _HEADER + "8sccIcc2scccccIc")
_A = struct.Struct(">" + _HEADER + "QcI8sI")
_F = struct.Struct(">" + _HEADER + "QcI8sI4s")
_E = struct.Struct(">" + _HEADER + "QIQ")
_C = struct.Struct(">" + _HEADER + "QIQcI")
_X = struct.Struct(">" + _HEADER + "QI")
_D = struct.Struct(">" + _HEADER + "Q")
_U = struct.Struct(">" + _HEADER + "QQII")
_P = struct.Struct(">" + _HEADER + "QcI8sIQ")

#: message length in bytes by type byte (also the MoldUDP64 block length)
MESSAGE_LENGTHS: dict[bytes, int] = {
    b"S": _S.size,
    b"R": _R.size,
    b"A": _A.size,
    b"F": _F.size,
    b"E": _E.size,
    b"C": _C.size,
    b"X": _X.size,
    b"D": _D.size,
    b"U": _U.size,
    b"P": _P.size,
}


def _alpha(text: str, width: int) -> bytes:
    data = text.encode("ascii")
    if len(data) > width:
        raise ValueError(f"Alpha field {text!r} is longer than {width} characters")
    return data.ljust(width)


def _char(text: str) -> bytes:
    data = text.encode("ascii")
    if len(data) != 1:
        raise ValueError(f"Alpha(1) field must be one ASCII character, got {text!r}")
    return data


def _args_s(r: SystemEvent) -> tuple:
    return (_char(r.event_code),)


def _args_r(r: StockDirectory) -> tuple:
    return (
        _alpha(r.stock, 8),
        _char(r.market_category),
        _char(r.financial_status_indicator),
        r.round_lot_size,
        _char(r.round_lots_only),
        _char(r.issue_classification),
        _alpha(r.issue_sub_type, 2),
        _char(r.authenticity),
        _char(r.short_sale_threshold_indicator),
        _char(r.ipo_flag),
        _char(r.luld_reference_price_tier),
        _char(r.etp_flag),
        r.etp_leverage_factor,
        _char(r.inverse_indicator),
    )


def _args_a(r: AddOrder) -> tuple:
    return (r.order_reference_number, _char(r.side), r.shares, _alpha(r.stock, 8), r.price_e4)


def _args_f(r: AddOrderMpid) -> tuple:
    return (
        r.order_reference_number,
        _char(r.side),
        r.shares,
        _alpha(r.stock, 8),
        r.price_e4,
        _alpha(r.attribution, 4),
    )


def _args_e(r: OrderExecuted) -> tuple:
    return (r.order_reference_number, r.executed_shares, r.match_number)


def _args_c(r: OrderExecutedWithPrice) -> tuple:
    return (
        r.order_reference_number,
        r.executed_shares,
        r.match_number,
        _char(r.printable),
        r.execution_price_e4,
    )


def _args_x(r: OrderCancel) -> tuple:
    return (r.order_reference_number, r.cancelled_shares)


def _args_d(r: OrderDelete) -> tuple:
    return (r.order_reference_number,)


def _args_u(r: OrderReplace) -> tuple:
    return (r.original_order_reference_number, r.new_order_reference_number, r.shares, r.price_e4)


def _args_p(r: TradeNonCross) -> tuple:
    return (r.order_reference_number, _char(r.side), r.shares, _alpha(r.stock, 8), r.price_e4, r.match_number)


#: record class -> (struct, type byte, body-argument function)
_ENCODERS: dict[type, tuple[struct.Struct, bytes, Callable[..., tuple]]] = {
    SystemEvent: (_S, b"S", _args_s),
    StockDirectory: (_R, b"R", _args_r),
    AddOrder: (_A, b"A", _args_a),
    AddOrderMpid: (_F, b"F", _args_f),
    OrderExecuted: (_E, b"E", _args_e),
    OrderExecutedWithPrice: (_C, b"C", _args_c),
    OrderCancel: (_X, b"X", _args_x),
    OrderDelete: (_D, b"D", _args_d),
    OrderReplace: (_U, b"U", _args_u),
    TradeNonCross: (_P, b"P", _args_p),
}


def _struct_args(record: ItchMessage) -> tuple[struct.Struct, tuple]:
    try:
        packer, type_byte, body = _ENCODERS[record.__class__]
    except KeyError:
        raise TypeError(f"not an ITCH record: {type(record).__name__}") from None
    ts = record.timestamp_ns
    if not 0 <= ts <= MAX_TIMESTAMP_NS:
        raise ValueError(f"timestamp_ns must be within one day (0..{MAX_TIMESTAMP_NS}), got {ts}")
    return packer, (
        type_byte,
        record.stock_locate,
        record.tracking_number,
        ts >> 32,
        ts & 0xFFFFFFFF,
        *body(record),
    )


def encode(record: ItchMessage) -> bytes:
    """Return ``record`` as an ITCH 5.0 message.

    Raises:
        ValueError: a field does not fit: Alpha too long, timestamp outside the day, integer out
            of its field's range.
    """
    packer, args = _struct_args(record)
    try:
        return packer.pack(*args)
    except struct.error as e:
        raise ValueError(f"{type(record).__name__}: {e}") from e


def encode_add_order(
    stock_locate: int,
    timestamp_ns: int,
    reference: int,
    side: bytes,
    shares: int,
    stock8: bytes,
    price_e4: int,
) -> bytes:
    """``encode(AddOrder(...))`` without the record, for the feed's hot path (same bytes, same errors).

    ``side`` is ``b"B"`` or ``b"S"``; ``stock8`` the stock already padded to 8 bytes.
    """
    try:
        if 0 <= timestamp_ns <= MAX_TIMESTAMP_NS and len(side) == 1 and len(stock8) == 8:
            return _A.pack(
                b"A", stock_locate, 0, timestamp_ns >> 32, timestamp_ns & 0xFFFFFFFF, reference, side, shares,
                stock8, price_e4,
            )  # fmt: skip
    except struct.error:
        pass
    return encode(  # the general path raises the error that names the field
        AddOrder(
            stock_locate=stock_locate,
            timestamp_ns=timestamp_ns,
            order_reference_number=reference,
            side=side.decode("ascii", "replace"),
            shares=shares,
            stock=stock8.decode("ascii", "replace").rstrip(),
            price_e4=price_e4,
        )
    )


def encode_order_delete(stock_locate: int, timestamp_ns: int, reference: int) -> bytes:
    """``encode(OrderDelete(...))`` without the record, for the feed's hot path (same bytes, same errors)."""
    try:
        if 0 <= timestamp_ns <= MAX_TIMESTAMP_NS:
            return _D.pack(b"D", stock_locate, 0, timestamp_ns >> 32, timestamp_ns & 0xFFFFFFFF, reference)
    except struct.error:
        pass
    return encode(
        OrderDelete(stock_locate=stock_locate, timestamp_ns=timestamp_ns, order_reference_number=reference)
    )


def pack_into(buf: bytearray | memoryview, offset: int, record: ItchMessage) -> int:
    """Write ``record`` into ``buf`` at ``offset`` and return the number of bytes written.

    Raises:
        ValueError: as :func:`encode`, or ``buf`` is too small.
    """
    packer, args = _struct_args(record)
    try:
        packer.pack_into(buf, offset, *args)
    except struct.error as e:
        raise ValueError(f"{type(record).__name__}: {e}") from e
    return packer.size


# ---------------------------------------------------------------- decoding


def _text(raw: bytes) -> str:
    return raw.decode("latin-1").rstrip(" ")


def _ts(hi: int, lo: int) -> int:
    return hi << 32 | lo


def _dec_s(v: tuple) -> SystemEvent:
    return SystemEvent(
        stock_locate=v[1],
        tracking_number=v[2],
        timestamp_ns=_ts(v[3], v[4]),
        event_code=v[5].decode("latin-1"),
    )


def _dec_r(v: tuple) -> StockDirectory:
    c = [x.decode("latin-1") if isinstance(x, bytes) else x for x in v[5:]]
    return StockDirectory(
        stock_locate=v[1],
        tracking_number=v[2],
        timestamp_ns=_ts(v[3], v[4]),
        stock=c[0].rstrip(" "),
        market_category=c[1],
        financial_status_indicator=c[2],
        round_lot_size=c[3],
        round_lots_only=c[4],
        issue_classification=c[5],
        issue_sub_type=c[6],
        authenticity=c[7],
        short_sale_threshold_indicator=c[8],
        ipo_flag=c[9],
        luld_reference_price_tier=c[10],
        etp_flag=c[11],
        etp_leverage_factor=c[12],
        inverse_indicator=c[13],
    )


def _dec_a(v: tuple) -> AddOrder:
    return AddOrder(
        stock_locate=v[1],
        tracking_number=v[2],
        timestamp_ns=_ts(v[3], v[4]),
        order_reference_number=v[5],
        side=v[6].decode("latin-1"),
        shares=v[7],
        stock=_text(v[8]),
        price_e4=v[9],
    )


def _dec_f(v: tuple) -> AddOrderMpid:
    return AddOrderMpid(
        stock_locate=v[1],
        tracking_number=v[2],
        timestamp_ns=_ts(v[3], v[4]),
        order_reference_number=v[5],
        side=v[6].decode("latin-1"),
        shares=v[7],
        stock=_text(v[8]),
        price_e4=v[9],
        attribution=_text(v[10]),
    )


def _dec_e(v: tuple) -> OrderExecuted:
    return OrderExecuted(
        stock_locate=v[1],
        tracking_number=v[2],
        timestamp_ns=_ts(v[3], v[4]),
        order_reference_number=v[5],
        executed_shares=v[6],
        match_number=v[7],
    )


def _dec_c(v: tuple) -> OrderExecutedWithPrice:
    return OrderExecutedWithPrice(
        stock_locate=v[1],
        tracking_number=v[2],
        timestamp_ns=_ts(v[3], v[4]),
        order_reference_number=v[5],
        executed_shares=v[6],
        match_number=v[7],
        printable=v[8].decode("latin-1"),
        execution_price_e4=v[9],
    )


def _dec_x(v: tuple) -> OrderCancel:
    return OrderCancel(
        stock_locate=v[1],
        tracking_number=v[2],
        timestamp_ns=_ts(v[3], v[4]),
        order_reference_number=v[5],
        cancelled_shares=v[6],
    )


def _dec_d(v: tuple) -> OrderDelete:
    return OrderDelete(
        stock_locate=v[1], tracking_number=v[2], timestamp_ns=_ts(v[3], v[4]), order_reference_number=v[5]
    )


def _dec_u(v: tuple) -> OrderReplace:
    return OrderReplace(
        stock_locate=v[1],
        tracking_number=v[2],
        timestamp_ns=_ts(v[3], v[4]),
        original_order_reference_number=v[5],
        new_order_reference_number=v[6],
        shares=v[7],
        price_e4=v[8],
    )


def _dec_p(v: tuple) -> TradeNonCross:
    return TradeNonCross(
        stock_locate=v[1],
        tracking_number=v[2],
        timestamp_ns=_ts(v[3], v[4]),
        order_reference_number=v[5],
        side=v[6].decode("latin-1"),
        shares=v[7],
        stock=_text(v[8]),
        price_e4=v[9],
        match_number=v[10],
    )


#: first byte (as int) -> (struct, record builder)
_DECODERS: dict[int, tuple[struct.Struct, Callable[[tuple], ItchMessage]]] = {
    ord("S"): (_S, _dec_s),
    ord("R"): (_R, _dec_r),
    ord("A"): (_A, _dec_a),
    ord("F"): (_F, _dec_f),
    ord("E"): (_E, _dec_e),
    ord("C"): (_C, _dec_c),
    ord("X"): (_X, _dec_x),
    ord("D"): (_D, _dec_d),
    ord("U"): (_U, _dec_u),
    ord("P"): (_P, _dec_p),
}


def decode(message: bytes | bytearray | memoryview) -> ItchMessage:
    """Decode one ITCH 5.0 message (exactly one, no length prefix) into its record.

    Alpha fields are decoded as Latin-1 so that any byte decodes; the encoder accepts ASCII only.

    Raises:
        ProtocolError: empty message, a type this codec does not handle, a length that is not
            the type's fixed length, or a timestamp past the end of the day.
    """
    if not message:
        raise ProtocolError("empty ITCH message: expected at least the 1-byte message type")
    entry = _DECODERS.get(message[0])
    if entry is None:
        raise ProtocolError(
            f"unsupported ITCH message type {bytes(message[:1])!r}; "
            f"supported: {b''.join(MESSAGE_LENGTHS).decode()}"
        )
    unpacker, build = entry
    if len(message) != unpacker.size:
        raise ProtocolError(
            f"ITCH message {bytes(message[:1])!r} must be {unpacker.size} bytes, got {len(message)}"
        )
    values = unpacker.unpack(message)
    if values[3] > _MAX_TIMESTAMP_HIGH and (values[3] << 32 | values[4]) > MAX_TIMESTAMP_NS:
        raise ProtocolError(
            f"ITCH {bytes(message[:1])!r} timestamp {values[3] << 32 | values[4]} ns "
            f"is past the end of the day ({MAX_TIMESTAMP_NS})"
        )
    return build(values)
