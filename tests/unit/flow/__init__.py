"""Tests of hftsim.flow."""
