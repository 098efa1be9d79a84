"""Look-alikes stay out (issue 11, item 5): notices that resemble bounces but report no failed
recipient give kind none, feedback or vacation, never a failure or delay record. Samples
written by hand for this test."""
from __future__ import annotations

import pytest

import ndr

SAMPLES = {
    # a whitelisting service's guest-list request
    'challenge4': (('none',), 'From: bob@example.net\nTo: sender@example.org\nSubject: Undelivered: please add yourself to my guest list\n\nHi, I use a whitelist. Your message to bob@example.net was not delivered yet.\nPlease add yourself to my guest list: https://guest.example.com/?a=bob@example.net\n'),
    # a challenge-response request from a mail-system sender
    'challenge3': (('none',), "From: Mail Delivery System <mailer-daemon@protect.example.net>\nTo: sender@example.org\nSubject: Your message to bob@example.net is awaiting your confirmation\n\nHello,\n\nThe recipient bob@example.net uses a challenge-response anti-spam service. Your message has\nnot been delivered yet. To have it delivered, please confirm that you are a person by\nclicking the link below; you will then be added to the recipient's list of approved senders.\n\nhttps://protect.example.net/confirm?id=abc\n"),
    # a challenge-response request marked auto-replied
    'challenge': (('none', 'vacation'), 'From: Bob <bob@example.net>\nTo: sender@example.org\nSubject: Re: quarterly figures [Please verify your message]\nAuto-Submitted: auto-replied\n\nHello,\n\nI am protecting myself from spam. Your message to bob@example.net has been held.\nTo have your message delivered, please add yourself to my guest list by clicking the\nlink below. You only need to do this once.\n\nhttps://verify.example.com/guest?id=12345\n\nThe message will be deleted if it is not verified within 7 days.\n'),
    # a DMARC aggregate report
    'dmarc_agg': (('none',), 'From: noreply-dmarc-support@google.com\nTo: dmarc@example.org\nSubject: Report domain: example.org Submitter: google.com Report-ID: 1234567890\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="X"\n\n--X\nContent-Type: text/plain\n\nThis is an aggregate report from google.com.\n\n--X\nContent-Type: application/gzip; name="google.com!example.org!1!2.xml.gz"\nContent-Transfer-Encoding: base64\n\nH4sIAOoVFGsC/7Oxr8jNUShLLSrOzM+zVTLUM1Cyt7NJS01NSUpMzraz0YczAYuTzmgqAAAA\n\n--X--\n'),
    # a DMARC failure report (ARF auth-failure)
    'dmarc_fail': (('feedback',), 'From: dmarc-failures@receiver.example.net\nTo: dmarc-ruf@example.org\nSubject: FW: Authentication Failure Report\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=feedback-report; boundary="F"\n\n--F\nContent-Type: text/plain\n\nThis is an authentication failure report for an email message received from IP 192.0.2.5.\n\n--F\nContent-Type: message/feedback-report\n\nFeedback-Type: auth-failure\nUser-Agent: Example/1.0\nVersion: 1\nOriginal-Mail-From: <sender@example.org>\nOriginal-Rcpt-To: <bob@example.net>\nAuth-Failure: dmarc\nSource-IP: 192.0.2.5\nReported-Domain: example.org\n\n--F\nContent-Type: text/rfc822-headers\n\nFrom: sender@example.org\nTo: bob@example.net\nSubject: hello\n\n--F--\n'),
    # a TLS-RPT report
    'tlsrpt': (('none',), 'From: noreply-smtp-tls-reporting@google.com\nTo: tls-reports@example.org\nSubject: Report Domain: example.org Submitter: google.com Report-ID: <2024.05.06T00.00.00Z+example.org@google.com>\nTLS-Report-Domain: example.org\nTLS-Report-Submitter: google.com\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=tlsrpt; boundary="T"\n\n--T\nContent-Type: text/plain\n\nThis is an aggregate TLS report from google.com\n\n--T\nContent-Type: application/tlsrpt+gzip; name="google.com!example.org!1!2.json.gz"\nContent-Transfer-Encoding: base64\n\nH4sIAOoVFGsC/7Oxr8jNUShLLSrOzM+zVTLUM1Cyt7NJS01NSUpMzraz0YczAYuTzmgqAAAA\n\n--T--\n'),
    # a read receipt (MDN)
    'mdn': (('none',), 'From: Bob <bob@example.net>\nTo: sender@example.org\nSubject: Read: quarterly figures\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=disposition-notification; boundary="M"\n\n--M\nContent-Type: text/plain\n\nYour message\n\n  To: bob@example.net\n  Subject: quarterly figures\n\nwas read on Monday, May 6, 2024 10:00:00 AM.\n\n--M\nContent-Type: message/disposition-notification\n\nReporting-UA: bob-pc; Microsoft Outlook 16.0\nFinal-Recipient: rfc822;bob@example.net\nOriginal-Message-ID: <abc@example.org>\nDisposition: manual-action/MDN-sent-manually; displayed\n\n--M--\n'),
    # an Outlook recall request
    'recall': (('none',), 'From: Alice <alice@example.org>\nTo: bob@example.net\nSubject: Recall: quarterly figures\nContent-Type: text/plain\n\nAlice would like to recall the message, "quarterly figures".\n'),
    # an Outlook recall result
    'recall_result': (('none',), 'From: Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@example.org>\nTo: alice@example.org\nSubject: Message Recall Failure: quarterly figures\nContent-Type: text/plain\n\nYour message\n  To: bob@example.net\n  Subject: quarterly figures\n  Sent: 5/6/2024 9:00 AM\n\ncould not be recalled on 5/6/2024 9:05 AM.\n'),
    # a meeting response
    'meeting': (('none',), 'From: Bob <bob@example.net>\nTo: alice@example.org\nSubject: Declined: Project review\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary="C"\n\n--C\nContent-Type: text/plain\n\nI will not be able to attend; the meeting was not delivered to my team either.\n\n--C\nContent-Type: text/calendar; method=REPLY\n\nBEGIN:VCALENDAR\nMETHOD:REPLY\nEND:VCALENDAR\n--C--\n'),
    # a quarantine notice from a postmaster ('this is a warning only')
    'quarantine2': (('none',), 'From: Postmaster <postmaster@gateway.example.net>\nTo: sender@example.org\nSubject: Warning: message held for review\n\nThis is a warning only. You do not need to resend your message.\n\nYour message to:\n<bob@example.net>\nwas quarantined by the content filter and is held for review by an administrator.\nIt will be delivered if the administrator releases it.\n'),
    # a 'still trying' notice that names no recipient
    'stilltrying': (('none',), 'From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\nTo: sender@example.org\nSubject: Delayed Mail (still being retried)\n\nThis is the mail system at host mx.example.org.\n\n####################################################################\n# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\n####################################################################\n\nYour message could not be delivered for more than 4 hour(s).\nIt will be retried until it is 5 day(s) old.\n'),
    # a delay notice whose recipient list is empty
    'stilltrying2': (('none',), 'From: postmaster@mx.example.org\nTo: sender@example.org\nSubject: Delivery delayed: quarterly figures\n\nDelivery is delayed to these recipients or groups: (none listed)\nThe server will keep trying to deliver this message. This is a warning only; no action needed.\nYour message was sent by sender@example.org.\n'),
    # an out-of-office reply
    'ooo': (('vacation',), 'From: Bob <bob@example.net>\nTo: sender@example.org\nSubject: Automatic reply: quarterly figures\nAuto-Submitted: auto-replied\nX-Auto-Response-Suppress: All\n\nI am out of the office until May 20 with limited access to email.\n'),
    # an out-of-office reply without Auto-Submitted
    'ooo2': (('vacation', 'none'), 'From: Bob <bob@example.net>\nTo: sender@example.org\nSubject: Out of Office: quarterly figures\n\nI am on vacation and will answer your mail upon my return. Your message was not delivered to my\ncolleague either; write to carol@example.net.\n'),
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_never_a_failed_recipient(name):
    kinds, text = SAMPLES[name]
    report = ndr.parse(text.encode())
    assert report.kind.value in kinds
    assert not [r for r in report.recipients if r.action in ("failed", "delayed")]


def test_a_quarantine_notice_that_quotes_a_refusal_is_a_bounce():
    # the same shape with an SMTP refusal in it is a real failure
    text = SAMPLES["quarantine2"][1].replace(
        "was quarantined by the content filter", "550 5.7.1 message rejected: was quarantined by the content filter")
    report = ndr.parse(text.encode())
    assert [(r.recipient, r.action) for r in report.recipients] == [("bob@example.net", "failed")]
