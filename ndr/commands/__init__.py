"""Subcommands of the ``ndr`` command line, one module each.

Each module has ``add_arguments(parser)`` and ``run(args) -> int``; ``cli.py``
lists them. Exit codes are shared (``ndr.cli``): 0 records printed / done, 1 nothing to report,
2 usage error, 65 input not readable as a message, 75 internal failure (an MTA retries).
"""
