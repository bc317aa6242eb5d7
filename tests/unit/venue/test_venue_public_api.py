"""Pin the public names of the venue and client packages (STYLE.md section 8)."""

import hftsim.net.client as client
import hftsim.net.fix.session as session
import hftsim.net.venue as venue


def test_venue_all_pinned():
    assert sorted(venue.__all__) == sorted(
        [
            "Account",
            "DashboardConfig",
            "FeedConfig",
            "FixConfig",
            "Gateway",
            "ORD_REJ_REASON",
            "SessionSpec",
            "VenueConfig",
            "VenueServer",
            "WallClock",
            "event_loop_name",
            "load_config",
            "new_event_loop",
            "parse_config",
        ]
    )


def test_client_and_session_all_pinned():
    assert sorted(client.__all__) == ["FixInitiator", "LoadResult", "new_order_body", "run_load"]
    assert sorted(session.__all__) == [
        "ADMIN_MSG_TYPES",
        "FixSession",
        "SequenceStore",
        "SessionState",
        "SessionStatus",
    ]
