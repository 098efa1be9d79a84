"""Each MTA of the lab: its configuration (written inside the lab's private /etc), how it starts,
what it needs every few seconds, and how its delay notices differ from its final ones.

Every MTA listens on its own loopback address, routes each scenario's domain to the scenario's
host (Postfix transport_maps, Exim manualroute, OpenSMTPD relay host, Sendmail mailertable), and
sends its notices for the lab's senders to the lab's mailbox. Timers are seconds: delay warning
after ~15 s, give up after ~60 s. To add an MTA, add a class here and list it in MTAS.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from scenarios import MAILBOX_DOMAIN, MAILBOX_HOST, SCENARIOS, Scenario

TLS_REQUIRED = ("nostarttls", "badcert")
CERT_DIR = Path("/etc/ndr-lab")


def sh(cmd: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Runs a set-up command; its output goes to the lab log when it fails."""
    done = subprocess.run(cmd, shell=True, text=True, capture_output=True)
    if check and done.returncode:
        raise RuntimeError(f"{cmd}: exit {done.returncode}\n{done.stdout}{done.stderr}")
    return done


def write(path: str, text: str, mode: int = 0o644) -> None:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    p.chmod(mode)


@dataclass
class Mta:
    """What the lab needs from every MTA."""

    name: str
    ip: str
    # Subjects of the MTA's delay notices (anything else from it is a final notice).
    delay_subject: str

    def configure(self) -> None:
        raise NotImplementedError

    def start(self) -> list[str]:
        """Shell commands that start the MTA (daemons detach or run under the lab's watch)."""
        raise NotImplementedError

    def tick(self) -> str | None:
        """A command run every few seconds while the lab waits (None: nothing)."""
        return None

    def stop(self) -> str | None:
        return None

    def kind_of(self, subject: str, raw: bytes) -> str:
        """'delay' or 'final', from the MTA's own subject lines (and, for OpenSMTPD, the expiry
        wording of a notice that uses its delay template)."""
        if re.search(self.delay_subject, subject, re.I) and b"Envelope expired" not in raw:
            return "delay"
        return "final"

    @property
    def sender(self) -> str:
        return f"bounce-{self.name}@{MAILBOX_DOMAIN}"

    def scenarios(self, long_run: bool) -> list[Scenario]:
        return [s for s in SCENARIOS if long_run or self.name not in s.long_for]


class Postfix(Mta):
    def configure(self) -> None:
        d = "/etc/postfix"
        sh(f"cp /usr/share/postfix/master.cf.dist {d}/master.cf")
        transport = "".join(f"{s.domain} smtp:[{s.host}]\n" for s in SCENARIOS)
        transport += f"{MAILBOX_DOMAIN} smtp:[{MAILBOX_HOST}]\n"
        write(f"{d}/transport", transport)
        policy = "[mx.s06.lab.test] encrypt\n[mx.s07.lab.test] verify\n"
        write(f"{d}/tls_policy", policy)
        write(f"{d}/main.cf", f"""\
compatibility_level = 3.6
myhostname = postfix.lab.test
mydomain = lab.test
myorigin = $myhostname
mydestination = $myhostname, localhost
inet_interfaces = {self.ip}
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination
transport_maps = texthash:{d}/transport
smtp_tls_security_level = may
smtp_tls_policy_maps = texthash:{d}/tls_policy
smtp_tls_CAfile = /etc/ssl/certs/ca-certificates.crt
smtpd_tls_security_level = may
smtpd_tls_cert_file = {CERT_DIR}/postfix.crt
smtpd_tls_key_file = {CERT_DIR}/postfix.key
smtpd_tls_auth_only = yes
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
cyrus_sasl_config_path = {d}/sasl
smtpd_sasl_local_domain = lab.test
maximal_queue_lifetime = 60s
bounce_queue_lifetime = 60s
delay_warning_time = 15s
queue_run_delay = 5s
minimal_backoff_time = 5s
maximal_backoff_time = 10s
smtp_connect_timeout = 5s
smtp_helo_timeout = 8s
smtp_mail_timeout = 8s
smtp_rcpt_timeout = 8s
smtp_data_init_timeout = 8s
smtp_data_xfer_timeout = 8s
smtp_data_done_timeout = 8s
smtp_starttls_timeout = 8s
maillog_file = /var/log/postfix.log
maillog_file_prefixes = /var
""")
        sh(f"postconf -c {d} -F '*/*/chroot = n'")
        write(f"{d}/sasl/smtpd.conf",
              "pwcheck_method: auxprop\nauxprop_plugin: sasldb\nmech_list: PLAIN LOGIN\n"
              "sasldb_path: /etc/sasldb2\n")
        sh("echo labpass | saslpasswd2 -p -c -u lab.test -f /etc/sasldb2 labuser")
        sh("chown root:postfix /etc/sasldb2 && chmod 640 /etc/sasldb2")
        sh("postfix set-permissions >/dev/null 2>&1 || true", check=False)

    def start(self) -> list[str]:
        return ["postfix start"]

    def stop(self) -> str:
        return "postfix stop"


