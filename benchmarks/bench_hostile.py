#!/usr/bin/env python3
"""Hostile inputs cost no more than ordinary mail: a row per attack class (issue 13), seconds per
MB next to a normal bounce's, and what doubling the input does to the time.

    python benchmarks/bench_hostile.py [--mb 4] [--only NAME]

The goal (DECISIONS, "Measures"): the worst class costs at most 3x a normal bounce's seconds per
MB, doubling any input at most doubles its time (x2.2 allowed for noise), and the process stays
under 300 MB. Each class is timed at half the size and at the full size (best of two runs). A
script, not a test: read the figures.
"""
from __future__ import annotations

import argparse
import io
import resource
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import ndr  # noqa: E402
from ndr.reading.archives import Limits, iter_messages  # noqa: E402

MB = 1024 * 1024
HEAD = (b"From: MAILER-DAEMON@mx.example.org\nTo: a@example.org\nSubject: Undelivered Mail Returned to Sender\n"
        b'MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
        b"--B\nContent-Type: text/plain\n\nYour message could not be delivered.\n")
NORMAL = (ROOT / "examples" / "postfix-user-unknown.eml").read_bytes()


def _dsn(blocks: bytes, charset: bytes = b"us-ascii") -> bytes:
    return (HEAD + b"--B\nContent-Type: message/delivery-status; charset=" + charset
            + b"\n\nReporting-MTA: dns; mx.example.org\n\n" + blocks + b"--B--\n")


