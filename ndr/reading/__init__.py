"""The reading pipeline: bytes in, a ``Report`` out.

sources/archives (find messages) → mime (split one message) → decoders (find recipients and
their fields) → classify (the catalog's reason) → records (flat rows) and spool (mail that
could not be read). The public entry point is ``ndr.parse``.
"""
