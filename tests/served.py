"""`pathfinder serve` as a real subprocess (gunicorn in HTTP mode, the Socket Mode client
otherwise) on its own SQLite file, for the server tests and bench/server_load.py."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from .fakes.slack_server import FakeSlack
from .slack_harness import SECRET

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    proc: subprocess.Popen[bytes]
    url: str
    port: int
    log: Path

    def lines(self) -> list[dict[str, Any]]:
        """Every log line the process wrote, each parsed as JSON (a non-JSON line fails), but
        for the one line `pathfinder serve` says to a person at start-up."""
        text = self.log.read_text().splitlines()
        return [json.loads(line) for line in text if line.strip() and not line.startswith("pathfinder: ")]


@contextlib.contextmanager
def serving(fake: FakeSlack, tmp: Path, *, http: bool = True, **env: str) -> Iterator[Served]:
    """`pathfinder serve [--http]` in a subprocess on its own SQLite file, until it answers /livez."""
    port = free_port()
    health = int(env.get("PATHFINDER_HEALTH_PORT", port))
    environ = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp / 'served.db'}",
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_BASE_URL": fake.base_url,
        "PATHFINDER_USE_GEONAMES": "false",
        "PATHFINDER_LOG_LEVEL": "INFO",
        **env,
    }
    if http:
        environ.pop("SLACK_APP_TOKEN", None)
    argv = [sys.executable, "-m", "bot", "serve"]
    argv += ["--http", "--host", "127.0.0.1", "--port", str(port)] if http else []
    log = tmp / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, env=environ, cwd=ROOT, stdout=out, stderr=out)
    served = Served(proc, f"http://127.0.0.1:{health}", health, log)
    try:
        deadline = time.monotonic() + 60
        while get(served.url, "/livez", timeout=1)[0] != 200:
            assert proc.poll() is None, f"serve exited: {log.read_text()[-2000:]}"
            assert time.monotonic() < deadline, "serve did not start"
            time.sleep(0.2)
        yield served
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def get(url: str, path: str, timeout: float = 5) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"{url}{path}", timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError:
        return 0, ""


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    status, text = get(url, "/metrics")
    assert status == 200
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }




def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (gunicorn's worker, under its master)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def rss_mb(pid: int) -> float:
    """Resident memory of `pid`, in MB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise ValueError(f"no VmRSS for {pid}")
