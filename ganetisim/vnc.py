"""VNC screens for the simulated instances: a small RFB 3.8 server per running instance.

With `--vnc NETWORK` (a loopback network such as 127.77.0.0/24; all of 127/8 is loopback on Linux) the
nodes' primary and secondary addresses become hosts of that network, and every running instance gets
an RFB server on its primary node's address and its `network_port`, as a KVM instance with
`vnc_bind_address=0.0.0.0` has on a real node. The servers follow the cluster: an instance that is
started, stopped, destroyed, renamed or moved to another node gets (or loses) its server within a
fraction of a second.

The protocol is RFB 3.8 (RFC 6143) with security type None only: Ganeti's VNC password is the
cluster-wide `vnc_password_file` on the nodes, which RAPI never exposes, so a console proxy that wants
a password has to be given it out of band; the simulator's screens need none. Framebuffer updates use
the Raw encoding in whatever true-colour pixel format (8, 16 or 32 bits) the client asks for. The screen
shows the instance's name, its node, a clock and what was typed; every key event is counted, so tests can
tell that a Ctrl-Alt-Del or a pasted text arrived (control API: GET /__ganetisim__/vnc).
"""

import contextlib
import hashlib
import ipaddress
import logging
import select
import socket
import struct
import threading
import time

logger = logging.getLogger(__name__)
WIDTH, HEIGHT = 640, 400
RECONCILE_SECONDS = 0.1
KEEP_KEY_EVENTS = 200

# A 3x5 font: each glyph is 5 rows of 3 pixels ("#" on).
_FONT_ROWS = {
    "0": "### #.# #.# #.# ###", "1": ".#. ##. .#. .#. ###", "2": "### ..# ### #.. ###",
    "3": "### ..# .## ..# ###", "4": "#.# #.# ### ..# ..#", "5": "### #.. ### ..# ###",
    "6": "### #.. ### #.# ###", "7": "### ..# ..# .#. .#.", "8": "### #.# ### #.# ###",
    "9": "### #.# ### ..# ###", "A": ".#. #.# ### #.# #.#", "B": "##. #.# ##. #.# ##.",
    "C": ".## #.. #.. #.. .##", "D": "##. #.# #.# #.# ##.", "E": "### #.. ##. #.. ###",
    "F": "### #.. ##. #.. #..", "G": ".## #.. #.# #.# .##", "H": "#.# #.# ### #.# #.#",
    "I": "### .#. .#. .#. ###", "J": "..# ..# ..# #.# .#.", "K": "#.# #.# ##. #.# #.#",
    "L": "#.. #.. #.. #.. ###", "M": "#.# ### ### #.# #.#", "N": "##. #.# #.# #.# #.#",
    "O": ".#. #.# #.# #.# .#.", "P": "##. #.# ##. #.. #..", "Q": ".#. #.# #.# ##. .##",
    "R": "##. #.# ##. #.# #.#", "S": ".## #.. .#. ..# ##.", "T": "### .#. .#. .#. .#.",
    "U": "#.# #.# #.# #.# ###", "V": "#.# #.# #.# #.# .#.", "W": "#.# #.# ### ### #.#",
    "X": "#.# #.# .#. #.# #.#", "Y": "#.# #.# .#. .#. .#.", "Z": "### ..# .#. #.. ###",
    ".": "... ... ... ... .#.", "-": "... ... ### ... ...", ":": "... .#. ... .#. ...",
    "_": "... ... ... ... ###", "/": "..# ..# .#. #.. #..", " ": "... ... ... ... ...",
    "?": "### ..# .## ... .#.", "+": "... .#. ### .#. ...", "=": "... ### ... ### ...",
    ">": "#.. .#. ..# .#. #..", "<": "..# .#. #.. .#. ..#", "@": "### #.# #.# #.. ###",
}
FONT = {char: [row == "#" for rows in spec.split() for row in rows] for char, spec in _FONT_ROWS.items()}

# The screen's palette: index -> (r, g, b).
BLACK, WHITE, GREY, YELLOW, BAR = 0, 1, 2, 3, 4
STRIPES = [(230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200), (245, 130, 48), (145, 30, 180),
           (70, 240, 240), (240, 50, 230)]
BACKGROUND = 13  # after the stripes (5-12)

# Keysyms the screen names instead of typing them.
KEY_NAMES = {0xFFE3: "CTRL", 0xFFE4: "CTRL", 0xFFE9: "ALT", 0xFFEA: "ALT", 0xFFFF: "DEL", 0xFF0D: "ENTER",
             0xFF08: "BACKSPACE", 0xFF1B: "ESC", 0xFF09: "TAB", 0xFFE1: "SHIFT", 0xFFE2: "SHIFT"}


