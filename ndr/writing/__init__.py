"""The writing pipeline: a queued message in, a bounce (DSN) out.

queue (read the MTA's queue records) → decide (failed, delayed or wait) → the DSN writer in
``ndr.generate`` (the report's fields and text) → render (templates) → deliver (folder, mbox or
SMTP); pool runs many at once. The public entry point is ``ndr.generate``.
"""
