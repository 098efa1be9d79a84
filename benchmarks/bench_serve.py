"""Benchmark of ``ndr serve`` (a script, not a test): requests per second on ``POST /v1/parse``
with 1 and 2 uvicorn workers (issue 15's goal: >= 300 bounces/s with 2 workers on a 2-core
machine). One bounce per request, round-robin over the corpus's bounces (or ndr's examples when
../shared is absent), from several client threads on keep-alive connections (``http.client``:
the lightest client, since it shares the machine with the server). Prints figures only.

    .venv/bin/python benchmarks/bench_serve.py [--seconds 10] [--clients 8] [--workers 1 2] [--db]
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "sisimai"
TOKEN = "bench-token"


def bounces() -> list[bytes]:
    """The corpus's bounce messages (truth.jsonl kind ``bounce``), else ndr's examples."""
    truth = CORPUS / "truth.jsonl"
    if truth.is_file():
        rows = [json.loads(line) for line in truth.read_text(encoding="utf-8").splitlines() if line.strip()]
        files = [CORPUS / row["file"] for row in rows if row.get("kind") == "bounce"]
        found = [f.read_bytes() for f in files if f.is_file()]
        if found:
            return found
    return [p.read_bytes() for p in sorted((ROOT / "examples").glob("*.eml"))]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(workers: int, folder: Path, db: bool) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    (folder / "token").write_text(TOKEN, encoding="utf-8")
    args = [sys.executable, "-m", "ndr", "serve", "--port", str(port), "--workers", str(workers),
            "--token-file", str(folder / "token"), "--no-access-log", "--log-level", "warning"]
    if db:
        args += ["--db", str(folder / f"ledger-{workers}.db")]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    server = subprocess.Popen(args, cwd=ROOT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz", headers={"Authorization": f"Bearer {TOKEN}"})
            if connection.getresponse().status == 200:
                connection.close()
                time.sleep(1.0 if workers > 1 else 0.2)  # let every worker finish starting
                return server, port
        except OSError:
            time.sleep(0.2)
    server.kill()
    sys.exit("ndr serve did not start")


def load(port: int, messages: list[bytes], clients: int, seconds: float) -> tuple[int, int, int, float]:
    """(requests, records, errors, elapsed) from ``clients`` threads posting for ``seconds``."""
    counts = [[0, 0, 0] for _ in range(clients)]
    stop = time.monotonic() + seconds
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "message/rfc822"}

    def client(number: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        index = number
        while time.monotonic() < stop:
            connection.request("POST", "/v1/parse", body=messages[index % len(messages)], headers=headers)
            answer = connection.getresponse()
            body = answer.read()
            counts[number][0] += 1
            if answer.status == 200:
                counts[number][1] += len(json.loads(body))
            else:
                counts[number][2] += 1
            index += clients
        connection.close()

    began = time.monotonic()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    return (sum(c[0] for c in counts), sum(c[1] for c in counts), sum(c[2] for c in counts), elapsed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--db", action="store_true", help="also keep a ledger (--db)")
    args = parser.parse_args()
    messages = bounces()
    print(f"{len(messages)} bounce messages, {args.clients} client threads, {args.seconds:g} s per run, "
          f"{os.cpu_count()} CPUs{', with --db' if args.db else ''}")
    with tempfile.TemporaryDirectory() as folder:
        for workers in args.workers:
            server, port = start(workers, Path(folder), args.db)
            try:
                load(port, messages, args.clients, 2.0)  # warm-up: imports, catalog, caches
                requests, records, errors, elapsed = load(port, messages, args.clients, args.seconds)
            finally:
                server.send_signal(signal.SIGTERM)
                server.wait(timeout=30)
            print(f"workers={workers}: {requests / elapsed:7.1f} bounces/s (requests/s), "
                  f"{records / elapsed:7.1f} records/s, {errors} errors, {requests} requests in {elapsed:.1f} s")


if __name__ == "__main__":
    main()
