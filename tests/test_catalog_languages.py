"""Both languages, complete: every catalog entry with human text has English and Portuguese, and
the check names the file, line, entry and missing language when one lacks it."""
from __future__ import annotations

import textwrap
from pathlib import Path

from ndr import load_catalog
from ndr.catalog import read_yaml, shipped_catalog_path
from ndr.catalog.languages import catalog_languages, language_problems

from .conftest import run_ndr

HALF_TRANSLATED = """
reasons:
  - id: undefined
    priority: 999
    hard: never
    summary: {en: "Unknown", pt-BR: "Desconhecido"}
    source: test
codes:
  - id: t-5.1.1
    status: X.1.1
    title: {en: "Bad mailbox", pt-BR: "Caixa postal inválida"}
    reason: undefined
    causes:
      en: ["The mailbox does not exist."]
    fixes: {en: ["Fix the address."], pt-BR: ["Corrija o endereço."]}
    source: test
"""


def test_every_shipped_entry_has_english_and_portuguese() -> None:
    data = read_yaml(str(shipped_catalog_path()))
    assert catalog_languages(data) == ["en", "pt-BR"]
    assert language_problems(data) == []
    catalog = load_catalog()
    for reason in catalog.reasons.values():
        for text in (reason.summary, reason.advice):
            assert set(text.values) >= {"en", "pt-BR"}, reason.id
            assert text.values["pt-BR"] != text.values["en"], reason.id
    for entry in catalog.codes:
        assert set(entry.title.values) >= {"en", "pt-BR"}, entry.id
        for texts in (entry.causes, entry.fixes):
            assert set(texts.values) >= {"en", "pt-BR"}, entry.id
            # One Portuguese sentence for each English one, and not a copy of it.
            assert len(texts.values["pt-BR"]) == len(texts.values["en"]), entry.id
            assert not set(texts.values["pt-BR"]) & set(texts.values["en"]), entry.id


def test_a_missing_language_names_file_line_entry_and_language(tmp_path: Path) -> None:
    path = tmp_path / "half.yaml"
    path.write_text(textwrap.dedent(HALF_TRANSLATED), encoding="utf-8")
    result = run_ndr("catalog", "check", "--alone", str(path))
    assert result.returncode == 65
    err = result.stderr.decode()
    assert str(path) in err
    assert "line 14: codes[0] id=t-5.1.1: causes lacks pt-BR" in err
    assert "fixes" not in err and "title" not in err


def test_a_plain_string_counts_as_english_only() -> None:
    data = {"reasons": [{"id": "a", "summary": {"en": "A", "pt-BR": "A pt"}},
                        {"id": "b", "summary": "B", "__line__": 7}]}
    assert language_problems(data) == [
        "line 7: reasons[1] id=b: summary lacks pt-BR (the catalog uses en, pt-BR)"]


def test_an_english_only_user_catalog_is_still_valid(tmp_path: Path) -> None:
    extra = tmp_path / "extra.yaml"
    extra.write_text(textwrap.dedent("""
        codes:
          - id: local-5.7.999
            status: 5.7.999
            title: Local rule
            reason: policyviolation
            causes: ["Our gateway refused it."]
            source: our helpdesk
        """), encoding="utf-8")
    catalog = load_catalog(extra)
    entry = catalog.code_entry("5.7.999")
    assert entry is not None
    # Portuguese readers get the English text rather than nothing.
    assert entry.causes.get("pt-BR") == ("Our gateway refused it.",)
