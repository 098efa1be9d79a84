"""The scripted SMTP peer, the lab's mailbox and its DNS stub (raw asyncio: the peer must be able to
misbehave in ways a well-behaved SMTP library will not: no greeting, a drop mid-DATA)."""

from __future__ import annotations

import asyncio
import ssl
import struct
import time
from pathlib import Path
from typing import Any

from scenarios import MAILBOX_HOST, MAILBOX_IP, SCENARIOS, Scenario

LOG: list[str] = []


def log(line: str) -> None:
    LOG.append(f"{time.strftime('%H:%M:%S')} {line}")


class Peer:
    """One scenario's destination host on ``ip:25``."""

    def __init__(self, scenario: Scenario, tls: ssl.SSLContext | None) -> None:
        self.s = scenario
        self.tls = tls
        self.first_seen: float | None = None

    def rcpt_reply(self, addr: str) -> str | None:
        """The reply to RCPT TO (None: drop the connection)."""
        name = self.s.name
        if name == "userunknown":
            return f"550 5.1.1 <{addr}>: Recipient address rejected: User unknown in local recipient table"
        if name == "mailboxfull":
            # Full for the first 40 s (delay notice), then over quota for good (final notice).
            self.first_seen = self.first_seen or time.monotonic()
            if time.monotonic() - self.first_seen < 40:
                return f"452 4.2.2 <{addr}>: Mailbox full, try again later"
            return f"552 5.2.2 <{addr}>: Mailbox full, quota exceeded"
        if name == "greylisted":
            return f"450 4.7.1 <{addr}>: Recipient address rejected: Greylisted, try again later"
        if name == "dropafterrcpt":
            return None
        return "250 2.1.5 Ok"

    def data_reply(self) -> str:
        if self.s.name == "spam":
            return "554 5.7.1 Message rejected as spam by content filter"
        if self.s.name == "toobig":
            return "552 5.3.4 Message size exceeds fixed maximum message size"
        return "250 2.0.0 Ok: queued"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        tag = self.s.name
        log(f"{tag} connect")
        try:
            await self.session(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError, OSError) as exc:
            log(f"{tag} error {exc!r}")
        except asyncio.CancelledError:
            log(f"{tag} cancelled at the lab's end")
        finally:
            writer.close()
            log(f"{tag} closed")

    async def session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        tag = self.s.name

        async def say(line: str) -> None:
            log(f"{tag} > {line}")
            writer.write(line.encode() + b"\r\n")
            await writer.drain()

        if self.s.name == "nogreeting":
            await reader.read()  # says nothing until the client gives up
            return
        if self.s.name == "greeting421":
            await say(f"421 4.3.2 {self.s.host} Service shutting down, closing transmission channel")
            return
        await say(f"220 {self.s.host} ESMTP lab peer")
        while True:
            raw = await reader.readline()
            if not raw:
                return
            line = raw.decode("latin-1").rstrip("\r\n")
            log(f"{tag} < {line}")
            verb = line[:4].upper()
            if verb in ("EHLO", "HELO"):
                ext = ["SIZE 10240000", "8BITMIME"]
                if self.s.name == "badcert":
                    ext.append("STARTTLS")
                lines = [self.s.host] + ext
                for item in lines[:-1]:
                    await say(f"250-{item}")
                await say(f"250 {lines[-1]}")
            elif verb == "STAR" and self.tls is not None and self.s.name == "badcert":
                await say("220 2.0.0 Ready to start TLS")
                await writer.start_tls(self.tls)
            elif verb == "MAIL":
                await say("250 2.1.0 Ok")
            elif verb == "RCPT":
                addr = line.partition(":")[2].strip().strip("<>").split(">")[0]
                reply = self.rcpt_reply(addr)
                if reply is None:
                    return
                await say(reply)
            elif verb == "DATA":
                await say("354 End data with <CR><LF>.<CR><LF>")
                if self.s.name == "dropindata":
                    await reader.readline()
                    return
                while (await reader.readline()).rstrip(b"\r\n") != b".":
                    pass
                await say(self.data_reply())
            elif verb == "QUIT":
                await say("221 2.0.0 Bye")
                return
            elif verb in ("RSET", "NOOP"):
                await say("250 2.0.0 Ok")
            else:
                await say("502 5.5.2 Error: command not recognized")


