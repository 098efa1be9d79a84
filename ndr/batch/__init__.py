"""Batch analysis of bounce archives (``ndr analyze``): plan work units, run them on an engine
(local process pool or Dask), and fold the results into a summary, findings, a ledger and a report.
"""
