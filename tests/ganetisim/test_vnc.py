"""The simulator's VNC screens (--vnc): an RFB 3.8 server per running instance at its node's address."""

import socket
import struct
import time

import pytest

from tests.console_services import vnc_network
from tests.simulator import start_simulator


@pytest.fixture(scope="module")
def vnc_sim(tmp_path_factory):
    with start_simulator(tmp_path_factory.mktemp("vncsim"), instances=6, nodes=2, owners="alice",
                         vnc=vnc_network()) as sim:
        yield sim


def read_exact(sock, count):
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        assert chunk, "the server closed the connection"
        data += chunk
    return data


def rfb_connect(address, port):
    """The RFB 3.8 handshake with security type None; returns (socket, width, height, name)."""
    sock = socket.create_connection((address, port), timeout=5)
    assert read_exact(sock, 12) == b"RFB 003.008\n"
    sock.sendall(b"RFB 003.008\n")
    count = read_exact(sock, 1)[0]
    assert list(read_exact(sock, count)) == [1]  # None only
    sock.sendall(b"\x01")
    assert struct.unpack(">I", read_exact(sock, 4))[0] == 0  # SecurityResult OK
    sock.sendall(b"\x01")  # ClientInit, shared
    width, height = struct.unpack(">HH", read_exact(sock, 4))
    pixel_format = read_exact(sock, 16)
    assert pixel_format[0] == 32 and pixel_format[3] == 1  # 32 bpp true colour
    name = read_exact(sock, struct.unpack(">I", read_exact(sock, 4))[0]).decode()
    return sock, width, height, name


def read_update(sock):
    """One FramebufferUpdate with Raw rectangles at 32 bpp: [(x, y, w, h, pixels)]."""
    kind, count = struct.unpack(">BxH", read_exact(sock, 4))
    assert kind == 0
    rects = []
    for _ in range(count):
        x, y, w, h, encoding = struct.unpack(">HHHHi", read_exact(sock, 12))
        assert encoding == 0
        rects.append((x, y, w, h, read_exact(sock, w * h * 4)))
    return rects


def screens(sim):
    return sim.control("GET", "vnc")["screens"]


def wait_for(check, timeout=10):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def running_instance(sim):
    instances = sim.request("GET", "/2/instances?bulk=1")[1]
    return next(i for i in instances if i["status"] == "running")


def test_nodes_get_loopback_addresses_and_running_instances_a_screen(vnc_sim):
    nodes = vnc_sim.request("GET", "/2/nodes?bulk=1")[1]
    network = vnc_sim.control("GET", "vnc")["network"]
    prefix = network.rsplit(".", 1)[0] + "."
    assert all(node["pip"].startswith(prefix) and node["sip"] == node["pip"] for node in nodes)
    instances = vnc_sim.request("GET", "/2/instances?bulk=1")[1]
    running = {i["name"] for i in instances if i["status"] == "running"}
    assert running and set(screens(vnc_sim)) == running
    pips = {node["name"]: node["pip"] for node in nodes}
    for inst in instances:
        if inst["name"] in running:
            screen = screens(vnc_sim)[inst["name"]]
            assert (screen["address"], screen["port"]) == (pips[inst["pnode"]], inst["network_port"])


