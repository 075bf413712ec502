"""A real HTTP server (http.server in a thread) serving image directories as Apache's mod_autoindex does."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

APACHE_INDEX = """<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">
<html>
 <head>
  <title>Index of {path}</title>
 </head>
 <body>
<h1>Index of {path}</h1>
  <table>
   <tr><th valign="top"><img src="/icons/blank.gif" alt="[ICO]"></th><th><a href="?C=N;O=D">Name</a></th><th><a href="?C=M;O=A">Last modified</a></th><th><a href="?C=S;O=A">Size</a></th><th><a href="?C=D;O=A">Description</a></th></tr>
   <tr><th colspan="5"><hr></th></tr>
<tr><td valign="top"><img src="/icons/back.gif" alt="[PARENTDIR]"></td><td><a href="/">Parent Directory</a></td><td>&nbsp;</td><td align="right">  - </td><td>&nbsp;</td></tr>
{rows}
   <tr><th colspan="5"><hr></th></tr>
</table>
<address>Apache/2.4.62 (Debian) Server at images.test Port 80</address>
</body></html>
"""
ROW = ('<tr><td valign="top"><img src="/icons/unknown.gif" alt="[   ]"></td><td><a href="{href}">{name}</a></td>'
       '<td align="right">2024-03-11 10:{minute:02d}  </td><td align="right">{size}</td><td>&nbsp;</td></tr>')


class ImageServer:
    """files: {"/dir/name": bytes or str}; every directory holding files answers with an index page."""

    def __init__(self, files: dict[str, bytes | str]):
        self.files = {path: content.encode() if isinstance(content, str) else content for path, content in files.items()}
        self.requests: list[str] = []
        self.down = False
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                """Quiet: tests read what was asked from server.requests, not from stderr."""

            def do_GET(self):
                server.requests.append(self.path)
                if server.down:
                    self.send_error(503, "Service Unavailable")
                    return
                path = self.path.split("?", 1)[0]
                if path.endswith("/"):
                    names = sorted(p[len(path):] for p in server.files if p.startswith(path) and "/" not in p[len(path):])
                    if not names:
                        self.send_error(404)
                        return
                    rows = "\n".join(ROW.format(href=name.replace(" ", "%20"), name=name, minute=i % 60,
                                                size=len(server.files[path + name]))
                                     for i, name in enumerate(names))
                    body = APACHE_INDEX.format(path=path, rows=rows).encode()
                    content_type = "text/html;charset=UTF-8"
                elif path in server.files:
                    body = server.files[path]
                    content_type = "application/octet-stream"
                else:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
