"""Order-book views, the state digest and the naive reference engine (the compiled twin's spec)."""

from hftsim.book.digest import books_digest
from hftsim.book.reference import ReferenceEngine
from hftsim.book.views import L1, L2, Level

__all__ = ["L1", "L2", "Level", "ReferenceEngine", "books_digest"]
