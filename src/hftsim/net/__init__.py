"""The edges: wire codecs (FIX 4.4, ITCH 5.0, MoldUDP64) and, later, the network venue."""

__all__: list[str] = []
