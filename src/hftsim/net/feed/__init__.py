"""The venue's market-data feed: ITCH 5.0 over MoldUDP64, retransmission, snapshots and a feed handler.

See ``docs/feed.md``. ``hftsim.net.feed.cli`` (the ``data itch`` command) is imported on demand.
"""

from hftsim.net.feed.book import ItchBook
from hftsim.net.feed.handler import FeedHandler
from hftsim.net.feed.publisher import FeedPublisher, check_destination
from hftsim.net.feed.server import RerequestServer, RetransmitPolicy, TokenBucket
from hftsim.net.feed.snapshot import (
    SNAPSHOT_REQUEST_COUNT,
    decode_marker,
    encode_snapshot,
    encode_snapshot_request,
    is_snapshot_request,
)
from hftsim.net.feed.store import RetransmitStore
from hftsim.net.feed.translate import REF_ORDER_BITS, REF_ORDER_MASK, EventTranslator, price_scale_e4

__all__ = [
    "EventTranslator",
    "FeedHandler",
    "FeedPublisher",
    "ItchBook",
    "REF_ORDER_BITS",
    "REF_ORDER_MASK",
    "RerequestServer",
    "RetransmitPolicy",
    "RetransmitStore",
    "SNAPSHOT_REQUEST_COUNT",
    "TokenBucket",
    "check_destination",
    "decode_marker",
    "encode_snapshot",
    "encode_snapshot_request",
    "is_snapshot_request",
    "price_scale_e4",
]
