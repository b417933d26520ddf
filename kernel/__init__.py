"""The kernel: what the feature apps (builder, training, rag, tools) share, below all of them.

It never imports a feature app or the portal; see kernel/README.md.
"""