def _fit(unit: bytes, size: int) -> int:
    return max(1, size // len(unit))


# class → bytes of that size (roughly)
SHAPES: dict[str, Callable[[int], bytes]] = {
    "lone surrogates (utf-7 parts and words)": lambda size: _dsn(b"".join(
        b"Final-Recipient: rfc822; u%d@example.net\nAction: failed\nStatus: 5.1.1\n"
        b"Diagnostic-Code: smtp; 550 +2D0- =?utf-7?Q?+2D0-?=\n\n" % i
        for i in range(_fit(b"x" * 110, size))), b"utf-7"),
    "folded delivery-status field": lambda size: _dsn(
        b"Final-Recipient: rfc822; u@example.net\nAction: failed\nStatus: 5.0.0\nDiagnostic-Code: smtp; 550"
        + b"\n x" * _fit(b"\n x", size) + b"\n\n"),
    "many recipients (one DSN)": lambda size: _dsn(b"".join(
        b"Final-Recipient: rfc822; user%d@example.net\nAction: failed\nStatus: 5.1.1\n\n" % i
        for i in range(_fit(b"x" * 70, size)))),
    "many recipients (human text)": lambda size: HEAD.split(b"MIME-Version")[0] + b"\n" + b"".join(
        b"<user%d@example.net>: host mx.example.net[192.0.2.1] said: 550 5.1.1 unknown\n\n" % i
        for i in range(_fit(b"x" * 85, size))),
    "MIME parts past --max-parts": lambda size: (
        b'From: a@example.org\nContent-Type: multipart/mixed; boundary="b"\n\n'
        + b"--b\n\nx\n" * _fit(b"--b\n\nx\n", size) + b"--b--\n"),
    "one long line": lambda size: HEAD.split(b"MIME-Version")[0] + b"\n" + b"x" * size,
    "address fragments": lambda size: HEAD.split(b"MIME-Version")[0] + b"\n" + b" ".join(
        b"<user%d@host%d.example>:" % (i, i) for i in range(_fit(b"x" * 30, size))),
    "header fields": lambda size: b"".join(b"X-H%d: v\n" % i for i in range(_fit(b"X-H00000: v\n", size))) + b"\nbody\n",
    "regex bait (catalog phrases)": lambda size: HEAD.split(b"MIME-Version")[0] + b"\n550 5.1.1 " + (
        b"host or domain name not found " * _fit(b"x" * 30, size // 2)) + b"@" * (size // 4)
        + b"host not found, try again\n",
    "terminal escapes and bidi": lambda size: _dsn(b"".join(
        b"Final-Recipient: rfc822; u%d@example.net\nAction: failed\nStatus: 5.1.1\n"
        b"Diagnostic-Code: smtp; 550 \xc2\x9b2J \xe2\x80\xae\x1b[31m gone\n\n" % i
        for i in range(_fit(b"x" * 100, size))), b"utf-8"),
}


def _tar_named_zip(size: int) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("inner.zip")
        info.size = size * 200  # a 200:1 member the reader skips: it still goes through the guard
        tar.addfile(info, io.BytesIO(bytes(info.size)))
    return buffer.getvalue()


def _tar_pax(size: int) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("a.eml")
        info.pax_headers = {"comment": "x" * size}
        tar.addfile(info, io.BytesIO(b""))
    return buffer.getvalue()


def _zip_small_members(size: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for i in range(max(1, size // 2048)):
            archive.writestr(f"m{i}.eml", NORMAL + bytes(200 * 1024))
    return buffer.getvalue()


def _cr_mbox(size: int) -> bytes:
    message = (b"From MAILER-DAEMON Thu Jan  1 00:00:00 2024\n" + NORMAL + b"\n").replace(b"\n", b"\r")
    return message * _fit(message, size)


# class → (file suffix, bytes maker): read as files, the way ndr parse and ndr analyze read them
FILES: dict[str, tuple[str, Callable[[int], bytes]]] = {
    "tar member named .zip (200:1)": (".tar.gz", _tar_named_zip),
    "huge pax header": (".tar", _tar_pax),
    "zip of small 100:1 members": (".zip", _zip_small_members),
    "CR-only mbox": (".mbox", _cr_mbox),
}


def _best(run: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(2):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def _normal(catalog: ndr.Catalog) -> float:
    """Seconds per MB of an ordinary bounce (the example Postfix one), parsed 300 times."""
    took = _best(lambda: [ndr.parse(NORMAL, catalog=catalog) for _ in range(300)])
    return took / (300 * len(NORMAL) / MB)


def _row(name: str, half: float, full: float, size: int, normal: float) -> tuple[float, float]:
    per_mb = full / (size / MB)
    growth = full / max(half, 1e-6)
    print(f"{name:42s} {size / MB:6.2f} MB {full:7.3f} s {per_mb:7.3f} s/MB {per_mb / normal:5.2f}x normal"
          f"   doubling x{growth:4.2f}")
    return per_mb / normal, growth


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, default=4.0, help="size of each input (default 4)")
    parser.add_argument("--only", help="run only the classes whose name contains this")
    args = parser.parse_args()
    catalog = ndr.load_catalog()
    ndr.parse(NORMAL, catalog=catalog)  # compile what the decoders compile lazily
    normal = _normal(catalog)
    print(f"{'normal bounce (reference)':42s} {len(NORMAL) / 1024:6.1f} KB {'':9s} {normal:7.3f} s/MB")
    size = int(args.mb * MB)
    worst_factor = worst_growth = 0.0
    for name, make in SHAPES.items():
        if args.only and args.only not in name:
            continue
        small, big = make(size // 2), make(size)
        half = _best(lambda: ndr.parse(small, catalog=catalog))
        full = _best(lambda: ndr.parse(big, catalog=catalog))
        factor, growth = _row(name, half, full, len(big), normal)
        worst_factor, worst_growth = max(worst_factor, factor), max(worst_growth, growth)
    with tempfile.TemporaryDirectory() as folder:
        for name, (suffix, maker) in FILES.items():
            if args.only and args.only not in name:
                continue
            paths = []
            for part, scale in (("half", size // 2), ("full", size)):
                path = Path(folder) / f"{part}{suffix}"
                path.write_bytes(maker(scale))
                paths.append(path)
            half = _best(lambda: _read_all(paths[0], catalog))
            full = _best(lambda: _read_all(paths[1], catalog))
            factor, growth = _row(name, half, full, paths[1].stat().st_size, normal)
            worst_factor, worst_growth = max(worst_factor, factor), max(worst_growth, growth)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"worst: {worst_factor:.2f}x a normal bounce's s/MB (goal <= 3; {worst_factor * normal * 10:.2f} s "
          f"per 10 MB), doubling x{worst_growth:.2f} (goal <= 2.2), peak memory {peak:.0f} MB (goal <= 300)")
    return 0


def _read_all(path: Path, catalog: ndr.Catalog) -> int:
    """Every message of the file read and parsed, as ``ndr parse`` does."""
    count = 0
    for item in iter_messages(str(path), str(path), Limits()):
        if hasattr(item, "data"):
            ndr.parse(item.data, catalog=catalog)
            count += 1
    return count


if __name__ == "__main__":
    sys.exit(main())
