"""FIX clients of the live venue: an asyncio initiator and an open-loop load generator."""

from hftsim.net.client.initiator import FixInitiator, new_order_body
from hftsim.net.client.load import LoadResult, run_load

__all__ = ["FixInitiator", "LoadResult", "new_order_body", "run_load"]
