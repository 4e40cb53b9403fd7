"""The container's HEALTHCHECK: exit 0 if GET /livez answers 2xx on any of the given ports.

With no arguments it tries the HTTP port (3000, `pathfinder serve --http --port 3000`) and the
health port (PATHFINDER_HEALTH_PORT, default 8081, used in Socket Mode and by the worker), so
one image-wide check fits every command. Standard library only: the image carries no curl.
"""

from __future__ import annotations

import os
import sys
import urllib.request

HTTP_PORT = 3000
HEALTH_PORT = 8081
TIMEOUT_SECONDS = 3.0


def alive(port: int) -> bool:
    """True if http://127.0.0.1:PORT/livez answers with a 2xx status."""
    try:
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}/livez", timeout=TIMEOUT_SECONDS
        ) as response:
            return 200 <= response.status < 300
    except OSError:  # refused, timed out, or an HTTP error status (urllib's HTTPError)
        return False


def main(argv: list[str]) -> int:
    ports = [int(p) for p in argv] or [
        HTTP_PORT,
        int(os.environ.get("PATHFINDER_HEALTH_PORT") or HEALTH_PORT),
    ]
    return 0 if any(alive(port) for port in ports) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
