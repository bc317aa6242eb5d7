"""Tests of hftsim.journal."""
