"""Build the compiled parts (matching core, FIX codec, gateway and feed lanes, load runner, histogram
record); the rest is in pyproject.toml."""

from setuptools import Extension, setup

_RECORDS = ["src/hftsim/matching/records.h"]  # the packed record layouts the engine's readers share
_FLAGS = ["-O3", "-std=c11", "-Wall", "-Wextra", "-Wno-unused-parameter",
          "-Wno-missing-field-initializers", "-Wno-cast-function-type"]

setup(
    ext_modules=[
        Extension("hftsim.matching._core",
                  sources=["src/hftsim/matching/_core.c", "src/hftsim/matching/_book.c"],
                  depends=[*_RECORDS, "src/hftsim/matching/_core.h"], extra_compile_args=_FLAGS),
        Extension("hftsim.net.fix._fastfix", sources=["src/hftsim/net/fix/_fastfix.c"],
                  extra_compile_args=_FLAGS),
        Extension("hftsim.monitor._hdr", sources=["src/hftsim/monitor/_hdr.c"], extra_compile_args=_FLAGS),
        Extension("hftsim.net.feed._translate", sources=["src/hftsim/net/feed/_translate.c"],
                  depends=_RECORDS, extra_compile_args=_FLAGS),
        Extension("hftsim.net.venue._lane", sources=["src/hftsim/net/venue/_lane.c"],
                  depends=[*_RECORDS, "src/hftsim/net/venue/_cltable.h"],
                  extra_compile_args=_FLAGS),
        Extension("hftsim.net.client._loadgen",
                  sources=["src/hftsim/net/client/_loadgen.c", "src/hftsim/net/client/_loadgen_loop.c"],
                  depends=["src/hftsim/net/client/_loadgen.h"], extra_compile_args=_FLAGS),
    ]
)
