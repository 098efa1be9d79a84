"""Shaped rendering (render.Shaped: a shipped template rendered once per shape of its context,
the per-message strings filled in afterwards) gives exactly the bytes of direct rendering."""
from __future__ import annotations

import weakref
from datetime import datetime, timedelta, timezone

import jinja2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ndr
from ndr.writing import render
from ndr.policy import Policy
from ndr.generate import ReportOptions, generate
from ndr.writing.queue import Attempt, LocalError, QueuedMessage, QueueRecipient

T0 = datetime(2024, 5, 1, 8, tzinfo=timezone.utc)
NOW = T0 + timedelta(days=2)
CATALOG = ndr.load_catalog()
CODES = sorted({e.status.split("-")[0].replace("X", "5", 1) for e in CATALOG.codes if e.status})[:40]
# What could upset a fill-in: HTML specials, format braces, the marker characters themselves,
# marker look-alikes, non-ASCII, and nothing at all (emptiness is part of the shape).
odd = st.one_of(st.just(""), st.text(st.sampled_from(list("a &<>\"'{}{0}\ue000\ue0011&amp;é中;")), max_size=24),
                st.text(max_size=20))


@st.composite
def messages(draw):
    recipients = []
    for n in range(draw(st.integers(1, 3))):
        local = draw(st.sampled_from(["bob", "o'hara", "a&b", "{x}", "jos\u00e9", "\u4e2d"]))
        host = draw(st.sampled_from(["mx.example.net", "smarthost.example.org", None]))
        if draw(st.booleans()):
            status = draw(st.sampled_from(CODES))
            attempt = Attempt(T0, host, reply=f"{status[0]}50 {status} {draw(odd)}")
        else:
            attempt = Attempt(T0, host, error=draw(st.sampled_from(list(LocalError))), detail=draw(odd) or None)
        attempts = (attempt,) if draw(st.integers(0, 4)) else ()
        orcpt = draw(st.none() | st.just(f"rfc822;{local}{n}@example.org"))
        recipients.append(QueueRecipient(f"{local}{n}@example.org", attempts=attempts, orcpt=orcpt))
    return QueuedMessage(draw(st.sampled_from(["Q1", "Q{2}", "Q&3"])), "alice@example.com", T0,
                         tuple(recipients), envid=draw(st.none() | odd.filter(bool)),
                         smtputf8=draw(st.booleans()))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messages(), st.sampled_from(["failed", "delayed"]), st.sampled_from(["en", "pt-BR"]),
       st.none() | odd, st.booleans())
def test_shaped_reports_equal_directly_rendered_ones(monkeypatch_module, message, action, lang, subject, with_id):
    original = None
    if subject is not None:
        head = f"Subject: {subject}\r\n" + ("Message-ID: <m1@example.com>\r\n" if with_id else "")
        original = head.encode("utf-8") + b"\r\nbody\r\n"
    options = ReportOptions(reporting_mta="mx.example.com")
    args = dict(now=NOW, will_retry_until=NOW + timedelta(days=3), original=original, options=options,
                catalog=CATALOG, policy=Policy(lang=lang))
    shaped = generate(message, action, **args)
    again = generate(message, action, **args)  # now from the remembered shape
    with monkeypatch_module.context() as patch:
        patch.setattr(render, "_SHAPES", weakref.WeakKeyDictionary())  # no environment is shaped
        direct = generate(message, action, **args)
    assert shaped.data == again.data == direct.data


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def _shaped_env(templates: dict[str, str]) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.DictLoader(templates), undefined=jinja2.StrictUndefined,
                             autoescape=lambda name: bool(name and name.endswith(".html")))
    render._SHAPES[env] = {}
    return env


@pytest.mark.parametrize("source", [
    "{{ a|upper }}/{{ b }}",                    # a filter changes the marker: rendered directly
    "{{ a }}{{ '\ue000' }}",                   # a literal marker character: rendered directly
    "{% autoescape false %}{{ a }}{% endautoescape %} {{ b }}",  # raw and escaped in one file
    "{{ a }} {{ a }} {{ b }} {}{{ '{0}' }}",   # repeats and braces in the template
    "{% if a %}[{{ a }}]{% else %}-{% endif %}{{ b }}",
    "line\r\n{{ a }}\n\nstatic {{ '{' }}\n{{ b }} and {{ a }}\r\n\n\n",
])
@pytest.mark.parametrize("name", ["t.txt", "t.html"])
def test_shaped_equals_direct_for_awkward_templates(source, name):
    env = _shaped_env({name: source})

    def encode(line: str) -> bytes:
        return line.encode() + b"|\r\n"

    for a, b in [("x&y", "<b>"), ("", "{0}"), ("\ue000", "q"), ("x&y", "z"), ("ab", "<b>"), ("a\nb", "c\rd"), ("x", "")]:
        shaped = render.Shaped(env, lambda put: {"a": put(a), "b": put(b)})
        direct = render.render(env, name, {"a": a, "b": b})
        assert shaped.render(name) == direct, (source, a, b)
        assert shaped.render_lines(name, encode) == b"".join(map(encode, render.lines(direct))), (source, a, b)


def test_user_templates_are_never_shaped(tmp_path):
    (tmp_path / "dsn").mkdir()
    (tmp_path / "dsn" / "failure.txt.j2").write_text(
        '{% extends "shipped/dsn/failure.txt.j2" %}{% block admin %}{{ queue_id|lower }}{% endblock %}')
    env = render.environment(tmp_path)
    assert env not in render._SHAPES and render.environment() in render._SHAPES
    message = QueuedMessage("QUEUE-A", "alice@example.com", T0, (
        QueueRecipient("bob@example.net", attempts=(Attempt(T0, "mx.example.net", error=LocalError.REFUSED),)),))
    for queue_id in ("QUEUE-A", "QUEUE-B"):
        message = QueuedMessage(queue_id, message.sender, T0, message.recipients)
        report = generate(message, "failed", now=NOW, policy=Policy(templates=tmp_path), catalog=CATALOG)
        assert queue_id.lower().encode() in report.data
