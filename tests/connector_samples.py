"""Bounces of the same connector failures (refused, timeout, DNS, TLS required, certificate,
dropped connection) as Exchange Online, Postfix, Exim and Sendmail write them, built from the
layouts in ../shared/reference/mta-phrases.md (Exchange Online NDR and connector codes, Postfix
bounce_templates.c / smtp_connect.c / smtp_proto.c, Exim deliver.c / retry.c, Sendmail
savemail.c / envelope.c / err.c). Each sample knows the destination it names, the last real
error it carries and which platform's advice fits it."""
from __future__ import annotations

from dataclasses import dataclass

DEST = "mail.contoso.test"
IP = "203.0.113.10"
RCPT = "dave@contoso.test"
FAILURES = ("refused", "timeout", "dns", "tls", "certificate", "dropped")


@dataclass(frozen=True)
class Sample:
    name: str
    mta: str
    failure: str
    data: bytes
    destination: str | None
    """The server the sender tried, as the bounce names it (None: it names none)."""
    last_error_status: str | None
    """The status of the last real error inside the expiry notice (None: not an expiry notice
    with a real error inside)."""
    microsoft: bool
    """True when Microsoft 365 connector advice fits (the bounce comes from Exchange Online)."""


# ---- Exchange Online ---------------------------------------------------------------------------
# LED texts as Exchange Online writes them inside "550 4.4.7 QUEUE.Expired; message expired".
_LED = {
    "refused": ("4.4.316", "450 4.4.316 Connection refused [Message=Socket error code 10061]"),
    "timeout": ("4.4.315", "450 4.4.315 Connection timed out [Message=Socket error code 10060]"),
    "dns": ("4.4.312", "450 4.4.312 DNS query failed [Message=InfoDomainNonexistent]"),
    "tls": ("4.4.317", "450 4.4.317 Cannot connect to remote server "
                       "[Message=451 5.7.3 STARTTLS is required to send mail]"),
    "certificate": ("4.7.320", "450 4.7.320 Certificate validation failed "
                               "[Message=CertificateExpired; the certificate's validity period has ended]"),
    "dropped": ("4.4.318", "450 4.4.318 Connection was closed abruptly "
                           "[Message=An existing connection was forcibly closed by the remote host]"),
}
_EXO_HOST = "BN8PR00MB0000.namprd00.prod.outlook.com"


def _exo_diagnostic(failure: str) -> str:
    led = _LED[failure][1]
    return (f"550 4.4.7 QUEUE.Expired; message expired [{{LED={led} "
            f"[LastAttemptedServerName={DEST}] [LastAttemptedIP={IP}:25]}};{{MSG=}};"
            f"{{FQDN={DEST}}};{{IP={IP}}};{{LRT=11/10/2026 9:55:12 AM}}]")


def _exo_head(subject: str) -> str:
    """The header Exchange Online writes on its NDRs (up to the MIME fields)."""
    return f"""\
Received: from {_EXO_HOST} ([::1]) by {_EXO_HOST} with mapi id 15.20.8000.000;
 Wed, 11 Nov 2026 10:02:11 +0000
From: Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@fabrikam.test>
To: <carol@fabrikam.test>
Date: Wed, 11 Nov 2026 10:02:11 +0000
Subject: {subject} Purchase order 4411
Auto-Submitted: auto-replied
"""


def exchange_with_dsn(failure: str) -> bytes:
    """The modern Exchange Online NDR with its delivery-status part."""
    diagnostic = _exo_diagnostic(failure)
    return f"""\
{_exo_head("Undeliverable:")}X-MS-Exchange-Message-Is-Ndr:
Content-Type: multipart/report; report-type=delivery-status; boundary="ndr_b"
MIME-Version: 1.0

--ndr_b
Content-Type: text/plain; charset="us-ascii"

Your message to {RCPT} couldn't be delivered.
Delivery to the recipient's server kept failing for 24 hours.

Diagnostic information for administrators:

Generating server: {_EXO_HOST}

{RCPT}
Remote server returned '{diagnostic}'

--ndr_b
Content-Type: message/delivery-status

Reporting-MTA: dns;{_EXO_HOST}
Received-From-MTA: dns;{_EXO_HOST}
Arrival-Date: Tue, 10 Nov 2026 10:01:40 +0000

Final-Recipient: rfc822;{RCPT}
Action: failed
Status: 4.4.7
Diagnostic-Code: smtp;{diagnostic}

--ndr_b
Content-Type: text/rfc822-headers

From: Carol <carol@fabrikam.test>
To: Dave <{RCPT}>
Subject: Purchase order 4411
Message-ID: <po-4411-{failure}@fabrikam.test>

--ndr_b--
""".encode()


