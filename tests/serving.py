"""Start ``ndr serve`` as a user would — a subprocess listening on 127.0.0.1, on a free port —
and stop it again; for the tests that talk to a running server with a real HTTP client."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import httpx

from .conftest import ROOT

TOKEN = "test-token-5a1f0c"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running(folder: Path, *options: str, token: str | None = TOKEN,
            workers: int = 1) -> Iterator[httpx.Client]:
    """A started service and a client for it (bearer token set); the server's log is kept in
    ``folder/server.log``."""
    port = free_port()
    args = [sys.executable, "-m", "ndr", "serve", "--port", str(port), "--workers", str(workers), *options]
    if token is not None:
        (folder / "token").write_text(token + "\n", encoding="utf-8")
        args += ["--token-file", str(folder / "token")]
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    log = open(folder / "server.log", "wb")
    server = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env=env)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=60)
    try:
        _wait(client, server, folder / "server.log")
        yield client
    finally:
        client.close()
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def _wait(client: httpx.Client, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"ndr serve exited {server.returncode}:\n{log.read_text(errors='replace')}")
        try:
            client.get("/healthz")
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"ndr serve did not start:\n{log.read_text(errors='replace')}")
