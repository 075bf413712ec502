"""The console chain for tests: websockify with ganetimgr's single-use Redis token plugin, a
loopback network for the simulator's VNC screens, and a raw WebSocket probe.

    with start_websockify(settings.CONSOLE_TOKEN_REDIS_URL) as proxy:   # proxy.port, proxy.log()
        status, first = websocket_first_frame(proxy.port, "/websockify?token=" + token)
"""

import base64
import contextlib
import os
import random
import signal
import socket
import ssl
import struct
import subprocess
import time
from pathlib import Path

from tests.helpers import PROJECT_DIR, PYTHON, free_port, port_open

WEBSOCKIFY = Path(PYTHON).with_name("websockify")


def vnc_network() -> str:
    """A loopback /24 of its own (all of 127/8 is loopback on Linux), so that parallel runs never share
    a VNC address and port."""
    return "127.%d.%d.0/24" % (random.randrange(100, 250), random.randrange(1, 250))


class Websockify:
    def __init__(self, process, port, log_path):
        self.process, self.port, self.log_path = process, port, log_path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextlib.contextmanager
def start_websockify(redis_url: str, tmp_path: Path, *, web: Path | None = None):
    """websockify on a free loopback port, tokens from `redis_url` (ganeti.console_tokens.SingleUseRedis)."""
    port = free_port()
    log_path = Path(tmp_path) / f"websockify-{port}.log"
    args = [str(WEBSOCKIFY), "--token-plugin", "ganeti.console_tokens.SingleUseRedis", "--token-source", redis_url]
    if web:
        args += ["--web", str(web)]
    args.append(f"127.0.0.1:{port}")
    env = dict(os.environ, PYTHONPATH=str(PROJECT_DIR))
    with open(log_path, "wb") as log:
        process = subprocess.Popen(args, cwd=PROJECT_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while not port_open(port):
            assert process.poll() is None, "websockify exited: " + log_path.read_text()
            assert time.monotonic() < deadline, "websockify does not listen: " + log_path.read_text()
            time.sleep(0.05)
        yield Websockify(process, port, log_path)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def websocket_first_frame(port: int, path: str, timeout: float = 5,
                          tls: ssl.SSLContext | None = None) -> tuple[str, bytes | None]:
    """Opens a WebSocket (binary subprotocol, as noVNC) and reads the first frame: (the HTTP status
    line, its payload), or (status line, None) when the server closed the connection first.
    tls: open it over TLS with this context (wss://, e.g. through nginx)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout)
    if tls is not None:
        sock = tls.wrap_socket(sock, server_hostname="127.0.0.1")
    with sock:
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                      f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                      "Sec-WebSocket-Protocol: binary\r\n\r\n").encode())
        buffer = b""
        while b"\r\n\r\n" not in buffer:
            chunk = sock.recv(4096)
            if not chunk:
                return buffer.split(b"\r\n")[0].decode(), None
            buffer += chunk
        head, _, rest = buffer.partition(b"\r\n\r\n")
        status = head.split(b"\r\n")[0].decode()
        try:
            while len(rest) < 2:
                chunk = sock.recv(4096)
                if not chunk:
                    return status, None
                rest += chunk
            opcode, length, offset = rest[0] & 0x0F, rest[1] & 0x7F, 2
            if length == 126:
                while len(rest) < 4:
                    rest += sock.recv(4096)
                length, offset = struct.unpack(">H", rest[2:4])[0], 4
            while len(rest) < offset + length:
                chunk = sock.recv(4096)
                if not chunk:
                    return status, None
                rest += chunk
        except (ConnectionResetError, socket.timeout):
            return status, None
        if opcode == 0x8:  # a close frame: no VNC behind it
            return status, None
        return status, rest[offset:offset + length]
