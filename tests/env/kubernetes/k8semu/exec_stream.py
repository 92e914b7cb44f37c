"""`pods/exec` over WebSocket with the channel protocols kubectl speaks
(v5.channel.k8s.io, v4.channel.k8s.io; base64 variants are not offered): every binary
message starts with a channel byte — 0 stdin, 1 stdout, 2 stderr, 3 the final Status,
4 terminal resize, 255 (v5) "close this channel" — and runs the command with
`podman exec` in the pod's container.

Thread-safe per connection: one reader thread (client -> stdin), two pump threads
(stdout/stderr -> client) and a lock around socket writes.
"""
import base64
import hashlib
import json
import struct
import subprocess
import threading

PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")
_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def choose_protocol(header):
    offered = [p.strip() for p in (header or "").split(",")]
    for proto in PROTOCOLS:
        if proto in offered:
            return proto
    return None


def accept_key(key):
    return base64.b64encode(hashlib.sha1((key + _GUID).encode()).digest()).decode()


class WebSocket:
    def __init__(self, rfile, sock):
        self.rfile, self.sock = rfile, sock
        self.lock = threading.Lock()

    def send(self, payload, opcode=2):
        header = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            header += bytes([n])
        elif n < 65536:
            header += bytes([126]) + struct.pack("!H", n)
        else:
            header += bytes([127]) + struct.pack("!Q", n)
        with self.lock:
            self.sock.sendall(header + payload)

    def receive(self):
        """Returns (opcode, payload) of the next whole message, or (None, b"") at EOF."""
        data, first_op = b"", None
        while True:
            head = self.rfile.read(2)
            if len(head) < 2:
                return None, b""
            fin, opcode = head[0] & 0x80, head[0] & 0x0F
            masked, n = head[1] & 0x80, head[1] & 0x7F
            if n == 126:
                n = struct.unpack("!H", self.rfile.read(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self.rfile.read(8))[0]
            mask = self.rfile.read(4) if masked else b"\0\0\0\0"
            raw = self.rfile.read(n)
            payload = _unmask(raw, mask) if masked else raw
            if opcode >= 8:  # control frames may interleave with fragments
                if opcode == 9:
                    self.send(payload, 10)
                    continue
                if opcode == 10:
                    continue
                return opcode, payload
            first_op = first_op if first_op is not None else opcode
            data += payload
            if fin:
                return first_op, data


def _unmask(raw, mask):
    # One big-integer XOR instead of a Python loop per byte: staging sends 100 MiB.
    n = len(raw)
    if n == 0:
        return raw
    key = (mask * (n // 4 + 1))[:n]
    return (int.from_bytes(raw, "big") ^ int.from_bytes(key, "big")).to_bytes(n, "big")


def _status(code):
    if code == 0:
        return {"metadata": {}, "status": "Success"}
    return {"metadata": {}, "status": "Failure",
            "message": f"command terminated with non-zero exit code: error executing "
                       f"command, exit status {code}",
            "reason": "NonZeroExitCode",
            "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]}}


def run_exec(ws, protocol, argv, want_stdin, want_stdout, want_stderr):
    """Runs argv (a podman exec line), relaying the channels until it ends."""
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE if want_stdin else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def pump(stream, channel, wanted):
        while True:
            chunk = stream.read1(32768) if hasattr(stream, "read1") else stream.read(32768)
            if not chunk:
                return
            if wanted:
                try:
                    ws.send(bytes([channel]) + chunk)
                except OSError:
                    return
    pumps = [threading.Thread(target=pump, args=(proc.stdout, 1, want_stdout), daemon=True),
             threading.Thread(target=pump, args=(proc.stderr, 2, want_stderr), daemon=True)]
    for t in pumps:
        t.start()

    def read_client():
        while True:
            opcode, msg = ws.receive()
            if opcode is None or opcode == 8:
                break
            if not msg:
                continue
            channel, data = msg[0], msg[1:]
            if channel == 0 and proc.stdin:
                try:
                    proc.stdin.write(data)
                    proc.stdin.flush()
                except (BrokenPipeError, ValueError):
                    pass
            elif channel == 255 and protocol.startswith("v5") and data[:1] == b"\0":
                if proc.stdin:
                    proc.stdin.close()
        if proc.stdin and not proc.stdin.closed:
            try:
                proc.stdin.close()
            except BrokenPipeError:
                pass
    reader = threading.Thread(target=read_client, daemon=True)
    reader.start()
    code = proc.wait()
    for t in pumps:
        t.join()
    try:
        ws.send(bytes([3]) + json.dumps(_status(code)).encode())
        ws.send(struct.pack("!H", 1000), 8)
    except OSError:
        pass