def exchange_modern_text(failure: str, *, labels: str = "en") -> bytes:
    """The Exchange Online NDR without a delivery-status part (HTML and text alternatives), in
    English or with localized labels (only labels are localized; codes stay English)."""
    separator, generating = _LABELS[labels]
    diagnostic = _exo_diagnostic(failure)
    return f"""\
{_exo_head(_SUBJECTS[labels])}Content-Type: multipart/alternative; boundary="alt_b"
MIME-Version: 1.0

--alt_b
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: 8bit

{RCPT}
Office 365

{separator}

{generating}: {_EXO_HOST}
{RCPT}
Remote server returned '{diagnostic}'

Original message headers:

From: Carol <carol@fabrikam.test>
To: Dave <{RCPT}>
Subject: Purchase order 4411
Message-ID: <po-4411-{failure}-{labels}@fabrikam.test>

--alt_b
Content-Type: text/html; charset="utf-8"
Content-Transfer-Encoding: 8bit

<html><body><p><b>{RCPT}</b></p><p>Office 365</p>
<p><b>{separator}</b></p><p>{generating}: {_EXO_HOST}<br>{RCPT}<br>
Remote server returned '{diagnostic.replace("<", "&lt;")}'</p></body></html>

--alt_b--
""".encode()


def exchange_classic_text(failure: str) -> bytes:
    """The older plain-text Exchange NDR ("Delivery has failed to these recipients or groups")."""
    diagnostic = _exo_diagnostic(failure)
    return f"""\
From: postmaster@fabrikam.test
To: <carol@fabrikam.test>
Date: Wed, 11 Nov 2026 10:02:11 +0000
Subject: Undeliverable: Purchase order 4411
Auto-Submitted: auto-replied
Content-Type: text/plain; charset="us-ascii"
MIME-Version: 1.0

Delivery has failed to these recipients or groups:

{RCPT}
The recipient's e-mail server couldn't be reached for 24 hours.

Diagnostic information for administrators:

Generating server: {_EXO_HOST}

{RCPT}
Remote Server returned '{diagnostic}'

Original message headers:

From: Carol <carol@fabrikam.test>
Subject: Purchase order 4411
Message-ID: <po-4411-classic-{failure}@fabrikam.test>
""".encode()


def exchange_modern_details(failure: str) -> bytes:
    """The newest Exchange Online NDR (HTML only): "More info for email admins", "Original
    Message Details", "Error Details" with "Reported error", "DSN generated by", "Remote server"."""
    diagnostic = _exo_diagnostic(failure).replace("<", "&lt;")
    return f"""\
From: Microsoft Outlook <postmaster@fabrikam.onmicrosoft.test>
To: <carol@fabrikam.test>
Date: Wed, 11 Nov 2026 10:02:11 +0000
Subject: Undeliverable: Purchase order 4411
Auto-Submitted: auto-replied
X-MS-Exchange-Message-Is-Ndr:
Content-Type: text/html; charset="utf-8"
MIME-Version: 1.0

<html><body>
<p>Your message to {RCPT} couldn't be delivered.</p>
<p>{DEST} wasn't reachable for 24 hours.</p>
<table><tr><td>carol</td><td>Office 365</td><td>contoso.test</td></tr>
<tr><td>Action Required</td><td></td><td>Recipient</td></tr></table>
<p><b>How to Fix It</b></p>
<p>Try to send your message again later. If the problem continues, contact the recipient by other means.</p>
<p><b>More Info for Email Admins</b></p>
<p>Status code: 550 4.4.7</p>
<p>The message couldn't be delivered because the destination server kept failing for 24 hours.</p>
<p><b>Original Message Details</b></p>
<p>Created Date: 11/10/2026 10:01:39 AM<br>
Sender Address: carol@fabrikam.test<br>
Recipient Address: {RCPT}<br>
Subject: Purchase order 4411</p>
<p><b>Error Details</b></p>
<p>Reported error: {diagnostic}<br>
DSN generated by: {_EXO_HOST}<br>
Remote server: {DEST}</p>
<p><b>Message Hops</b></p>
<table><tr><th>HOP</th><th>TIME (UTC)</th><th>FROM</th><th>TO</th><th>WITH</th></tr>
<tr><td>1</td><td>11/10/2026 10:01:39 AM</td><td>carol-pc</td><td>{_EXO_HOST}</td><td>HTTPS</td></tr></table>
</body></html>
""".encode()