class Exim(Mta):
    def configure(self) -> None:
        routes = " ; ".join(f"{s.domain} {s.host}" for s in SCENARIOS)
        routes += f" ; {MAILBOX_DOMAIN} {MAILBOX_HOST}"
        tls_hosts = " : ".join(s.ip for s in SCENARIOS if s.name in TLS_REQUIRED)
        verify = " : ".join(s.ip for s in SCENARIOS if s.name == "badcert")
        write("/etc/exim4/exim4.conf", f"""\
primary_hostname = exim.lab.test
qualify_domain = exim.lab.test
local_interfaces = {self.ip}
daemon_smtp_ports = 25
disable_ipv6 = true
domainlist local_domains = exim.lab.test
hostlist relay_from_hosts = 127.0.0.0/8
acl_smtp_rcpt = acl_check_rcpt
host_lookup =
rfc1413_hosts =
tls_advertise_hosts =
delay_warning = 15s:1h
log_file_path = /var/log/exim4/%slog
log_selector = +all
exim_user = Debian-exim
exim_group = Debian-exim
never_users = root

begin acl
acl_check_rcpt:
  accept hosts = +relay_from_hosts
  deny

begin routers
lab_route:
  driver = manualroute
  domains = ! +local_domains
  transport = remote_smtp
  route_list = {routes}

begin transports
remote_smtp:
  driver = smtp
  hosts_require_tls = {tls_hosts}
  tls_verify_hosts = {verify}
  tls_verify_certificates = system
  connect_timeout = 5s
  command_timeout = 8s
  data_timeout = 8s

begin retry
* * F,1m,10s

begin rewrite
""")
        sh("getent passwd Debian-exim >/dev/null || (groupadd -r Debian-exim; "
           "useradd -r -g Debian-exim -d /var/spool/exim4 -s /usr/sbin/nologin Debian-exim)")
        sh("mkdir -p /var/spool/exim4 /var/log/exim4 && "
           "chown -R Debian-exim:Debian-exim /var/spool/exim4 /var/log/exim4 && "
           "chmod 750 /var/spool/exim4")

    def start(self) -> list[str]:
        return ["/usr/sbin/exim4 -bd -q5s"]

    def tick(self) -> str:
        # A forced queue run: the daemon's -q5s runners respect retry times only.
        return "/usr/sbin/exim4 -q"


class OpenSmtpd(Mta):
    def configure(self) -> None:
        lines = [f"listen on {self.ip}",
                 "queue ttl 60s",
                 "bounce warn-interval 15s"]
        for s in SCENARIOS:
            scheme = "smtp+tls" if s.name in TLS_REQUIRED else "smtp"
            lines.append(f'action "{s.name}" relay host {scheme}://{s.host}')
            lines.append(f'match from any for domain "{s.domain}" action "{s.name}"')
        lines.append(f'action "mbox" relay host smtp://{MAILBOX_HOST}')
        lines.append(f'match from any for domain "{MAILBOX_DOMAIN}" action "mbox"')
        lines.append('match from local for any action "mbox"')
        write("/etc/smtpd.conf", "\n".join(lines) + "\n")
        for user in ("opensmtpd", "opensmtpq"):
            sh(f"getent passwd {user} >/dev/null || (groupadd -r {user}; "
               f"useradd -r -g {user} -d /nonexistent -s /usr/sbin/nologin {user})")
        sh("mkdir -p /var/spool/smtpd && chmod 711 /var/spool/smtpd")
        sh("chgrp opensmtpq /usr/sbin/smtpctl && chmod g+s /usr/sbin/smtpctl")

    def start(self) -> list[str]:
        return ["/usr/sbin/smtpd -d -f /etc/smtpd.conf"]

    def tick(self) -> str:
        # Its retry backoff is minutes: make it retry now.
        return "/usr/sbin/smtpctl schedule all"


