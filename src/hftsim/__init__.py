"""hftsim: a deterministic simulator of a high-frequency trading venue and the market around it."""

__version__ = "0.1.0"
__all__ = ["__version__"]
