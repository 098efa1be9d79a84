"""Portuguese everywhere people read: labels of the text output, ``explain``, the HTML report and
generated reports come from gettext (ndr/locale), dates from Babel; the CLI follows --lang, else
the user's locale, else English; JSON keeps ids."""
from __future__ import annotations

import io
import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from ndr import i18n
from ndr.batch.html_report import render_report
from ndr.batch.summary import Summary
from ndr.generate import ReportOptions, generate
from ndr.policy import Policy
from ndr.writing.queue import Attempt, LocalError, QueuedMessage, QueueRecipient

from .conftest import EXAMPLES, ROOT, run_ndr

LOCALE = ROOT / "ndr" / "locale" / "pt_BR" / "LC_MESSAGES"
ENGLISH_LABELS = ("likely causes:", "how to fix:", "destination:", "reported by:", "diagnostic:",
                  "who should act:", "what:", "when:", "source:", "rule:", "(soft)", "(hard)",
                  "sender-admin", "recipient-admin", " failed ", "reason:", "soft bounce",
                  "hard bounce", "catalog:")


def _po():
    with open(LOCALE / "ndr.po", "rb") as handle:
        return read_po(handle, locale="pt_BR", domain="ndr")


def test_shipped_mo_is_the_compiled_po():
    compiled = io.BytesIO()
    write_mo(compiled, _po())
    assert (LOCALE / "ndr.mo").read_bytes() == compiled.getvalue(), (
        "ndr.mo is stale: run `pybabel compile -d ndr/locale -D ndr`")


