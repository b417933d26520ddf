"""Weft's workflow runtime: spec, compile, engine, nodes and model clients. Never imports Django."""
