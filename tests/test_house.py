"""The shape of the package stays as docs/architecture.md draws it: small modules, short functions."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "ndr"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_no_module_is_over_400_lines() -> None:
    long = {str(p.relative_to(PACKAGE)): n for p in _modules()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert not long, long


def test_no_function_is_over_60_lines() -> None:
    long = {}
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                size = (node.end_lineno or node.lineno) - node.lineno + 1
                if size > MAX_FUNCTION_LINES:
                    long[f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name}"] = size
    assert not long, long


# ---- one settings object, defects raised where they are found ------------------------------

def test_explain_takes_the_policy_and_its_old_lang_keyword_warns() -> None:
    import ndr

    portuguese = ndr.explain("450 4.4.316", policy=ndr.Policy(lang="pt-BR"))
    assert portuguese.fixes != ndr.explain("450 4.4.316").fixes
    with pytest.warns(DeprecationWarning, match="Policy"):
        assert ndr.explain("450 4.4.316", lang="pt-BR") == portuguese


def test_strict_raises_at_the_defect_with_the_defect_and_the_crash_chained(monkeypatch) -> None:
    import ndr
    from ndr.errors import DefectError, DefectKind
    from ndr.reading import decoders

    class Crashing:
        name = "crashing"

        def decode(self, mail):
            raise ZeroDivisionError("boom")

    monkeypatch.setattr(decoders, "_USER", [Crashing()])
    bounce = b"From: a@example.com\nSubject: hi\n\nhello\n"
    lenient = ndr.parse(bounce)
    assert [d.kind for d in lenient.defects] == [DefectKind.DECODER_ERROR]
    assert str(lenient.defects[0].kind) == "decoder-error"  # prints as the id it always was
    with pytest.raises(DefectError) as raised:
        ndr.parse(bounce, policy=ndr.STRICT)
    assert raised.value.defect is not None and raised.value.defect.kind is DefectKind.DECODER_ERROR
    assert isinstance(raised.value.__cause__, ZeroDivisionError)
    assert raised.value.__cause__.__traceback__ is not None  # the decoder's own frames are kept
