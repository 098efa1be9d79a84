"""What `ndr parse` imports: only what reading one bounce needs (a mailbox rule runs it per bounce)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import EXAMPLES, ROOT

# The writing side, the batch engine, the web stack, optional and slow-to-import libraries, and
# what only --exec, --spool or a failing decoder need; ndr reads MIME itself, so the stdlib's
# email parser is not needed either. Nor are, for one plain RFC 3464 bounce with the catalog's
# disk cache warm: archives, catalog building and validation, the decoders dispatch never reaches.
NOT_ON_THE_PARSE_PATH = (
    "ndr.generate", "ndr.writing", "ndr.batch", "ndr.serve", "ndr.webhooks", "jinja2", "babel", "dask",
    "distributed", "starlette", "uvicorn", "flanker", "yaml", "importlib.metadata", "importlib.resources",
    "subprocess", "logging", "socket", "email.utils", "email.message", "email.parser",
    "ndr.reading.archives", "tarfile", "zipfile", "ndr.catalog.build", "ndr.catalog.validate",
    "ndr.catalog.schema", "ndr.reading.decoders.table", "ndr.reading.decoders.fallback",
    "ndr.reading.decoders.amazonses", "ndr.reading.decoders.autoreply",
)

PROBE = """
import json, sys
from ndr.cli import main
code = main(sys.argv[1:])
sys.stdout.flush()
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
sys.exit(code)
"""


def imported_by(*args: str) -> list[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # Twice: the first run may build the catalog's disk cache (and import PyYAML to do it).
    for _ in range(2):
        done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, env=env,
                              timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    modules = json.loads(done.stderr.decode().splitlines()[-1])
    return [m for m in modules if any(m == name or m.startswith(name + ".") for name in NOT_ON_THE_PARSE_PATH)]


def test_parse_imports_nothing_it_does_not_need() -> None:
    assert imported_by("parse", "--format", "jsonl", str(EXAMPLES / "postfix-user-unknown.eml")) == []


def test_explain_imports_nothing_it_does_not_need() -> None:
    assert imported_by("explain", "4.4.316") == []
