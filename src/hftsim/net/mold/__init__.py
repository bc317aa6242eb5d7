"""MoldUDP64: downstream packets, the packet filler and re-request packets."""

from hftsim.net.mold.packet import (
    END_OF_SESSION_COUNT,
    HEADER_SIZE,
    HEARTBEAT_COUNT,
    REQUEST_SIZE,
    MoldPacker,
    MoldPacket,
    MoldRequest,
    MoldRequestError,
    decode_packet,
    decode_request,
    encode_end_of_session,
    encode_heartbeat,
    encode_packet,
    encode_request,
    session_field,
)

__all__ = [
    "END_OF_SESSION_COUNT",
    "HEADER_SIZE",
    "HEARTBEAT_COUNT",
    "MoldPacker",
    "MoldPacket",
    "MoldRequest",
    "MoldRequestError",
    "REQUEST_SIZE",
    "decode_packet",
    "decode_request",
    "encode_end_of_session",
    "encode_heartbeat",
    "encode_packet",
    "encode_request",
    "session_field",
]