class Screen:
    """One instance's framebuffer: one palette index per pixel; `version` counts changes, and
    `changes` remembers which rows each recent change touched so clients get only those."""

    def __init__(self, name, node):
        digest = hashlib.sha256(name.encode()).digest()
        background = (20 + digest[0] % 60, 30 + digest[1] % 60, 60 + digest[2] % 80)
        self.palette = [(0, 0, 0), (255, 255, 255), (160, 160, 170), (255, 220, 80), (40, 40, 50)]
        self.palette += [(0, 0, 0)] * (BACKGROUND - len(self.palette)) + [background]
        self.palette[5:5 + len(STRIPES)] = STRIPES
        self.pixels = bytearray([BACKGROUND]) * (WIDTH * HEIGHT)
        self.lock = threading.Lock()
        self.version = 0
        self.changes = []  # (version, first row, last row)
        self.name, self.node = name, node
        self.typed = ""
        self.key_events = []  # (down, keysym)
        self.clock = ""
        self._draw_static()
        self.tick()

    # -- drawing -----------------------------------------------------------------------------------
    def fill(self, x, y, w, h, colour):
        line = bytes([colour]) * w
        for row in range(y, y + h):
            start = row * WIDTH + x
            self.pixels[start:start + w] = line

    def text(self, x, y, text, scale, colour):
        for char in text.upper():
            glyph = FONT.get(char, FONT["?"])
            for index, on in enumerate(glyph):
                if on:
                    self.fill(x + (index % 3) * scale, y + (index // 3) * scale, scale, scale, colour)
            x += 4 * scale
            if x + 3 * scale > WIDTH:
                break

    def _draw_static(self):
        self.fill(0, 0, WIDTH, 40, BAR)
        self.text(12, 10, "GANETISIM VNC CONSOLE", 4, GREY)
        self.text(24, 70, self.name, 5 if len(self.name) <= 28 else 3, WHITE)
        self.text(24, 110, "NODE " + self.node, 3, GREY)
        stripe = WIDTH // len(STRIPES)
        for index in range(len(STRIPES)):
            self.fill(index * stripe, HEIGHT - 24, stripe, 24, 5 + index)

    def _changed(self, first, last):
        self.version += 1
        self.changes = [c for c in self.changes if c[0] > self.version - 50] + [(self.version, first, last)]

    def tick(self):
        """Redraws the clock when the second changed; True if it did."""
        clock = time.strftime("%H:%M:%S")
        if clock == self.clock:
            return False
        with self.lock:
            self.clock = clock
            self.fill(24, 160, 8 * 4 * 8, 40, BACKGROUND)
            self.text(24, 160, clock, 8, YELLOW)
            self._changed(160, 200)
        return True

    def key(self, down, keysym):
        with self.lock:
            self.key_events.append((down, keysym))
            del self.key_events[:-KEEP_KEY_EVENTS]
            if down:
                if keysym in KEY_NAMES:
                    self.typed += "<%s>" % KEY_NAMES[keysym]
                elif 0x20 <= keysym < 0x7F:
                    self.typed += chr(keysym)
                self.typed = self.typed[-96:]
            self.fill(0, 230, WIDTH, 130, BACKGROUND)
            self.text(24, 230, "KEYS %d" % sum(1 for down, _key in self.key_events if down), 3, GREY)
            lines = [self.typed[i:i + 48] for i in range(0, len(self.typed), 48)][-2:]
            for number, line in enumerate(lines):
                self.text(24, 270 + number * 32, line, 3, WHITE)
            self._changed(230, 360)

    def rows_since(self, version):
        """(first, last) rows changed after `version`, or None; the whole screen when too old."""
        with self.lock:
            if version >= self.version:
                return None
            changes = [c for c in self.changes if c[0] > version]
            if not changes or changes[0][0] != version + 1:
                return 0, HEIGHT
            return min(c[1] for c in changes), max(c[2] for c in changes)

    def encode(self, first, last, pixel_format):
        """Rows first..last-1 as Raw pixels in the client's format."""
        with self.lock:
            area = self.pixels[first * WIDTH:last * WIDTH]
            version = self.version
        return pixel_format.convert(area, self.palette), version


class PixelFormat:
    """A true-colour RFB pixel format; converts palette-index pixels with bytes.translate per byte lane."""

    def __init__(self, raw):
        (self.bpp, self.depth, self.big_endian, self.true_colour, self.red_max, self.green_max, self.blue_max,
         self.red_shift, self.green_shift, self.blue_shift) = struct.unpack(">BBBBHHHBBB3x", raw)
        if self.bpp not in (8, 16, 32) or not self.true_colour:
            raise ValueError("only true-colour pixel formats of 8, 16 or 32 bits are supported")
        self._tables = None

    @classmethod
    def default(cls):
        return cls(struct.pack(">BBBBHHHBBB3x", 32, 24, 0, 1, 255, 255, 255, 16, 8, 0))

    def pack(self):
        return struct.pack(">BBBBHHHBBB3x", self.bpp, self.depth, self.big_endian, self.true_colour, self.red_max,
                           self.green_max, self.blue_max, self.red_shift, self.green_shift, self.blue_shift)

    def convert(self, area, palette):
        size = self.bpp // 8
        if self._tables is None:
            lanes = [bytearray(256) for _ in range(size)]
            for index, (r, g, b) in enumerate(palette):
                value = ((r * self.red_max // 255) << self.red_shift | (g * self.green_max // 255) << self.green_shift
                         | (b * self.blue_max // 255) << self.blue_shift)
                for lane, byte in enumerate(value.to_bytes(size, "big" if self.big_endian else "little")):
                    lanes[lane][index] = byte
            self._tables = [bytes(lane) for lane in lanes]
        out = bytearray(len(area) * size)
        for lane, table in enumerate(self._tables):
            out[lane::size] = area.translate(table)
        return out


class ClientClosed(Exception):
    """The viewer went away, or spoke something other than RFB: its connection ends."""


class Connection:
    """One viewer: the handshake, then client messages and framebuffer updates in one thread."""

    def __init__(self, server, sock):
        self.server, self.sock = server, sock
        self.buffer = b""
        self.pixel_format = PixelFormat.default()
        self.wanted = None  # a pending FramebufferUpdateRequest: (incremental, y, h)
        self.sent_version = -1

    def read(self, count):
        while len(self.buffer) < count:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ClientClosed()
            self.buffer += chunk
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def handshake(self):
        screen = self.server.screen
        self.sock.sendall(b"RFB 003.008\n")
        version = self.read(12)
        if not version.startswith(b"RFB 003."):
            raise ClientClosed()
        if version >= b"RFB 003.007":
            self.sock.sendall(b"\x01\x01")  # one security type: None
            if self.read(1) != b"\x01":
                self.sock.sendall(struct.pack(">I", 1) + _reason("only security type None is offered"))
                raise ClientClosed()
        else:
            self.sock.sendall(struct.pack(">I", 1))  # RFB 3.3: the server decides, None
        if version >= b"RFB 003.008":
            self.sock.sendall(struct.pack(">I", 0))  # SecurityResult OK
        self.read(1)  # ClientInit: shared flag (every session is shared here)
        name = ("%s (ganetisim)" % screen.name).encode()
        self.sock.sendall(struct.pack(">HH", WIDTH, HEIGHT) + self.pixel_format.pack() + struct.pack(">I", len(name))
                          + name)

    def serve(self):
        self.sock.settimeout(10)
        try:
            self.handshake()
            self.sock.settimeout(None)
            while not self.server.closed:
                readable, _w, _x = select.select([self.sock], [], [], 0.2) if not self.buffer else ([1], 0, 0)
                if readable:
                    self.message()
                self.server.screen.tick()
                self.update()
        except (ClientClosed, OSError):
            return  # the viewer hung up (or the server closed): nothing to tell
        except (ValueError, struct.error) as error:
            logger.info("VNC %s: a malformed client message ends the connection: %s", self.server.screen.name, error)
        finally:
            self.sock.close()

    def message(self):
        kind = self.read(1)[0]
        if kind == 0:  # SetPixelFormat
            self.pixel_format = PixelFormat(self.read(19)[3:])
            self.sent_version = -1
        elif kind == 2:  # SetEncodings: Raw is always allowed, the others are ignored
            count = struct.unpack(">xH", self.read(3))[0]
            self.read(4 * count)
        elif kind == 3:  # FramebufferUpdateRequest
            incremental, _x, y, _w, h = struct.unpack(">BHHHH", self.read(9))
            if not incremental:
                self.sent_version = -1
            self.wanted = (incremental, y, h)
        elif kind == 4:  # KeyEvent
            down, keysym = struct.unpack(">B2xI", self.read(7))
            self.server.screen.key(bool(down), keysym)
        elif kind == 5:  # PointerEvent
            self.read(5)
        elif kind == 6:  # ClientCutText
            length = struct.unpack(">3xI", self.read(7))[0]
            self.read(length)
        else:
            raise ClientClosed()  # a message this server does not know: its length is unknown too

    def update(self):
        if self.wanted is None:
            return
        screen = self.server.screen
        rows = (0, HEIGHT) if self.sent_version < 0 else screen.rows_since(self.sent_version)
        if rows is None:
            return
        first, last = rows
        pixels, version = screen.encode(first, last, self.pixel_format)
        header = struct.pack(">BxH", 0, 1) + struct.pack(">HHHHi", 0, first, WIDTH, last - first, 0)
        self.sock.sendall(header + pixels)
        self.sent_version, self.wanted = version, None
        self.server.updates += 1


class VncServer:
    """The listening socket of one instance's screen and its viewers' threads."""

    def __init__(self, name, node, address, port):
        self.name, self.address, self.port = name, address, port
        self.screen = Screen(name, node)
        self.closed = False
        self.connections = 0
        self.updates = 0
        self.listener = socket.create_server((address, port), reuse_port=False)
        self.clients = set()
        self.thread = threading.Thread(target=self._accept, name="ganetisim-vnc-%s" % name, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.closed:
            try:
                sock, _peer = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            self.clients.add(sock)
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock):
        try:
            Connection(self, sock).serve()
        finally:
            self.clients.discard(sock)

    def close(self):
        self.closed = True
        # shutdown() wakes the threads blocked in accept() and recv(); a socket the peer already closed
        # raises OSError, which changes nothing.
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        for sock in list(self.clients):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def as_dict(self):
        with self.screen.lock:
            keys = list(self.screen.key_events)
        return {"address": self.address, "port": self.port, "connections": self.connections,
                "updates": self.updates, "key_events": [[down, keysym] for down, keysym in keys]}


class VncScreens:
    """Keeps one VncServer per running instance, at its primary node's address and network_port."""

    def __init__(self, cluster, network):
        self.cluster = cluster
        self.network = ipaddress.ip_network(network)
        if not self.network.is_loopback:
            raise ValueError("--vnc needs a loopback network (e.g. 127.77.0.0/24), not %s" % network)
        self.servers = {}
        self.failed = {}  # name -> why its server could not listen
        self.stopping = threading.Event()
        self.seen_version = -1
        self.assign_node_addresses()

    def assign_node_addresses(self):
        """The nodes' pip/sip become hosts of the network (by node name order), so their screens are reachable."""
        hosts = self.network.hosts()
        for _skip in range(9):  # .10 onwards, as the generated addresses are
            next(hosts, None)
        with self.cluster.lock:
            for name in sorted(self.cluster.nodes):
                address = str(next(hosts))
                self.cluster.nodes[name]["pip"] = self.cluster.nodes[name]["sip"] = address
            self.cluster.touch()

    def wanted(self):
        with self.cluster.lock:
            self.seen_version = self.cluster.version
            wanted = {}
            for inst in self.cluster.instances.values():
                node = self.cluster.nodes.get(inst["pnode"])
                if inst["running"] and node and not node["offline"]:
                    wanted[inst["name"]] = (inst["pnode"], node["pip"], inst["network_port"])
            return wanted

    def reconcile(self):
        wanted = self.wanted()
        for name, server in list(self.servers.items()):
            if wanted.get(name) != (server.screen.node, server.address, server.port):
                server.close()
                del self.servers[name]
        for name, (node, address, port) in wanted.items():
            if name not in self.servers:
                try:
                    self.servers[name] = VncServer(name, node, address, port)
                    self.failed.pop(name, None)
                except OSError as error:
                    self.failed[name] = "%s:%d: %s" % (address, port, error)
        for name in list(self.failed):
            if name not in wanted:
                del self.failed[name]

    def run(self):
        while not self.stopping.wait(RECONCILE_SECONDS):
            if self.cluster.version != self.seen_version or self.failed:
                self.reconcile()

    def start(self):
        self.reconcile()
        self.thread = threading.Thread(target=self.run, name="ganetisim-vnc", daemon=True)
        self.thread.start()

    def stop(self):
        self.stopping.set()
        for server in self.servers.values():
            server.close()
        self.servers.clear()

    def as_dict(self):
        return {"network": str(self.network), "screens": {name: s.as_dict() for name, s in self.servers.items()},
                "failed": dict(self.failed)}


def _reason(text):
    data = text.encode()
    return struct.pack(">I", len(data)) + data
