"""A real HTTP server (http.server in a thread) standing in for the grapher behind COLLECTD_URL: it
answers every path with what `mode` says and records the paths it was asked."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# A 1x1 PNG: what a grapher sends, as far as the proxy cares.
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


class Grapher:
    """mode: "png" (200 image/png), "error" (500), "hang" (no answer for `hang_seconds`), "text" (200
    text/html), "svg" (200 image/svg+xml, which may carry scripts)."""

    def __init__(self):
        self.mode = "png"
        self.hang_seconds = 10
        self.paths: list[str] = []
        grapher = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                """Quiet: the tests read grapher.paths."""

            def do_GET(self):
                grapher.paths.append(self.path)
                if grapher.mode == "hang":
                    time.sleep(grapher.hang_seconds)
                    return
                status, content_type, body = {
                    "png": (200, "image/png", PNG),
                    "error": (500, "text/html", b"<h1>Internal Server Error</h1>"),
                    "text": (200, "text/html; charset=utf-8", b"<html>not a graph</html>"),
                    "svg": (200, "image/svg+xml", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"),
                }[grapher.mode]
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/graphs"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
