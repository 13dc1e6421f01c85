"""A real HTTP server for the download tests: serves a folder on 127.0.0.1, with Range support and faults.

Use the ``http_server`` fixture (import it into a test module) and lay files out as on the real
servers with :meth:`FileServer.put`. Faults, switched per path:

* ``drop_once[path] = fraction``: the next answer sends that share of the body, then closes the
  connection (once);
* ``missing.add(path)``: HTTP 404;
* ``corrupt.add(path)``: bytes in the middle of the body are altered (the format stays plausible,
  the checksum does not);
* ``ignore_range = True``: requests with ``Range`` get the whole file (``200``), as from a server
  without Range support;
* ``slow[path] = seconds``: the body is sent 16 KB at a time, that long apart (a download to kill
  halfway).

Every request is logged in ``log`` as ``(path, range header, status)``.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest


@dataclass
class FileServer:
    """The served folder, its address and the fault switches."""

    root: Path
    base: str
    drop_once: dict[str, float] = field(default_factory=dict)
    missing: set[str] = field(default_factory=set)
    corrupt: set[str] = field(default_factory=set)
    ignore_range: bool = False
    slow: dict[str, float] = field(default_factory=dict)
    log: list[tuple[str, str, int]] = field(default_factory=list)

    def url(self, path: str) -> str:
        """Address of a served path (``europe/france/bretagne-latest.osm.pbf``)."""
        return self.base + path.lstrip("/")

    def put(self, path: str, content: Path | bytes) -> Path:
        """Serve a copy of a file (or bytes) at ``path``."""
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            shutil.copyfile(content, target)
        return target


def corrupted(data: bytes) -> bytes:
    """The bytes with 64 of them, in the middle, inverted."""
    middle = len(data) // 2
    return data[:middle] + bytes(b ^ 0xFF for b in data[middle:middle + 64]) + data[middle + 64:]


class _Handler(BaseHTTPRequestHandler):
    server_version = "access30-test"

    def log_message(self, format, *args):  # noqa: A002 - silent server
        pass

    def do_HEAD(self):  # noqa: N802 - http.server naming
        self._serve(send_body=False)

    def do_GET(self):  # noqa: N802
        self._serve(send_body=True)

    def _serve(self, send_body: bool) -> None:
        files: FileServer = self.server.files
        rel = unquote(urlsplit(self.path).path).lstrip("/")
        path = files.root / rel
        range_header = self.headers.get("Range", "")
        if rel in files.missing or not path.is_file():
            files.log.append((rel, range_header, 404))
            self.send_error(404, "Not Found")
            return
        data = path.read_bytes()
        if rel in files.corrupt:
            data = corrupted(data)
        stat = path.stat()
        etag = f'"{stat.st_size:x}-{stat.st_mtime_ns:x}"'
        modified = formatdate(stat.st_mtime, usegmt=True)
        status, body, content_range = self._ranged(files, data, range_header, etag, modified)
        files.log.append((rel, range_header, status))
        if status == 416:
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{len(data)}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", modified)
        if content_range:
            self.send_header("Content-Range", content_range)
        self.end_headers()
        if send_body:
            self._write_body(files, rel, body)

    def _ranged(self, files: FileServer, data: bytes, range_header: str, etag: str, modified: str):
        """Status, body and Content-Range of the answer (206 for a satisfiable Range)."""
        if_range = self.headers.get("If-Range")
        use_range = (range_header.startswith("bytes=") and not files.ignore_range
                     and (if_range is None or if_range in (etag, modified)))
        if not use_range:
            return 200, data, ""
        first, _, last = range_header[6:].partition("-")
        start = int(first)
        end = min(int(last), len(data) - 1) if last else len(data) - 1
        if start >= len(data):
            return 416, b"", ""
        return 206, data[start:end + 1], f"bytes {start}-{end}/{len(data)}"

    def _write_body(self, files: FileServer, rel: str, body: bytes) -> None:
        fraction = files.drop_once.pop(rel, None)
        if rel in files.slow:
            for start in range(0, len(body), 16_384):
                try:
                    self.wfile.write(body[start:start + 16_384])
                    self.wfile.flush()
                except OSError:  # the client was killed
                    return
                time.sleep(files.slow[rel])
            return
        if fraction is None:
            self.wfile.write(body)
            return
        self.wfile.write(body[:int(len(body) * fraction)])
        self.wfile.flush()
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def http_server(tmp_path_factory):
    """A :class:`FileServer` running on 127.0.0.1 (a free port) for the test."""
    root = tmp_path_factory.mktemp("served")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.files = FileServer(root, f"http://127.0.0.1:{server.server_address[1]}/")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.files
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def closed_port() -> int:
    """A local port nothing listens on (a connection to it is refused at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def touch_later(path: Path, seconds: int = 10) -> None:
    """Move a file's modification time forward (a new version on the server)."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + seconds * 1_000_000_000))
