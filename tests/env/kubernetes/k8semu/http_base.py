"""The HTTP layer: TLS handshake per connection, authentication (bearer token or a client
certificate signed by the emulator's CA), JSON and chunked responses, request bodies,
and the counters the benchmarks read from /emulator/stats.

Thread-safe: ThreadingHTTPServer gives each connection its own handler thread; the
shared counters sit behind a lock.
"""
import collections
import json
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from .errors import ApiError

MAX_BODY = 3 * 1024 * 1024  # the API server's limit for a request body


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self, address, handler, ctx, token, app):
        super().__init__(address, handler)
        self.ctx, self.token, self.app = ctx, token, app
        self.stats_lock = threading.Lock()
        self.stats = collections.Counter()

    def get_request(self):
        sock, addr = self.socket.accept()
        # The handshake runs on the connection's own thread (setup), never in accept().
        return self.ctx.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr


class BaseHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "cuttle-k8s-emulator"

    def setup(self):
        super().setup()
        try:
            self.connection.do_handshake()
        except (ssl.SSLError, OSError):
            self.close_connection = True
            self.rfile = self.wfile = None

    def handle(self):
        if self.rfile is None:
            return
        try:
            super().handle()
        except (ConnectionError, ssl.SSLError, TimeoutError):
            pass

    def log_message(self, fmt, *args):
        if self.server.app.verbose:
            super().log_message(fmt, *args)

    # --- request --------------------------------------------------------------------
    def parse(self):
        self._body = None
        parts = urlsplit(self.path)
        self.route = parts.path
        self.query = {k: v for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        self.warnings = []

    def q(self, name, default=None):
        values = self.query.get(name)
        return values[-1] if values else default

    def authenticated(self):
        header = self.headers.get("Authorization", "")
        if header == f"Bearer {self.server.token}":
            return "token"
        try:
            cert = self.connection.getpeercert()
        except (ValueError, AttributeError):
            cert = None
        if cert:
            return "certificate"
        return None

    def body(self):
        """The request body, read once (later calls return the same bytes)."""
        if getattr(self, "_body", None) is None:
            self._body = self._read_body()
        return self._body

    def _read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                data += self.rfile.read(size)
                self.rfile.readline()
                if len(data) > MAX_BODY:
                    self.close_connection = True
                    self._body = b""
                    raise ApiError(413, f"Request entity too large: limit is {MAX_BODY}",
                                   "RequestEntityTooLarge")
            return data
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._body = b""
            self._discard(length)
            raise ApiError(413, f"Request entity too large: limit is {MAX_BODY}",
                           "RequestEntityTooLarge")
        return self.rfile.read(length) if length else b""

    def _discard(self, length):
        """Reads and drops an oversized body, so the client reads our 413, not a reset."""
        if length > 16 * MAX_BODY:
            self.close_connection = True
            return
        while length > 0:
            chunk = self.rfile.read(min(length, 1 << 20))
            if not chunk:
                break
            length -= len(chunk)

    def json_body(self, required=True):
        data = self.body()
        if not data.strip():
            if required:
                raise ApiError(400, "the request body is empty; a JSON object is required")
            return None
        ctype = self.headers.get("Content-Type", "application/json")
        if "yaml" in ctype and "apply-patch" not in ctype:
            raise ApiError(415, "the emulator accepts JSON bodies only (got "
                                f"Content-Type {ctype})", "UnsupportedMediaType")
        try:
            return json.loads(data)
        except (ValueError, RecursionError) as e:
            raise ApiError(400, f"couldn't get version/kind; json parse error: {e}")

    # --- response -------------------------------------------------------------------
    def count(self, key):
        with self.server.stats_lock:
            self.server.stats[key] += 1

    def send_json(self, code, obj, headers=None):
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache, private")
        for value in self.warnings:
            self.send_header("Warning", f'299 - "{value}"')
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def send_error_status(self, err):
        self.send_json(err.code, err.status(), err.headers)

    def start_chunked(self, ctype="application/json"):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()

    def chunk(self, data):
        if data:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

    def end_chunked(self):
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()
