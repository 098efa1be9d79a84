"""The shipped catalog validates; each validation rule fails on a tiny broken catalog, and every
problem is reported at once with its location."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from ndr import CatalogError, load_catalog
from ndr.catalog import shipped_catalog_path

from .conftest import run_ndr

MINIMAL = """
reasons:
  - id: undefined
    priority: 999
    hard: never
    summary: Unknown
    source: test
  - id: userunknown
    priority: 10
    hard: always
    summary: No such user
    patterns: ["user unknown"]
    source: test
codes:
  - id: t-5.1.1
    status: X.1.1
    title: Bad mailbox
    reason: userunknown
    decisive: true
    source: test
"""


def write(tmp_path: Path, text: str, name: str = "c.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_shipped_catalog_is_valid_and_complete() -> None:
    catalog = load_catalog()
    required = {"authfailure", "badreputation", "blocked", "contenterror", "delivered", "emailtoolarge",
                "expired", "failedstarttls", "feedback", "filtered", "hasmoved", "hostunknown",
                "mailboxfull", "mailererror", "networkerror", "norelaying", "notaccept",
                "notcompliantrfc", "onhold", "policyviolation", "ratelimited", "rejected", "requireptr",
                "securityerror", "spamdetected", "suppressed", "suspend", "syntaxerror", "systemerror",
                "systemfull", "undefined", "userunknown", "vacation", "virusdetected"}
    assert required <= set(catalog.reasons)
    for code in ("4.4.312", "4.4.315", "4.4.316", "4.4.317", "4.4.318", "4.7.320"):
        entry = catalog.code_entry(code)
        assert entry is not None and entry.status == code, code
        assert entry.causes.get("en") and entry.causes.get("pt-BR"), code
        assert entry.fixes.get("en") and entry.fixes.get("pt-BR"), code
        assert entry.who, code
    registry = {f"{s}.{d}" for s, d in [(0, 0), (1, 1), (1, 10), (2, 2), (4, 7), (7, 1), (7, 30)]}
    assert registry <= set(catalog.by_subject)
    assert all(entry.source for entry in catalog.codes)


def test_shipped_catalog_resolves_through_the_package() -> None:
    assert shipped_catalog_path().is_file()


def test_minimal_catalog_loads(tmp_path: Path) -> None:
    catalog = load_catalog(path=write(tmp_path, MINIMAL))
    assert catalog.code_entry("5.1.1").id == "t-5.1.1"


BROKEN = """
reasons:
  - id: undefined
    priority: 1
    hard: never
    summary: Unknown
    source: test
  - id: undefined
    priority: 1
    hard: sometimes
    summary: Again
    patterns: ["User Unknown", " padded", ["ok", "ok"], {regex: "^(a+)+"}]
codes:
  - id: c1
    status: 5.1
    title: t
    reason: nosuchreason
    source: s
  - id: c2
    status: 4.1.1
    reply: 550
    title: t
    reason: undefined
    source: s
    patterns: ["dup", "dup"]
"""


def test_broken_catalog_lists_every_problem_with_location(tmp_path: Path) -> None:
    with pytest.raises(CatalogError) as info:
        load_catalog(path=write(tmp_path, BROKEN))
    text = "\n".join(info.value.problems)
    for expected in ("duplicate id 'undefined'", "priority 1 already used", "hard must be one of",
                     "not lowercase", "leading or trailing whitespace", "nested quantifier",
                     "missing source", "malformed status code", "unknown reason 'nosuchreason'",
                     "disagree on class", "listed twice"):
        assert expected in text, expected
    assert "line " in text


def test_bad_yaml_is_one_error_with_a_line(tmp_path: Path) -> None:
    with pytest.raises(CatalogError) as info:
        load_catalog(path=write(tmp_path, "reasons: [\n  - id: x\n"))
    assert len(info.value.problems) == 1 and "line" in info.value.problems[0]


def test_user_catalog_extends_and_reports_overrides(tmp_path: Path) -> None:
    extra = write(tmp_path, """
        codes:
          - id: iana-x.1.1
            status: X.1.1
            title: Local meaning of a bad mailbox
            reason: userunknown
            decisive: true
            source: our helpdesk
          - id: local-5.9.9
            status: 5.7.999
            title: Local rule
            reason: policyviolation
            decisive: true
            source: our helpdesk
        """, "extra.yaml")
    catalog = load_catalog(extra)
    assert "codes:iana-x.1.1" in catalog.overrides
    assert catalog.code_entry("5.1.1").title.get() == "Local meaning of a bad mailbox"


def test_catalog_check_command(tmp_path: Path) -> None:
    ok = run_ndr("catalog", "check")
    assert ok.returncode == 0 and b"catalog ok" in ok.stdout
    bad = run_ndr("catalog", "check", "--alone", str(write(tmp_path, BROKEN)))
    assert bad.returncode == 65
    assert b"Traceback" not in bad.stderr
    assert b"problem(s)" in bad.stderr
