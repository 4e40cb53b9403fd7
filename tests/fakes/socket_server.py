"""A fake Slack Socket Mode endpoint: a minimal WebSocket server on 127.0.0.1:0 (stdlib only).

It pushes envelopes to the connected app and records the acks it sends back by envelope_id.
"""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import struct
import threading
import time
from typing import Any

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class FakeSocketMode:
    def __init__(self) -> None:
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(4)
        self.port = self._listener.getsockname()[1]
        self.acks: list[str] = []
        self._conn: socket.socket | None = None
        self._connected = threading.Event()
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/link"

    def wait_connected(self, timeout: float = 10) -> bool:
        return self._connected.wait(timeout)

    def push(self, envelope: dict[str, Any]) -> None:
        assert self._conn is not None
        data = json.dumps(envelope).encode()
        header = bytes([0x81])
        if len(data) < 126:
            header += bytes([len(data)])
        elif len(data) < 65536:
            header += bytes([126]) + struct.pack("!H", len(data))
        else:
            header += bytes([127]) + struct.pack("!Q", len(data))
        with self._lock:
            self._conn.sendall(header + data)

    def wait_acks(self, count: int, timeout: float = 10) -> list[str]:
        deadline = time.monotonic() + timeout
        while len(self.acks) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.acks)

    def close(self) -> None:
        for s in (self._conn, self._listener):
            try:
                if s is not None:
                    s.close()
            except OSError:
                pass

    def _accept(self) -> None:
        try:
            conn, _ = self._listener.accept()
        except OSError:
            return
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = conn.recv(4096)
            if not chunk:
                return
            request += chunk
        headers = dict(
            line.split(": ", 1) for line in request.decode().split("\r\n")[1:] if ": " in line
        )
        key = headers.get("Sec-WebSocket-Key") or headers.get("sec-websocket-key", "")
        accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
        conn.sendall(
            (
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Accept: {accept}\r\n\r\n"
            ).encode()
        )
        self._conn = conn
        self.push({"type": "hello", "num_connections": 1, "debug_info": {"host": "fake"}})
        self._connected.set()
        self._read(conn)

    def _read(self, conn: socket.socket) -> None:
        buffer = b""
        while True:
            try:
                chunk = conn.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            buffer += chunk
            while len(buffer) >= 2:
                opcode, length, offset = buffer[0] & 0x0F, buffer[1] & 0x7F, 2
                if length == 126:
                    length, offset = struct.unpack("!H", buffer[2:4])[0], 4
                elif length == 127:
                    length, offset = struct.unpack("!Q", buffer[2:10])[0], 10
                masked = buffer[1] & 0x80
                mask = buffer[offset : offset + 4] if masked else b""
                offset += 4 if masked else 0
                if len(buffer) < offset + length:
                    break
                payload = (
                    bytes(b ^ mask[i % 4] for i, b in enumerate(buffer[offset : offset + length]))
                    if masked
                    else buffer[offset : offset + length]
                )
                buffer = buffer[offset + length :]
                if opcode == 0x9:  # ping -> pong
                    with self._lock:
                        conn.sendall(bytes([0x8A, len(payload)]) + payload)
                elif opcode == 0x1:
                    try:
                        message = json.loads(payload)
                    except json.JSONDecodeError:
                        continue
                    if "envelope_id" in message:
                        self.acks.append(message["envelope_id"])
                elif opcode == 0x8:
                    return