def test_handshake_framebuffer_update_and_key_events(vnc_sim):
    inst = running_instance(vnc_sim)
    screen = screens(vnc_sim)[inst["name"]]
    sock, width, height, name = rfb_connect(screen["address"], screen["port"])
    with sock:
        assert (width, height) == (640, 400) and inst["name"] in name
        sock.sendall(struct.pack(">BxHi", 2, 1, 0))  # SetEncodings: Raw
        sock.sendall(struct.pack(">BBHHHH", 3, 0, 0, 0, width, height))  # full update
        [(x, y, w, h, pixels)] = read_update(sock)
        assert (x, y, w, h) == (0, 0, width, height)
        colours = {pixels[i:i + 3] for i in range(0, len(pixels), 4 * 97)}
        assert len(colours) >= 5, "the screen is drawn: background, text, clock, colour stripes"
        # Ctrl-Alt-Del, as a viewer sends it: three downs and three ups
        for down, keysym in [(1, 0xFFE3), (1, 0xFFE9), (1, 0xFFFF), (0, 0xFFFF), (0, 0xFFE9), (0, 0xFFE3)]:
            sock.sendall(struct.pack(">BBxxI", 4, down, keysym))
        wait_for(lambda: len(screens(vnc_sim)[inst["name"]]["key_events"]) >= 6)
        assert screens(vnc_sim)[inst["name"]]["key_events"][-6:] == [
            [True, 0xFFE3], [True, 0xFFE9], [True, 0xFFFF], [False, 0xFFFF], [False, 0xFFE9], [False, 0xFFE3]]
        # an incremental update brings the changed rows only (the typed keys, the clock)
        sock.sendall(struct.pack(">BBHHHH", 3, 1, 0, 0, width, height))
        [(x, y, w, h, _pixels)] = read_update(sock)
        assert w == width and 0 < h < height


def test_client_pixel_format_is_honoured(vnc_sim):
    inst = running_instance(vnc_sim)
    screen = screens(vnc_sim)[inst["name"]]
    sock, width, height, _name = rfb_connect(screen["address"], screen["port"])
    with sock:
        # noVNC's format: 32 bpp, little-endian, red in the low byte
        sock.sendall(struct.pack(">B3xBBBBHHHBBB3x", 0, 32, 24, 0, 1, 255, 255, 255, 0, 8, 16))
        sock.sendall(struct.pack(">BBHHHH", 3, 0, 0, 0, width, height))
        rects = read_update(sock)
        pixels = rects[0][4]
        # the bottom stripes start with red (230, 25, 75): low byte first
        offset = ((height - 1) * width + 2) * 4
        assert pixels[offset:offset + 3] == bytes([230, 25, 75])


def test_a_malformed_message_ends_that_connection_only(vnc_sim):
    inst = running_instance(vnc_sim)
    screen = screens(vnc_sim)[inst["name"]]
    sock, _width, _height, _name = rfb_connect(screen["address"], screen["port"])
    with sock:
        sock.sendall(struct.pack(">B3xBBBBHHHBBB3x", 0, 7, 7, 0, 1, 1, 1, 1, 0, 1, 2))  # 7 bits per pixel
        assert sock.recv(1) == b"", "the server closes the connection"
    sock, width, height, _name = rfb_connect(screen["address"], screen["port"])
    with sock:
        sock.sendall(struct.pack(">BBHHHH", 3, 0, 0, 0, width, height))
        assert read_update(sock)[0][:4] == (0, 0, width, height)


def test_screens_follow_shutdown_and_startup(vnc_sim):
    inst = running_instance(vnc_sim)
    screen = screens(vnc_sim)[inst["name"]]
    vnc_sim.run_job("PUT", f"/2/instances/{inst['name']}/shutdown", {})
    wait_for(lambda: inst["name"] not in screens(vnc_sim))
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((screen["address"], screen["port"]), timeout=5)
    vnc_sim.run_job("PUT", f"/2/instances/{inst['name']}/startup", {})
    wait_for(lambda: inst["name"] in screens(vnc_sim))
    rfb_connect(screen["address"], screen["port"])[0].close()


def test_console_answer_follows_kvm_precedence(vnc_sim):
    inst = running_instance(vnc_sim)
    name = inst["name"]
    assert vnc_sim.request("GET", f"/2/instances/{name}/console")[1]["kind"] == "vnc"
    vnc_sim.run_job("PUT", f"/2/instances/{name}/modify", {"hvparams": {"serial_console": True}})
    console = vnc_sim.request("GET", f"/2/instances/{name}/console")[1]
    assert console["kind"] == "ssh" and console["user"] == "root" and console["host"] == inst["pnode"]
    vnc_sim.run_job("PUT", f"/2/instances/{name}/modify",
                    {"hvparams": {"serial_console": False, "vnc_bind_address": ""}})
    assert vnc_sim.request("GET", f"/2/instances/{name}/console")[1] == {
        "instance": name, "kind": "msg", "message": f"No serial shell for instance {name}"}
