"""The lab's scenarios: what the scripted peer does, and the truth each MTA's notice must carry.

One scenario = one destination domain ``sNN.lab.test`` whose host ``mx.sNN.lab.test`` resolves to
``127.0.1.NN``; the peer listens there on port 25 and misbehaves in one way. The truth is known by
construction: the code the peer sent, or (for a network or local failure) what the MTA must
report. To add a scenario, add an entry here and, if the peer needs a new behaviour, a branch in
``peer.py`` (see docs/lab.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Scenario:
    """One way a destination fails, and the truth of the notices it causes."""

    name: str
    number: int
    # The peer's behaviour (peer.py): which step misbehaves and what it answers.
    behaviour: str
    # Permanent failures give one final notice; temporary ones a delay notice then a final one.
    temporary: bool
    # The code the peer sends (None: the MTA itself reports a network/local failure).
    code: str | None
    reason: str
    hard: bool = False
    # True when the host's DNS lookup fails (the DNS stub answers SERVFAIL): no MTA reaches it.
    no_host: bool = False
    # Only in the long opt-in run (LAB_LONG=1) for these MTAs (fixed timeouts too long for CI).
    long_for: tuple[str, ...] = field(default=())

    @property
    def domain(self) -> str:
        return f"s{self.number:02d}.lab.test"

    @property
    def host(self) -> str:
        return f"mx.s{self.number:02d}.lab.test"

    @property
    def ip(self) -> str:
        return f"127.0.1.{self.number}"

    @property
    def recipient(self) -> str:
        # A neutral local part: the scenario's name must not leak into what ndr reads.
        return f"rcpt{self.number}@{self.domain}"


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("userunknown", 1, "rcpt:550 5.1.1", False, "5.1.1", "userunknown", hard=True),
    Scenario("mailboxfull", 2, "rcpt:452 4.2.2 then 552 5.2.2", True, "4.2.2", "mailboxfull"),
    Scenario("spam", 3, "data:554 5.7.1", False, "5.7.1", "spamdetected"),
    Scenario("toobig", 4, "data:552 5.3.4", False, "5.3.4", "emailtoolarge"),
    # Greylisting is a deliberate first-attempt deferral, not a spam verdict: its code decides
    # (tests/test_reference_phrases.py; go-sisimai would say spamdetected). 4.7.1: securityerror.
    Scenario("greylisted", 5, "rcpt:450 4.7.1", True, "4.7.1", "securityerror"),
    Scenario("nostarttls", 6, "no STARTTLS offered; MTA requires TLS", True, None,
             "failedstarttls"),
    # The catalog files certificate verification failures under securityerror (exo-4.7.320).
    Scenario("badcert", 7, "STARTTLS with an untrusted certificate; MTA verifies", True, None,
             "securityerror"),
    Scenario("refused", 8, "nothing listens (connection refused)", True, None, "networkerror"),
    Scenario("nogreeting", 9, "accepts, never greets", True, None, "networkerror",
             long_for=("opensmtpd",)),
    Scenario("dropafterrcpt", 10, "closes the connection on RCPT", True, None, "networkerror"),
    Scenario("dropindata", 11, "closes the connection in the middle of DATA", True, None,
             "networkerror"),
    # X.3.2 "system not accepting network messages": the host does not accept mail (for now).
    Scenario("greeting421", 12, "greeting:421 4.3.2", True, "4.3.2", "notaccept"),
    Scenario("dnsfail", 13, "DNS lookup of the host gives SERVFAIL", True, None, "networkerror",
             no_host=True),
)

# The local mailbox: every MTA's notices for the lab's senders go to this host.
MAILBOX_HOST = "mx.mbox.lab.test"
MAILBOX_DOMAIN = "mbox.lab.test"
MAILBOX_IP = "127.0.1.100"


def by_name(name: str) -> Scenario:
    """The scenario called *name*."""
    for scenario in SCENARIOS:
        if scenario.name == name:
            return scenario
    raise KeyError(name)