class Sendmail(Mta):
    def configure(self) -> None:
        d = "/etc/mail"
        table = "".join(f"{s.domain} esmtp:[{s.host}]\n" for s in SCENARIOS)
        table += f"{MAILBOX_DOMAIN} esmtp:[{MAILBOX_HOST}]\n"
        write(f"{d}/mailertable", table)
        access = "Connect:127 RELAY\nTo:lab.test RELAY\n"
        access += "TLS_Srv:mx.s06.lab.test ENCR:112\nTLS_Srv:mx.s07.lab.test VERIFY\n"
        write(f"{d}/access", access)
        write(f"{d}/aliases", "postmaster: root\n")
        cf = "/usr/share/sendmail/cf"
        write(f"{d}/lab.mc", f"""\
include(`{cf}/m4/cf.m4')dnl
VERSIONID(`ndr lab')dnl
OSTYPE(`linux')dnl
define(`confDOMAIN_NAME', `sendmail.lab.test')dnl
define(`ALIAS_FILE', `{d}/aliases')dnl
define(`QUEUE_DIR', `/var/spool/mqueue')dnl
define(`confTO_QUEUEWARN', `15s')dnl
define(`confTO_QUEUERETURN', `60s')dnl
define(`confMIN_QUEUE_AGE', `0s')dnl
define(`confTO_CONNECT', `5s')dnl
define(`confTO_ICONNECT', `5s')dnl
define(`confTO_INITIAL', `8s')dnl
define(`confTO_HELO', `8s')dnl
define(`confTO_MAIL', `8s')dnl
define(`confTO_RCPT', `8s')dnl
define(`confTO_DATAINIT', `8s')dnl
define(`confTO_DATABLOCK', `8s')dnl
define(`confTO_DATAFINAL', `8s')dnl
define(`confTO_STARTTLS', `8s')dnl
define(`confDONT_PROBE_INTERFACES', `True')dnl
define(`confCACERT_PATH', `/etc/ssl/certs')dnl
define(`confCACERT', `/etc/ssl/certs/ca-certificates.crt')dnl
define(`confDELIVERY_MODE', `background')dnl
FEATURE(`nocanonify')dnl
FEATURE(`accept_unresolvable_domains')dnl
FEATURE(`mailertable', `hash {d}/mailertable')dnl
FEATURE(`access_db', `hash {d}/access')dnl
DAEMON_OPTIONS(`Family=inet, Addr={self.ip}, Port=25, Name=MTA')dnl
CLIENT_OPTIONS(`Family=inet')dnl
MAILER(`local')dnl
MAILER(`smtp')dnl
""")
        sh(f"m4 {d}/lab.mc > {d}/sendmail.cf")
        mk = "/usr/libexec/sendmail/makemap"
        sh(f"{mk} hash {d}/mailertable < {d}/mailertable && {mk} hash {d}/access < {d}/access")
        sh(f"{mk} -N hash {d}/aliases < /dev/null || true", check=False)
        sh("getent group smmsp >/dev/null || groupadd -r smmsp; "
           "getent passwd smmta >/dev/null || (groupadd -r smmta; "
           "useradd -r -g smmta -d /var/lib/sendmail -s /usr/sbin/nologin smmta)")
        sh("mkdir -p /var/spool/mqueue /var/spool/mqueue-client /var/lib/sendmail && "
           "chmod 700 /var/spool/mqueue && touch /var/lib/sendmail/sendmail.st")

    def start(self) -> list[str]:
        return ["/usr/libexec/sendmail/sendmail -bd -q5s -C /etc/mail/sendmail.cf "
                "-X /var/log/sendmail.trace; echo sendmail exit $?"]

    def tick(self) -> str:
        return "/usr/libexec/sendmail/sendmail -q -C /etc/mail/sendmail.cf"


MTAS: tuple[Mta, ...] = (
    Postfix("postfix", "127.0.0.1", r"^Delayed Mail"),
    Exim("exim", "127.0.0.2", r"^Warning: message .* delayed"),
    OpenSmtpd("opensmtpd", "127.0.0.3", r"Delivery status notification: Delay|Temporary"),
    Sendmail("sendmail", "127.0.0.4", r"^Warning: could not send message"),
)
