"""The lab inside its namespace: lays a private /etc, /usr and /var over the real ones, starts the
DNS stub, the scripted peer, the mailbox and the MTAs, submits one message per scenario to each
MTA, captures Postfix's queue while messages are deferred, waits for the notices, stops everything
and writes the notices and their truth to the output folder.

Run by ``lab/run`` as ``unshare --net --mount --pid --uts --fork --mount-proc --kill-child``; never
run it outside such a namespace (it mounts over /etc).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import os
import shutil
import smtplib
import ssl
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

import peer
from mtas import CERT_DIR, MTAS, Mta, sh
from scenarios import MAILBOX_HOST, MAILBOX_IP, SCENARIOS

PKG = Path(os.environ.get("LAB_ROOT", "/var/lib/ndr-lab")) / "pkg"
OUT = Path(os.environ["LAB_OUT"])
GENERATED = b"ndr-generate.lab.test"
LONG = os.environ.get("LAB_LONG") == "1"
WAIT = float(os.environ.get("LAB_WAIT", "600" if LONG else "240"))
ONLY = [m for m in os.environ.get("LAB_MTAS", "").split(",") if m]


def say(line: str) -> None:
    print(f"lab: {line}", flush=True)


def private_tree() -> None:
    """tmpfs-backed overlays on /etc, /usr and /var: the unpacked packages appear in their
    places, and nothing the lab writes there reaches the real system."""
    base = Path("/tmp/ndr-lab-ns")
    base.mkdir(exist_ok=True)
    sh(f"mount -t tmpfs ndrlab {base}")
    for top in ("etc", "usr", "var"):
        up, work = base / f"{top}-up", base / f"{top}-work"
        up.mkdir()
        work.mkdir()
        lower = f"{PKG}/{top}:/{top}"
        if top == "var":
            # The packages live under /var: overlay refuses a lower layer inside the mount
            # point, so their few /var files are copied into the upper layer instead.
            lower = "/var"
            sh(f"cp -a {PKG}/var/. {up}/")
        sh(f"mount -t overlay ndrlab-{top} -o lowerdir={lower},upperdir={up},workdir={work} /{top}")
    sh("ip link set lo up")
    for mta in MTAS:
        if mta.ip != "127.0.0.1":
            sh(f"ip addr add {mta.ip}/8 dev lo")
    sh("hostname opensmtpd.lab.test")
    hosts = "127.0.0.1 localhost\n" + "".join(f"{m.ip} {m.name}.lab.test\n" for m in MTAS)
    hosts += "".join(f"{s.ip} {s.host}\n" for s in SCENARIOS if not s.no_host)
    hosts += f"{MAILBOX_IP} {MAILBOX_HOST}\n"
    Path("/etc/hosts").write_text(hosts)
    Path("/etc/resolv.conf").write_text("nameserver 127.0.0.1\noptions attempts:1 timeout:2\n")
    Path("/etc/mailname").write_text("opensmtpd.lab.test\n")


def certificates() -> ssl.SSLContext:
    """A self-signed certificate for the peer (fails verification) and one for Postfix's smtpd
    (the lab trusts it explicitly)."""
    CERT_DIR.mkdir(parents=True, exist_ok=True)
    for name, cn in (("peer", "mx.s07.lab.test"), ("postfix", "postfix.lab.test")):
        sh(f"openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN={cn} "
           f"-addext subjectAltName=DNS:{cn} -keyout {CERT_DIR}/{name}.key "
           f"-out {CERT_DIR}/{name}.crt 2>/dev/null")
    shutil.copy(CERT_DIR / "postfix.crt", OUT / "postfix-smtpd.crt")
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(CERT_DIR / "peer.crt", CERT_DIR / "peer.key")
    return ctx


def submit(mta: Mta) -> dict[str, str]:
    """One message per scenario, by SMTP with CRLF (Sendmail rejects bare LF)."""
    ids = {}
    with smtplib.SMTP(mta.ip, 25, local_hostname="client.lab.test", timeout=30) as client:
        for s in mta.scenarios(LONG):
            msg = EmailMessage()
            msg["From"] = mta.sender
            msg["To"] = s.recipient
            msg["Subject"] = f"lab message {s.number} via {mta.name}"
            msg["Message-ID"] = f"<lab.{mta.name}.{s.name}@client.lab.test>"
            msg["Date"] = email.utils.formatdate(localtime=False)
            msg.set_content(f"A test message of the ndr mail lab ({mta.name}, scenario "
                            f"{s.number}).\n" + "padding line for the lab\n" * 20)
            client.send_message(msg, mta.sender, [s.recipient])
            ids[s.name] = msg["Message-ID"]
    return ids


def capture_postfix_queue() -> None:
    """While messages are deferred: postqueue -j, and postcat -q ID for each queued message."""
    folder = OUT / "postfix-queue"
    folder.mkdir(exist_ok=True)
    listing = subprocess.run(["postqueue", "-j"], capture_output=True, text=True).stdout
    (folder / "postqueue.jsonl").write_text(listing)
    for line in listing.splitlines():
        qid = json.loads(line)["queue_id"]
        cat = subprocess.run(["postcat", "-hbq", qid], capture_output=True)
        (folder / f"{qid}.postcat").write_bytes(cat.stdout)
    say(f"captured Postfix queue: {len(listing.splitlines())} messages")


def deliver_generated() -> None:
    """Generated reports for the captured queue, sent through Postfix's smtpd with STARTTLS and
    AUTH (null sender, into the lab's mailbox)."""
    ndr = os.environ.get("LAB_NDR")
    folder = OUT / "postfix-queue"
    if not ndr or not (folder / "postqueue.jsonl").exists():
        return
    env = dict(os.environ, SSL_CERT_FILE=str(OUT / "postfix-smtpd.crt"),
               NDR_SMTP_PASSWORD="labpass")
    cmd = [ndr, "generate", "--smtp", "postfix.lab.test:25", "--starttls",
           "--smtp-user", "labuser@lab.test", "--lifetime", "1s",
           # the originals straight from Postfix's queue, as a user would run it
           "--original-command", "postcat -hq {queue_id}",
           "--reporting-mta", "ndr-generate.lab.test", "--retries", "1",
           "--keep", str(OUT / "ndr-unsent"), str(folder / "postqueue.jsonl")]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    (OUT / "generate-smtp.log").write_text(
        f"$ {' '.join(cmd)}\nexit {done.returncode}\n{done.stdout}{done.stderr}")
    say(f"ndr generate --smtp through Postfix: exit {done.returncode}")


def expected(mtas: list[Mta]) -> set[tuple[str, str, str]]:
    """(mta, scenario, kind) of every notice the lab waits for."""
    want = set()
    for mta in mtas:
        for s in mta.scenarios(LONG):
            want.add((mta.name, s.name, "final"))
            if s.temporary:
                want.add((mta.name, s.name, "delay"))
    return want


def notices(mtas: list[Mta]) -> dict[tuple[str, str, str], list[Path]]:
    """The notices in the mailbox so far, by (mta, scenario, kind), in arrival order. Reports
    that ndr generated and sent through Postfix are not notices of an MTA: they are left out."""
    import truth

    found: dict[tuple[str, str, str], list[Path]] = {}
    for mta in mtas:
        for path in sorted((OUT / "mailbox" / f"bounce-{mta.name}").glob("*.eml")):
            raw = path.read_bytes()
            scenario = truth.scenario_of(raw)
            if scenario is None or GENERATED in raw:
                continue
            msg = email.message_from_bytes(raw, policy=email.policy.compat32)
            kind = mta.kind_of(str(msg.get("Subject", "")), raw)
            found.setdefault((mta.name, scenario.name, kind), []).append(path)
    return found


async def run() -> int:
    private_tree()
    tls = certificates()
    mbox = OUT / "mailbox"
    servers = await peer.start(mbox, tls, {f"{m.name}.lab.test": m.ip for m in MTAS})
    mtas = [m for m in MTAS if not ONLY or m.name in ONLY]
    procs = []
    for mta in mtas:
        mta.configure()
        for cmd in mta.start():
            procs.append(await asyncio.create_subprocess_shell(
                f"{cmd} < /dev/null > {OUT}/{mta.name}.stderr 2>&1"))
    await asyncio.sleep(3)
    started = time.time()
    for mta in mtas:
        try:
            await asyncio.to_thread(submit, mta)
            say(f"submitted {len(mta.scenarios(LONG))} messages to {mta.name}")
        except (OSError, smtplib.SMTPException) as exc:
            say(f"{mta.name}: submission failed: {exc}")
    want, captured = expected(mtas), False
    while time.time() - started < WAIT:
        await asyncio.sleep(5)
        for mta in mtas:
            if (cmd := mta.tick()):
                await asyncio.to_thread(sh, cmd + " >/dev/null 2>&1", False)
        if not captured and any(m.name == "postfix" for m in mtas) and time.time() - started > 20:
            await asyncio.to_thread(capture_postfix_queue)
            await asyncio.to_thread(deliver_generated)
            captured = True
        if want <= set(await asyncio.to_thread(notices, mtas)):
            break
    missing = sorted(want - set(notices(mtas)))
    say(f"{len(want) - len(missing)} of {len(want)} notices after "
        f"{time.time() - started:.0f} s; missing: {missing or 'none'}")
    for mta in mtas:
        if (cmd := mta.stop()):
            sh(cmd + " >/dev/null 2>&1", check=False)
    for server in servers:
        server.close()
    for proc in procs:
        if proc.returncode is None:
            proc.terminate()
    collect(mtas)
    (OUT / "peer.log").write_text("\n".join(peer.LOG) + "\n")
    for log in ("postfix.log", "exim4/mainlog", "sendmail.trace"):
        if Path("/var/log", log).exists():
            shutil.copy(Path("/var/log", log), OUT / log.replace("/", "-"))
    return 0


def collect(mtas: list[Mta]) -> None:
    """Names each notice <mta>/<scenario>-{delay,final}.eml and writes the manifest."""
    import truth

    for (mta, name, kind), paths in sorted(notices(mtas).items()):
        # Exim and OpenSMTPD repeat delay warnings: the first one stands for them all.
        target = OUT / mta / f"{name}-{kind}.eml"
        target.parent.mkdir(exist_ok=True)
        shutil.copy(paths[0], target)
    manifest = truth.rebuild(OUT)
    generated = OUT / "generated-smtp"
    generated.mkdir(exist_ok=True)
    for path in (OUT / "mailbox").glob("*/*.eml"):
        if GENERATED in path.read_bytes():
            shutil.copy(path, generated / path.name)
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    say(f"wrote {len(manifest)} notices and manifest.json to {OUT}")


if __name__ == "__main__":
    sys.exit(asyncio.run(run()))