class Mailbox:
    """The lab's local mailbox: accepts everything and stores each message as a file per
    recipient, in arrival order."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async def say(line: str) -> None:
            writer.write(line.encode() + b"\r\n")
            await writer.drain()

        rcpts: list[str] = []
        sender = ""
        try:
            await say(f"220 {MAILBOX_HOST} ESMTP lab mailbox")
            while raw := await reader.readline():
                line = raw.decode("latin-1").rstrip("\r\n")
                verb = line[:4].upper()
                if verb in ("EHLO", "HELO"):
                    await say(f"250-{MAILBOX_HOST}")
                    await say("250 8BITMIME")
                elif verb == "MAIL":
                    sender = line.partition(":")[2].strip().split()[0].strip("<>")
                    rcpts = []
                    await say("250 2.1.0 Ok")
                elif verb == "RCPT":
                    rcpts.append(line.partition(":")[2].strip().split()[0].strip("<>").lower())
                    await say("250 2.1.5 Ok")
                elif verb == "DATA":
                    await say("354 go ahead")
                    body = bytearray()
                    while (chunk := await reader.readline()).rstrip(b"\r\n") != b".":
                        body += chunk[1:] if chunk.startswith(b"..") else chunk
                    self.store(sender, rcpts, bytes(body))
                    await say("250 2.0.0 Ok: stored")
                elif verb == "QUIT":
                    await say("221 2.0.0 Bye")
                    break
                else:
                    await say("250 2.0.0 Ok")
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    def store(self, sender: str, rcpts: list[str], body: bytes) -> None:
        for rcpt in rcpts:
            self.count += 1
            box = self.folder / rcpt.split("@")[0]
            box.mkdir(parents=True, exist_ok=True)
            head = f"X-Lab-Envelope-From: <{sender}>\r\nX-Lab-Received: {time.time():.3f}\r\n"
            (box / f"{self.count:04d}.eml").write_bytes(head.encode() + body)
            log(f"mailbox stored {rcpt} from <{sender}> #{self.count}")


class DnsStub(asyncio.DatagramProtocol):
    """Answers A queries for the lab's names from a table, SERVFAIL for the DNS-failure host,
    NODATA for other types of known names, NXDOMAIN for everything else."""

    def __init__(self, table: dict[str, str], servfail: set[str]) -> None:
        self.table = table
        self.servfail = servfail
        self.transport: Any = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            reply = self.answer(data)
        except (IndexError, struct.error, UnicodeDecodeError):
            return
        self.transport.sendto(reply, addr)

    def answer(self, data: bytes) -> bytes:
        qid, flags = struct.unpack("!HH", data[:4])
        labels, pos = [], 12
        while data[pos]:
            labels.append(data[pos + 1:pos + 1 + data[pos]].decode("ascii"))
            pos += data[pos] + 1
        qtype, _qclass = struct.unpack("!HH", data[pos + 1:pos + 5])
        question = data[12:pos + 5]
        name = ".".join(labels).lower().rstrip(".")
        rd = flags & 0x0100
        answers = b""
        if name in self.servfail:
            rcode = 2
        elif name in self.table:
            rcode = 0
            if qtype == 1:
                ip = bytes(int(p) for p in self.table[name].split("."))
                answers = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + ip
        else:
            rcode = 3
        log(f"dns {name} type {qtype} -> rcode {rcode}")
        header = struct.pack("!HHHHHH", qid, 0x8000 | 0x0400 | rd | 0x0080 | rcode, 1,
                             1 if answers else 0, 0, 0)
        return header + question + answers


def dns_table(extra: dict[str, str] | None = None) -> tuple[dict[str, str], set[str]]:
    """The names the stub answers, and the one it fails on."""
    table = {s.host: s.ip for s in SCENARIOS if not s.no_host}
    table[MAILBOX_HOST] = MAILBOX_IP
    table.update(extra or {})
    servfail = {s.host for s in SCENARIOS if s.no_host} | {s.domain for s in SCENARIOS if s.no_host}
    return table, servfail


async def start(folder: Path, tls: ssl.SSLContext, names: dict[str, str]) -> list[asyncio.AbstractServer]:
    """Starts every peer (not the refused one: nothing listens there), the mailbox and the DNS
    stub; returns the servers so the caller can close them."""
    servers = []
    for scenario in SCENARIOS:
        if scenario.name in ("refused", "dnsfail"):
            continue
        peer = Peer(scenario, tls)
        servers.append(await asyncio.start_server(peer.handle, scenario.ip, 25))
    box = Mailbox(folder)
    servers.append(await asyncio.start_server(box.handle, MAILBOX_IP, 25))
    table, servfail = dns_table(names)
    loop = asyncio.get_running_loop()
    await loop.create_datagram_endpoint(lambda: DnsStub(table, servfail),
                                        local_addr=("127.0.0.1", 53))
    return servers
