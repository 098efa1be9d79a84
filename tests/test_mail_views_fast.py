"""``Mail``'s views give what their plain forms gave: ``parts`` without a generator for a
message of one part, ``body_text`` without cutting a text twice (a single text is already cut).
Checked on messages built from plain, HTML and embedded parts of lengths around the text limit.
"""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

import ndr
from ndr.reading import mime
from ndr.reading.decoders.base import Mail
from ndr.reading.text import html_to_text

CATALOG = ndr.load_catalog()

PARTS = {
    "plain": b"Content-Type: text/plain\n\n",
    "html": b"Content-Type: text/html\n\n",
    "crlf": b"Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\nYQ0KYg1j\n",  # "a\r\nb\rc"
    "status": b"Content-Type: message/delivery-status\n\nStatus: 5.1.1\n",
    "message": b"Content-Type: message/rfc822\n\nSubject: x\n\ninner text\n",
}


def _message(kinds: list[str], sizes: list[int]) -> bytes:
    if len(kinds) == 1:
        return b"Subject: t\n" + PARTS[kinds[0]] + b"x " * sizes[0]
    body = b"".join(b"--b\n" + PARTS[kind] + b"<p>y</p> " * size + b"\n" for kind, size in zip(kinds, sizes))
    return b"Subject: t\nContent-Type: multipart/mixed; boundary=b\n\n" + body + b"--b--\n"


def _plain_body_text(mail: Mail) -> tuple[str, bool]:
    """The form ``body_text`` had before, with its own cut flag."""
    cut = [False]

    def cut_to(text: str, limit: int) -> str:
        if len(text) <= limit:
            return text
        cut[0] = True
        return text[:limit]

    plain: list[str] = []
    html: list[mime.Part] = []
    limit = mail.policy.max_text_chars
    for part in list(mail.root.walk()):
        ctype = part.content_type
        if part.message is not None or ctype.startswith("multipart/"):
            continue
        if ctype == "text/html":
            html.append(part)
        elif ctype.startswith("text/"):
            plain.append(cut_to(part.text(), limit))
    if plain:
        for part in html:
            if len(part.body) > limit:
                cut_to(part.text(), limit)
        text = cut_to("\n".join(plain), limit)
    else:
        text = cut_to("\n".join(html_to_text(cut_to(part.text(), limit)) for part in html), limit)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text, cut[0]


@given(st.lists(st.sampled_from(sorted(PARTS)), min_size=1, max_size=4),
       st.lists(st.integers(0, 12), min_size=4, max_size=4), st.integers(1, 30))
@settings(max_examples=300, deadline=None)
def test_body_text_and_its_cut_flag_are_the_plain_forms(kinds: list[str], sizes: list[int], limit: int) -> None:
    policy = ndr.DEFAULT.clone(max_text_chars=limit)
    root = mime.parse(_message(kinds, sizes), policy)
    mail = Mail(root, CATALOG, policy)
    assert mail.parts == list(root.walk())
    assert (mail.body_text, mail.text_cut) == _plain_body_text(Mail(root, CATALOG, policy))
