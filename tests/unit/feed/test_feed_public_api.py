"""Pin the public names of hftsim.net.feed (STYLE.md section 8)."""

import hftsim.net.feed as feed


def test_feed_all_pinned():
    assert sorted(feed.__all__) == sorted(
        [
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
    )
    assert all(hasattr(feed, n) for n in feed.__all__)