_LABELS = {
    "en": ("Diagnostic information for administrators:", "Generating server"),
    "pt": ("Informações de diagnóstico para administradores:", "Servidor gerador"),
    "es": ("Información de diagnóstico para administradores:", "Servidor de generación"),
    "de": ("Diagnoseinformationen für Administratoren:", "Generierender Server"),
    "fr": ("Informations de diagnostic pour les administrateurs :", "Serveur de génération"),
    "it": ("Informazioni di diagnostica per gli amministratori:", "Server di generazione"),
}
_SUBJECTS = {"en": "Undeliverable:", "pt": "Não é possível entregar:", "es": "No se puede entregar:",
             "de": "Unzustellbar:", "fr": "Non remis :", "it": "Non recapitabile:"}


# ---- Postfix --------------------------------------------------------------------------------
# (text, status, destination): the last deferral text Postfix keeps when the message expires.
_POSTFIX = {
    "refused": (f"connect to {DEST}[{IP}]:25: Connection refused", "4.4.1", DEST),
    "timeout": (f"connect to {DEST}[{IP}]:25: Connection timed out", "4.4.1", DEST),
    "dns": ("Host or domain name not found. Name service error for name=contoso.test type=MX: "
            "Host not found, try again", "4.4.3", None),
    "tls": (f"TLS is required, but was not offered by host {DEST}[{IP}]", "4.7.4", DEST),
    "certificate": (f"TLS is required, but host {DEST}[{IP}] refused to start TLS: "
                    "Server certificate not verified", "4.7.5", DEST),
    "dropped": (f"lost connection with {DEST}[{IP}] while receiving the initial server greeting",
                "4.4.2", DEST),
}


def postfix(failure: str, *, suspended: bool = False) -> bytes:
    text, status, _ = _POSTFIX[failure]
    if suspended:
        text = "delivery temporarily suspended: " + text
    return f"""\
Received: by relay.fabrikam.test (Postfix) id 4411AB; Wed, 11 Nov 2026 10:02:11 +0000
From: MAILER-DAEMON@relay.fabrikam.test (Mail Delivery System)
To: carol@fabrikam.test
Subject: Undelivered Mail Returned to Sender
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="pf_b"

--pf_b
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host relay.fabrikam.test.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

For further assistance, please send mail to postmaster.

                   The mail system

<{RCPT}>: {text}

--pf_b
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; relay.fabrikam.test
X-Postfix-Queue-ID: 4411AB
Arrival-Date: Fri, 6 Nov 2026 10:01:40 +0000

Final-Recipient: rfc822; {RCPT}
Original-Recipient: rfc822;{RCPT}
Action: failed
Status: {status}
Diagnostic-Code: X-Postfix; {text}

--pf_b
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

From: carol@fabrikam.test
To: {RCPT}
Subject: Purchase order 4411
Message-ID: <po-4411-pf-{failure}-{suspended}@fabrikam.test>

--pf_b--
""".encode()


# ---- Exim -----------------------------------------------------------------------------------
_EXIM = {
    "refused": (f"host {DEST} [{IP}]: Connection refused", DEST),
    "timeout": (f"host {DEST} [{IP}]: Connection timed out", DEST),
    "dns": ("host lookup did not complete", None),
    "tls": (f"host {DEST} [{IP}]: a TLS session is required, but the server did not offer TLS support", DEST),
    "certificate": (f"host {DEST} [{IP}]: TLS session: (SSL_connect): error:0A000086:SSL "
                    "routines::certificate verify failed", DEST),
    "dropped": (f"host {DEST} [{IP}]: Remote host closed connection in response to initial connection", DEST),
}


def exim(failure: str) -> bytes:
    text, _ = _EXIM[failure]
    return f"""\
Received: from mail by relay.fabrikam.test with local (Exim 4.97)
From: Mail Delivery System <Mailer-Daemon@relay.fabrikam.test>
To: carol@fabrikam.test
Subject: Mail delivery failed: returning message to sender
X-Failed-Recipients: {RCPT}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="ex_b"

--ex_b
Content-Type: text/plain; charset=us-ascii

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  {RCPT}
    {text}
    retry timeout exceeded

--ex_b
Content-Type: message/delivery-status

Reporting-MTA: dns; relay.fabrikam.test

Action: failed
Final-Recipient: rfc822;{RCPT}
Status: 5.0.0

--ex_b
Content-Type: message/rfc822

From: carol@fabrikam.test
To: {RCPT}
Subject: Purchase order 4411
Message-ID: <po-4411-ex-{failure}@fabrikam.test>

Hello.

--ex_b--
""".encode()


