"""Every error and reject phrase of ../shared/reference/mta-phrases.yaml (what 27 MTAs and
providers write, from their source code and documentation) classified as the reference says.

Each phrase is read as a diagnostic the way the MTA writes it: placeholders filled with example
values, preceded by the reply and status code the reference gives for it (``550 5.1.1 ...``).
A user-unknown phrase is read as the answer to RCPT TO (the reference documents these as
recipient refusals; the evidence rule of README "How ndr decides the reason" asks for it).

The reference's reasons are mapped onto ours (DECISIONS, "The reference phrases"): TLS phrases
may be ``failedstarttls`` where the catalog says so, else ``securityerror``; ``toomanyconn`` is
``ratelimited``; ``exceedlimit`` is the reason the phrase's code implies (``emailtoolarge`` for
a size). Rows whose reason is ``undefined`` (a template around another server's reply) are not
checked. Where we disagree, ``EXCEPTIONS`` says why.

Skipped when ../shared is not beside the checkout.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

import ndr
from ndr.catalog import codes
from ndr.reading.classify import classify

REFERENCE = Path(__file__).resolve().parent.parent.parent / "shared" / "reference" / "mta-phrases.yaml"
REASON_MAP = {"toomanyconn": "ratelimited"}
TLS = re.compile(r"tls|ssl|certificate|dane|mta-sts|encrypt", re.I)
PLACEHOLDERS = {
    "host": "mx.example.net", "mx": "mx.example.net", "ip": "192.0.2.1", "addr": "user@example.net",
    "rcpt": "user@example.net", "domain": "example.net", "d": "example.net", "name": "example.net",
    "nexthop": "example.net", "helo": "mail.example.org", "myhostname": "mx.example.org",
    "user": "user", "path": "/var/mail/user", "file": "/var/mail/user", "n": "10", "port": "25",
}

# (mta, phrase) -> why our reason differs from the reference's.
_LOOP = "mail loops are networkerror in our vocabulary (the STYLE.md reason set), as in the corpus"
_DECISIVE = "the status code is decisive in the catalog and the words name no reason it yields to"
_TIMEOUT = ("DECISIONS 'reason for given-up messages': a timeout on one attempt (or in a delay) is "
            "networkerror; expired only when the notice says the queue gave up, the timeout then "
            "being its last error")
EXCEPTIONS: dict[tuple[str, str], str] = {
    ("postfix", "connect to <host>[<ip>]:25: Connection timed out"): _TIMEOUT,
    ("sendmail", "Deferred: Connection timed out with <host>"): _TIMEOUT,
    ("exchange-server (on-prem 2013-2019)", "Connection timed out"): _TIMEOUT,
    ("postfix", "mail for <nexthop> loops back to myself"): _LOOP,
    ("qmail", "Sorry. Although I'm listed as a best-preference MX or A for that host, it isn't in my "
              "control/locals file, so I don't treat it as local. (#5.4.6)"): _LOOP,
    ("postfix", "bare <LF> received"): "5.5.2 (syntax) decides; 'bare <lf>' in the folded text is "
                                       "not the phrase 'bare lf' our notcompliantrfc entry knows",
    ("postfix", "<helo>: Helo command rejected: need fully-qualified hostname"):
        "5.5.2 says a syntax error; without the command (HELO) nothing says the client was refused",
    ("postfix", "<helo>: Helo command rejected: Invalid name"):
        "5.5.2 says a syntax error; without the command (HELO) nothing says the client was refused",
    ("postfix", "<helo>: Helo command rejected: Host not found"):
        "'host not found' is hostunknown for every other MTA; a HELO name is rarely in the diagnostic",
    ("postfix", "<addr>: Sender address rejected: need fully-qualified address"):
        "5.5.2 decides syntaxerror: the address was malformed",
    ("postfix", "<addr>: Recipient address rejected: need fully-qualified address"):
        "5.5.2 decides syntaxerror: a malformed address is not an unknown one",
    ("postfix", "<addr>: Sender address rejected: Domain <d> does not accept mail (nullMX)"):
        "'does not accept mail' is notaccept (null MX) ahead of the sender/recipient distinction",
    ("postfix", "<addr>: Recipient address rejected: address verification problem"): _DECISIVE,
    ("sendmail", "Insufficient disk space; try again later"):
        "the same words mean a full mailbox in other MTAs' texts (mailboxfull ranks first)",
    ("sendmail", "Relaying denied. IP name lookup failed <name>"):
        "both apply; the relay refusal is named first and norelaying ranks before requireptr",
    ("sendmail", "Relaying denied. IP name possibly forged <name>"):
        "both apply; the relay refusal is named first and norelaying ranks before requireptr",
    ("sendmail", "Client IP address <ip> does not resolve"): _DECISIVE + " (4.1.8: bad sender domain)",
    ("sendmail", "Possibly forged hostname for <ip>"): _DECISIVE + " (4.1.8: bad sender domain)",
    ("sendmail", "MX lookup failure for <domain>"): _DECISIVE + " (4.1.2)",
    ("sendmail", "Access denied"): "bare words; the 5.7.1 code's reason (securityerror) stands",
    ("qmail", "Sorry, I couldn't find a mail exchanger or IP address. (#5.4.4)"):
        "the corpus labels this notaccept (no mail exchanger); 'couldn't find a mail exchanger' "
        "stays a notaccept phrase",
    ("indimail (qmail fork)", "Sorry, I couldn't find any TLSA RR for this host. (#4.1.2)"): _DECISIVE,
    ("indimail (qmail fork)", "This email address doesn't accept mails from remote domains. (#5.2.1)"):
        "'doesn't accept mail' is notaccept",
    ("indimail (qmail fork)", "sorry, helo domain must exist (#5.1.8)"): _DECISIVE + " (5.1.8)",
    ("indimail (qmail fork)", "we don't accept email with the below content (#5.3.4)"):
        _DECISIVE + " (5.3.4: message too big)",
    ("indimail (qmail fork)", "greylist temporary failure (#4.3.0)"):
        "greylisting is a deliberate first-attempt deferral, not a spam verdict",
    ("courier", "Delivery not authorized, message refused."):
        "also OpenSMTPD's RFC 3463 title for 5.7.1: securityerror",
    ("courier", "Domain does not exist: <domain>"): "'domain does not exist' is hostunknown",
    ("haraka", "Domain <domain> sends and receives no email (NULL MX)"): _DECISIVE + " (5.1.2)",
    ("haraka", "Temporary MX lookup error for <domain>"): _DECISIVE + " (4.1.2)",
    ("stalwart", "Organization over quota."): "'over quota' is mailboxfull",
    ("stalwart", "Greylisted, please try again in <n> seconds."):
        "greylisting is a deliberate first-attempt deferral, not a spam verdict; 4.2.2 decides",
    ("zimbra (LMTP, relayed by its Postfix)", "Server accepts messages only on TLS connection"):
        _DECISIVE + " (4.2.2)",
    ("zimbra (LMTP, relayed by its Postfix)", "Message rejected"):
        "too general to name the sender as the cause; the 5.7.1 code's reason stands",
    ("apache-james", "Quota exceeded"):
        "James's 552 'Quota exceeded' is a size limit, but the same words mean a full mailbox "
        "everywhere else",
    ("postfix", "Protocol error"): "too general a phrase to decide on; the code's reason stands",
    ("mimecast", "recipient temporarily unavailable"): "says nothing about the sending host",
    ("opensmtpd", "Invalid domain name"):
        "also the reply a server gives to a HELO name it refuses (the corpus: qmail's 'my name was "
        "rejected'); too general to decide hostunknown on",
    ("exchange-online", "Access denied, bad outbound sender"): _DECISIVE + " (5.1.8)",
    ("exchange-online", "Journaling on-premises messages to Microsoft 365 or Office 365 not supported "
                        "when Journaling Archive is disabled."): _DECISIVE + " (5.3.190)",
    ("exchange-online", "Delivery not authorized"): "delivery not authorized is securityerror (5.7.1)",
    ("exchange-online", "Sender was not authenticated by organization"): _DECISIVE + " (5.7.12)",
    ("exchange-online", "Sender not in allowed-senders list"): _DECISIVE + " (5.7.124)",
    ("exchange-online", "Sender not authenticated for group"): _DECISIVE + " (5.7.133)",
    ("exchange-online", "Sender was not authenticated for mailbox"): _DECISIVE + " (5.7.134)",
    ("exchange-online", "Sender was not authenticated for public folder"): _DECISIVE + " (5.7.13)",
    ("exchange-online", "Sender was not authenticated"): _DECISIVE + " (5.7.136)",
    ("exchange-online", "Access denied, spam abuse detected"): _DECISIVE + " (5.7.501)",
    ("exchange-online", "Access denied, banned sender"): _DECISIVE + " (5.7.502)",
    ("exchange-online", "Access denied, [<domain>] does not accept email over IPv6"): _DECISIVE + " (5.7.510)",
    ("exchange-online", "Access denied, tenant has exceeded threshold"): _DECISIVE + " (5.7.705)",
    ("exchange-online", "Service unavailable. Client blocked from sending from unregistered domains"):
        _DECISIVE + " (5.7.750)",
    ("exchange-online", "RESOLVER.RST.SenderAuthenticated; Delivery restriction check failed as sender "
                        "not authenticated"): _DECISIVE + " (5.7.12)",
    ("exchange-online-protection (connectors)", "Connection timed out"):
        "4.4.315 is decisive: a single attempt's timeout is networkerror (DECISIONS: expired only "
        "for a notice that gave up)",
    ("exchange-online-protection (connectors)", "Cannot connect to remote server"):
        "4.4.317 is the connector's TLS/certificate failure in the catalog (mail flow intelligence)",
    ("exchange-server (on-prem 2013-2019)", "System not accepting network messages"):
        "RFC 3463's title of X.3.2, which the catalog reads as notaccept",
    ("exchange-server (on-prem 2013-2019)", "Recipient address reserved by RFC 2606"):
        "a reserved (example) domain cannot exist: hostunknown",
    ("exchange-server (on-prem 2013-2019)", "Recipient addresses in single label domains not accepted"):
        _DECISIVE + " (5.1.6)",
    ("exchange-server (on-prem 2013-2019)", "Unrecognized command"): "RFC 5321's 500 text: syntaxerror",
    ("gmail / google-workspace", "Gmail requires all senders to use TLS/SSL for SMTP connections."):
        _DECISIVE + " (5.7.29)",
    ("yahoo / aol (Yahoo Inc)", "[TSS04] Messages from <ip> temporarily deferred due to unexpected "
                                "volume or user complaints - 4.16.55.1; see "
                                "https://postmaster.yahooinc.com/error-codes"):
        "'unexpected volume or user complaints' is the sender's reputation",
}


def _rows() -> list[dict]:
    if not REFERENCE.is_file():
        return []
    rows = yaml.safe_load(REFERENCE.read_text(encoding="utf-8"))
    return [r for r in rows if r["kind"] in ("error", "reject") and r["reason"] not in ("undefined", "n/a")]


def _fill(phrase: str) -> str:
    return re.sub(r"<([a-z_ ]+)>", lambda m: PLACEHOLDERS.get(m.group(1), "example"), phrase)


def judge(row: dict, catalog: ndr.Catalog) -> tuple[str, str, str]:
    """(expected reason, our reason, our rule) for one reference row."""
    code = str(row.get("code") or "")
    reply_match = re.search(r"\b([245]\d\d)\b", code)
    reply = reply_match.group(1) if reply_match else None
    status = codes.find_status(code)
    if status and reply and status[0] != reply[0]:
        reply = None
    text = _fill(row["phrase"])
    lead = " ".join(x for x in (reply, status) if x)
    if lead and not codes.find_status(text) and not re.match(r"\s*[245]\d\d\b", text):
        text = f"{lead} {text}"
    want = REASON_MAP.get(row["reason"], row["reason"])
    if want == "exceedlimit":
        entry = catalog.code_entry(status)
        want = entry.reason if entry is not None else "ratelimited"
    verdict = classify(catalog, status=status, reply=reply, text=text,
                       smtp_command="rcpt" if want == "userunknown" else None)
    got = verdict.reason
    if want == "securityerror" and got == "failedstarttls" and TLS.search(text):
        got = want
    return want, got, verdict.rule


ROWS = _rows()


@pytest.mark.skipif(not ROWS, reason="../shared/reference is not present")
def test_every_reference_phrase_gets_its_reason():
    catalog = ndr.load_catalog()
    wrong = []
    for row in ROWS:
        want, got, rule = judge(row, catalog)
        if got != want and (row["mta"], row["phrase"]) not in EXCEPTIONS:
            wrong.append(f"{row['mta']}: {row['phrase']!r} ({row.get('code')}): want {want}, got {got} ({rule})")
    assert not wrong, f"{len(wrong)} of {len(ROWS)} phrases:\n" + "\n".join(wrong)


@pytest.mark.skipif(not ROWS, reason="../shared/reference is not present")
def test_every_exception_is_still_needed_and_says_why():
    catalog = ndr.load_catalog()
    by_key = {(r["mta"], r["phrase"]): r for r in ROWS}
    stale = [key for key in EXCEPTIONS if key not in by_key or judge(by_key[key], catalog)[0] == judge(
        by_key[key], catalog)[1]]
    assert not stale, f"exceptions no longer needed (or not in the reference): {stale}"
    assert all(why.strip() for why in EXCEPTIONS.values())


# Phrases whose reason we get only with their code: the words alone are too general (or name
# another reason first) to decide on.
WORDS_NEED_THEIR_CODE = {
    ("postfix", "message content rejected"): "under 5.7.x spamdetected, under 5.6.x contenterror",
    ("postfix", "service unavailable"): "too general",
    ("postfix", "temporary failure"): "too general",
    ("sendmail", "553 5.3.5 <host> config error: mail loops back to me (MX problem?)"): "a mail loop is networkerror",
    ("qmail", "timeout (#4.4.2)"): "too general",
    ("exchange-online", "Invalid characters"): "too general",
    ("exchange-online", "Delivery not authorized, message refused"): "delivery not authorized is securityerror",
    ("exchange-server (on-prem 2013-2019)", "Not Authorized"): "too general",
}


def _without_code(phrase: str) -> str:
    text = _fill(phrase)
    text = re.sub(r"^\s*[245]\d\d[ -]([245]\.\d\.\d+ )?", "", text)
    return re.sub(r"\(#?[245]\.\d\.\d+\)|\b[245]\.\d\.\d+\b", "", text)


@pytest.mark.skipif(not ROWS, reason="../shared/reference is not present")
def test_the_words_alone_carry_the_reason():
    """A notice often quotes the words without the code: the phrase alone gives the reason."""
    catalog = ndr.load_catalog()
    wrong = []
    for row in ROWS:
        want, got, _ = judge(row, catalog)
        if got != want or (row["mta"], row["phrase"]) in WORDS_NEED_THEIR_CODE:
            continue
        verdict = classify(catalog, status=None, reply=None, text=_without_code(row["phrase"]),
                           smtp_command="rcpt" if want == "userunknown" else None)
        alone = verdict.reason
        if want == "securityerror" and alone == "failedstarttls":
            alone = want
        if alone != want:
            wrong.append(f"{row['mta']}: {row['phrase']!r}: want {want}, got {alone} ({verdict.rule})")
    assert not wrong, "\n".join(wrong)