def test_every_message_in_code_and_templates_is_translated():
    method_map = [("ndr/**.py", "python"), ("templates/**.j2", "jinja2")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    used = {msg if isinstance(msg, str) else msg[0]
            for _, _, msg, _, _ in extract_from_dir(str(ROOT), method_map, keywords=keywords)}
    catalog = _po()
    missing = sorted(m for m in used if not catalog.get(m) or not catalog.get(m).string
                     or (isinstance(catalog.get(m).string, tuple) and not all(catalog.get(m).string)))
    assert len(used) > 100 and missing == [], missing


def test_language_from_option_then_locale_then_english():
    assert i18n.resolve_language("pt-BR", {}) == "pt-BR"
    assert i18n.resolve_language(None, {"LANG": "pt_BR.UTF-8"}) == "pt-BR"
    assert i18n.resolve_language(None, {"LC_ALL": "C", "LANG": "pt_BR.UTF-8"}) == "en"
    assert i18n.resolve_language(None, {"LC_MESSAGES": "pt_PT", "LANG": "en_US.UTF-8"}) == "pt-BR"
    assert i18n.resolve_language(None, {"LANG": "de_DE.UTF-8"}) == "en"
    assert i18n.resolve_language("en", {"LC_ALL": "pt_BR.UTF-8"}) == "en"
    assert i18n.resolve_language(None, {}) == "en"


def test_dates_follow_the_language():
    moment = datetime(2024, 5, 1, 8, tzinfo=timezone.utc)
    assert i18n.format_datetime(moment, "pt-BR") == "1 de maio de 2024 08:00:00 UTC"
    assert i18n.format_datetime(moment, "en").startswith("May 1, 2024")
    assert i18n.format_iso("2024-05-01", "pt-BR") == "1 de maio de 2024"
    assert i18n.format_iso("not a date", "pt-BR") == "not a date"


def _text_is_portuguese(out: str) -> None:
    assert "causas prováveis:" in out and "como corrigir:" in out
    for label in ENGLISH_LABELS:
        assert label not in out, label


@pytest.mark.parametrize("how", [("--lang", "pt-BR"), {"LANG": "pt_BR.UTF-8"}])
def test_parse_text_in_portuguese(how):
    files = sorted(str(p) for p in EXAMPLES.glob("*.eml"))
    args, locale = (how, None) if isinstance(how, tuple) else ((), how)
    result = run_ndr("parse", "--format", "text", *args, *files, locale=locale)
    out = result.stdout.decode()
    assert result.returncode == 0, result.stderr
    _text_is_portuguese(out)
    assert "destino: mail.fabrikam.example" in out
    assert "quem deve agir: administrador do remetente, administrador do destinatário" in out
    assert re.search(r"quando: 10 de novembro de 2026 \d\d:\d\d:\d\d", out)
    assert "(temporária)" in out and "(permanente)" in out


@pytest.mark.parametrize("how", [("--lang", "pt-BR"), {"LANG": "pt_BR.UTF-8"}])
def test_explain_in_portuguese(how):
    args, locale = (how, None) if isinstance(how, tuple) else ((), how)
    result = run_ndr("explain", *args, "450 4.4.316", locale=locale)
    out = result.stdout.decode()
    assert result.returncode == 0, result.stderr
    _text_is_portuguese(out)
    assert "Conexão recusada" in out and "(devolução temporária)" in out
    assert "motivo: networkerror" in out  # the reason id stays an id


def test_english_without_locale_and_with_an_unknown_one():
    for locale in ({}, {"LANG": "de_DE.UTF-8"}):
        out = run_ndr("explain", "5.1.1", locale=locale).stdout.decode()
        assert "likely causes:" in out and "(hard bounce)" in out


def test_json_keeps_ids_under_portuguese():
    files = sorted(str(p) for p in EXAMPLES.glob("*.eml"))
    result = run_ndr("parse", "--format", "jsonl", *files, locale={"LANG": "pt_BR.UTF-8"})
    rows = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert {r["action"] for r in rows} == {"failed"}
    assert {w for r in rows for w in r["who"]} <= {"sender", "sender-admin", "recipient", "recipient-admin"}
    assert {r["reason"] for r in rows} == {"expired", "userunknown"}
    assert any("Conexão recusada" in (r.get("summary") or "") for r in rows)  # texts in the locale's language


def test_jsonl_path_does_not_import_babel():
    code = ("import sys; from ndr.cli import main; "
            f"rc = main(['parse', '--format', 'jsonl', {str(next(EXAMPLES.glob('*.eml')))!r}]); "
            "print('BABEL' if any(m == 'babel' or m.startswith('babel.') for m in sys.modules) else 'NONE')")
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES")}
    env.update(LANG="pt_BR.UTF-8", PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, env=env, timeout=120)
    assert done.stdout.decode().strip().splitlines()[-1] == "NONE"


def test_generated_report_in_portuguese_with_a_portuguese_date():
    t0 = datetime(2024, 5, 1, 8, tzinfo=timezone.utc)
    message = QueuedMessage("Q1", "alice@example.com", t0, (
        QueueRecipient("bob@example.net", attempts=(
            Attempt(t0 + timedelta(hours=2), "mx.example.net", error=LocalError.REFUSED),)),))
    report = generate(message, "failed", now=t0 + timedelta(days=5),
                      options=ReportOptions(reporting_mta="mx.example.com"), policy=Policy(lang="pt-BR"))
    text = report.message.get_body(("plain",)).get_content()
    assert "Enviada: 1 de maio de 2024 08:00:00 UTC" in text
    assert "Última tentativa: 1 de maio de 2024 10:00:00 UTC" in text
    assert "Quem deve agir:" in text and "Causas prováveis:" in text
    assert not re.search(r"\b(Sent|Recipient|Likely causes|Last attempt|May)\b", text)
    html = report.message.get_body(("html",)).get_content()
    assert "1 de maio de 2024" in html and 'lang="pt-BR"' in html


def test_generated_report_follows_the_originals_content_language_over_lang():
    t0 = datetime(2024, 5, 1, 8, tzinfo=timezone.utc)
    message = QueuedMessage("Q1", "alice@example.com", t0, (QueueRecipient("bob@example.net"),))
    original = b"From: alice@example.com\r\nContent-Language: pt-BR\r\nSubject: Oi\r\n\r\nbody\r\n"
    report = generate(message, "delayed", now=t0 + timedelta(hours=5), original=original,
                      will_retry_until=t0 + timedelta(days=5),
                      options=ReportOptions(reporting_mta="mx.example.com"), policy=Policy(lang="en"))
    text = report.message.get_body(("plain",)).get_content()
    assert "Ele continuará tentando até: 6 de maio de 2024 08:00:00 UTC" in text


def test_html_report_labels_in_portuguese(tmp_path: Path):
    html = render_report(Summary(), [], "caixa", lang="pt-BR")
    assert 'lang="pt-BR"' in html and "Análise de devoluções" in html
    assert "Principais servidores de destino" in html and "Nenhum grupo de falhas" in html
    for english in ("Bounce analysis", "Findings", "Top destination servers", "Status codes",
                    "generated", "messages", "Nothing to show", "None: every input"):
        assert english not in html, english
    assert re.search(r"gerado em \d{1,2} de \w+ de \d{4}", html)


def test_analyze_html_report_follows_the_locale(tmp_path: Path):
    out = tmp_path / "report.html"
    result = run_ndr("analyze", "--html", str(out), "--quiet", *map(str, EXAMPLES.glob("*.eml")),
                     locale={"LANG": "pt_BR.UTF-8"})
    assert result.returncode in (0, 1), result.stderr
    html = out.read_text(encoding="utf-8")
    assert "Análise de devoluções" in html and "Constatações" in html and "Bounce analysis" not in html


def test_html_report_findings_in_portuguese():
    from ndr.batch.findings import FindingsBuilder
    from ndr.batch.work import MessageResult, UnitResult

    rows = [{"source": "box", "message_index": i, "kind": "bounce", "action": "failed",
             "recipient": f"u{i}@example.com", "status": "5.1.1", "reply_code": "550",
             "remote_mta": "mx.example.com", "reason": "userunknown", "hard": True,
             "catalog_id": "iana-x.1.1", "summary": "A caixa não existe", "causes": ["Erro de digitação."],
             "fixes": ["Corrija o endereço."], "who": ["sender-admin"],
             "diagnostic_code": "550 5.1.1 user unknown"} for i in range(12)]
    messages = [MessageResult("box", i, str(i), (r,), ("2024-05-01T10:00:00+00:00",))
                for i, r in enumerate(rows)]
    summary, findings = Summary(), FindingsBuilder()
    summary.add(UnitResult(messages=messages, problems=[]))
    findings.add_messages(messages)
    html = render_report(summary, findings.findings(), "caixa", lang="pt-BR")
    assert "12 mensagens para mx.example.com falharam" in html
    assert "Causa provável: Erro de digitação." in html and "Correção: Corrija o endereço." in html
    assert "Quem deve agir: administrador do remetente" in html
    assert "em 1 de maio de 2024" in html and "Falhas por dia, por motivo" in html
    assert "12 endereços de destinatário distintos nessas 12 mensagens" in html


def test_analyze_terminal_summary_in_portuguese(tmp_path: Path):
    from .bounces import mbox, mixed

    box = tmp_path / "box.mbox"
    box.write_bytes(mbox(mixed(30)))
    result = run_ndr("analyze", "--lang", "pt-BR", str(box))
    err = result.stderr.decode() + result.stdout.decode()
    assert "30 mensagem(ns) analisada(s)" in err and "constatações:" in err
    assert "motivo " in err and "código de status" in err and "permanente" in err
    assert "causa provável:" in err
    for english in ("analysed", "findings", "likely cause", "status code", "count", "hard/soft"):
        assert english not in err, english
