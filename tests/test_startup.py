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
    # deferred by the command line (ndr/lazy.py): loaded only if a rare case uses them
    "inspect", "calendar", "ipaddress",
    # a message file, the catalog and its cache are reached through os.path (1.5 ms less)
    "pathlib", "urllib",
)

PROBE = """
import json, sys
from ndr.__main__ import entry as main
from ndr.lazy import DEFERRED_STDLIB as DEFERRED
code = main(sys.argv[1:])
sys.stdout.flush()
# A deferred standard module (ndr.lazy.defer_stdlib) is in sys.modules from the start; it counts
# as imported once its code ran, i.e. once its placeholder __getattr__ is gone.
loaded = [m for m, module in sys.modules.items() if "__getattr__" not in vars(module) or m not in DEFERRED]
print(json.dumps(sorted(loaded)), file=sys.stderr)
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


def test_every_dataclass_has_a_docstring() -> None:
    """dataclasses calls inspect.signature for a class without one: inspect (with ast, dis and
    tokenize) would then load on every start of the command line."""
    import ast

    bare = []
    for path in sorted((ROOT / "ndr").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.ClassDef) and ast.get_docstring(node) is None
                    and any("dataclass" in ast.unparse(d) for d in node.decorator_list)):
                bare.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert bare == []


def test_a_deferred_module_loads_when_used() -> None:
    code = ("import sys; from ndr.lazy import defer_stdlib; defer_stdlib(('colorsys',));"
            "import colorsys; before = '__getattr__' in vars(colorsys);"
            "from colorsys import rgb_to_hsv; print(before, '__getattr__' in vars(colorsys), rgb_to_hsv(1, 0, 0))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True)
    assert done.stdout.split() == ["True", "False", "(0.0,", "1.0,", "1)"]


def test_once_computes_a_view_on_first_read_and_keeps_it() -> None:
    from ndr.lazy import once

    calls: list[int] = []

    class Message:
        @once
        def text(self) -> str:
            """The text."""
            calls.append(1)
            return f"text {len(calls)}"

    first, second = Message(), Message()
    assert (first.text, first.text, second.text) == ("text 1", "text 1", "text 2")
    assert len(calls) == 2 and first.__dict__["text"] == "text 1"
    assert isinstance(Message.__dict__["text"], once) and Message.text.__doc__ == "The text."