# ---- Sendmail -------------------------------------------------------------------------------
_SENDMAIL = {
    "refused": (f"Deferred: Connection refused by {DEST}.", DEST),
    "timeout": (f"Deferred: Connection timed out with {DEST}.", DEST),
    "dns": ("Deferred: Name server: contoso.test.: host name lookup failure", None),
    "tls": ("Deferred: 454 4.7.0 TLS not available due to local problem", DEST),
    "certificate": ("Deferred: 403 4.7.0 TLS handshake failed.", None),
    "dropped": (f"Deferred: Connection reset by {DEST}.", DEST),
}


def _talk(failure: str) -> str:
    """The SMTP dialogue Sendmail records when the server answered (STARTTLS refused)."""
    if failure != "tls":
        return ""
    return f"... while talking to {DEST}.:\n>>> STARTTLS\n<<< 454 4.7.0 TLS not available due to local problem\n"


def sendmail(failure: str) -> bytes:
    text, _ = _SENDMAIL[failure]
    return f"""\
Received: from localhost (localhost) by relay.fabrikam.test (8.18.1/8.18.1) id 4ABAXQ; Wed, 11 Nov 2026 10:02:11 GMT
From: Mail Delivery Subsystem <MAILER-DAEMON@relay.fabrikam.test>
To: <carol@fabrikam.test>
Subject: Returned mail: see transcript for details
Auto-Submitted: auto-generated (failure)
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="sm_b"

--sm_b

The original message was received at Fri, 6 Nov 2026 10:01:40 GMT
from fabrikam.test [198.51.100.4]

   ----- The following addresses had permanent fatal errors -----
<{RCPT}>
    (reason: {text.removeprefix("Deferred: ")})

   ----- Transcript of session follows -----
{_talk(failure)}<{RCPT}>... {text}
Message could not be delivered for 5 days
Message will be deleted from queue

--sm_b
Content-Type: message/delivery-status

Reporting-MTA: dns; relay.fabrikam.test
Arrival-Date: Fri, 6 Nov 2026 10:01:40 GMT

Final-Recipient: RFC822; {RCPT}
Action: failed
Status: 4.4.7
Last-Attempt-Date: Wed, 11 Nov 2026 10:02:11 GMT

--sm_b
Content-Type: text/rfc822-headers

From: carol@fabrikam.test
To: {RCPT}
Subject: Purchase order 4411
Message-ID: <po-4411-sm-{failure}@fabrikam.test>

--sm_b--
""".encode()


def samples() -> list[Sample]:
    """Every sample: each MTA (and Exchange layout) × each failure."""
    out: list[Sample] = []
    for failure in FAILURES:
        led = _LED[failure][0]
        out.append(Sample(f"exchange-dsn-{failure}", "exchange", failure, exchange_with_dsn(failure),
                          DEST, led, True))
        out.append(Sample(f"exchange-text-{failure}", "exchange", failure, exchange_modern_text(failure),
                          DEST, led, True))
        out.append(Sample(f"exchange-classic-{failure}", "exchange", failure,
                          exchange_classic_text(failure), DEST, led, True))
        out.append(Sample(f"exchange-details-{failure}", "exchange", failure,
                          exchange_modern_details(failure), DEST, led, True))
        text, status, dest = _POSTFIX[failure]
        out.append(Sample(f"postfix-{failure}", "postfix", failure, postfix(failure), dest, status, False))
        out.append(Sample(f"postfix-suspended-{failure}", "postfix", failure,
                          postfix(failure, suspended=True), dest, status, False))
        out.append(Sample(f"exim-{failure}", "exim", failure, exim(failure), _EXIM[failure][1], None, False))
        out.append(Sample(f"sendmail-{failure}", "sendmail", failure, sendmail(failure),
                          _SENDMAIL[failure][1], None, False))
    plain = exchange_classic_text("dns").replace(
        f"Diagnostic information for administrators:\n\nGenerating server: {_EXO_HOST}\n\n".encode(), b"")
    out.append(Sample("exchange-classic-unlabelled-dns", "exchange", "dns", plain, DEST, "4.4.312", True))
    for labels in ("pt", "es", "de", "fr", "it"):
        out.append(Sample(f"exchange-{labels}-refused", "exchange", "refused",
                          exchange_modern_text("refused", labels=labels), DEST, "4.4.316", True))
    return out
