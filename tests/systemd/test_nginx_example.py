"""config/nginx-carwatch.conf: nginx accepts it, and a real nginx in front of a stand-in API redirects to
HTTPS, forwards the client's address and scheme, adds the security headers and refuses big uploads."""

from __future__ import annotations

import http.client
import http.server
import os
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest

from tests.services import port_open
from tests.storage.factories import free_port
from tests.systemd.tools import require_tool

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "nginx-carwatch.conf"


class Upstream(http.server.BaseHTTPRequestHandler):
    """A stand-in for the API: JSON with the API's own security header, and an event stream that sends one
    event, then waits for ``release`` before the second."""

    seen: ClassVar[list[dict[str, str]]] = []
    release: ClassVar[threading.Event] = threading.Event()

    def do_GET(self) -> None:
        type(self).seen.append({k.lower(): v for k, v in self.headers.items()} | {"path": self.path})
        if self.path == "/api/events/stream":
            self._stream()
            return
        body = b'{"success": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Frame-Options", "DENY")
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET

    def _stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        self.wfile.write(b"data: one\n\n")
        self.wfile.flush()
        type(self).release.wait(20)
        self.wfile.write(b"data: two\n\n")

    def log_message(self, format: str, *args: object) -> None:
        pass


@dataclass(frozen=True)
class Proxy:
    http_port: int
    https_port: int


def site_config(folder: Path, upstream_port: int, http_port: int, https_port: int) -> Path:
    """The example with test ports and a throw-away certificate (and no IPv6 listeners: CI may lack IPv6)."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=carwatch.example.lan", "-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem")],
                   check=True, capture_output=True)
    text = EXAMPLE.read_text()
    text = text.replace("/etc/ssl/certs/carwatch.example.lan.crt", str(folder / "cert.pem"))
    text = text.replace("/etc/ssl/private/carwatch.example.lan.key", str(folder / "key.pem"))
    text = text.replace("server 127.0.0.1:8080;", f"server 127.0.0.1:{upstream_port};")
    text = text.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
    text = text.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
    text = "\n".join(line for line in text.splitlines() if "listen [::]" not in line)
    text = text.replace("return 301 https://$host$request_uri;", f"return 301 https://$host:{https_port}$request_uri;")
    (folder / "site.conf").write_text(text)
    user = "user root;\n" if os.geteuid() == 0 else ""
    main = folder / "nginx.conf"
    main.write_text(f"{user}daemon off;\npid {folder}/nginx.pid;\nerror_log {folder}/error.log;\nevents {{}}\n"
                    f"http {{\n access_log off;\n client_body_temp_path {folder}/body;\n"
                    f" proxy_temp_path {folder}/proxy;\n include {folder}/site.conf;\n}}\n")
    return main


def test_nginx_accepts_the_example(tmp_path: Path) -> None:
    nginx = require_tool("nginx", "nginx-light")
    main = site_config(tmp_path, 8080, 80, 443)
    result = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(main)], check=False, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


@pytest.fixture
def proxy(tmp_path: Path) -> Iterator[Proxy]:
    nginx = require_tool("nginx", "nginx-light")
    Upstream.seen = []
    Upstream.release = threading.Event()
    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    thread = threading.Thread(target=upstream.serve_forever, name="upstream-api", daemon=True)
    thread.start()
    ports = Proxy(free_port(), free_port())
    main = site_config(tmp_path, upstream.server_address[1], ports.http_port, ports.https_port)
    process = subprocess.Popen([nginx, "-p", str(tmp_path), "-c", str(main)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not port_open(("127.0.0.1", ports.https_port), timeout=0.2):
            assert process.poll() is None, (tmp_path / "error.log").read_text()
            assert time.monotonic() < deadline, "nginx did not start"
            time.sleep(0.05)
        yield ports
    finally:
        Upstream.release.set()
        process.terminate()
        process.wait(10)
        upstream.shutdown()
        upstream.server_close()
        thread.join(5)


def https(port: int) -> http.client.HTTPSConnection:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)


def test_plain_http_redirects(proxy: Proxy) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", proxy.http_port, timeout=10)
    connection.request("GET", "/api/history?page=2", headers={"Host": "carwatch.example.lan"})
    answer = connection.getresponse()
    assert answer.status == 301
    assert answer.getheader("Location") == f"https://carwatch.example.lan:{proxy.https_port}/api/history?page=2"
    assert Upstream.seen == []


def test_https_forwards_and_adds_headers(proxy: Proxy) -> None:
    connection = https(proxy.https_port)
    connection.request("GET", "/api/history", headers={"Host": "carwatch.example.lan",
                                                       "X-Forwarded-For": "6.6.6.6"})  # forged: replaced
    answer = connection.getresponse()
    assert answer.status == 200 and answer.read() == b'{"success": true}'
    assert answer.getheader("Strict-Transport-Security") == "max-age=31536000"
    assert answer.getheader("Permissions-Policy") == "camera=(), microphone=(), geolocation=()"
    assert answer.headers.get_all("X-Frame-Options") == ["DENY"]  # the API's own, not doubled
    assert "nginx/" not in (answer.getheader("Server") or "")
    seen = Upstream.seen[-1]
    assert seen["x-forwarded-for"] == "127.0.0.1"
    assert seen["x-forwarded-proto"] == "https"
    assert seen["host"] == "carwatch.example.lan" and seen["path"] == "/api/history"


def test_event_stream_is_not_buffered(proxy: Proxy) -> None:
    connection = https(proxy.https_port)
    connection.request("GET", "/api/events/stream", headers={"Accept": "text/event-stream"})
    answer = connection.getresponse()
    assert answer.status == 200
    assert answer.getheader("Strict-Transport-Security") == "max-age=31536000"
    # The first event arrives while the stream is still open (a buffering proxy would hold it back).
    assert answer.readline() == b"data: one\n"
    Upstream.release.set()
    assert answer.read().startswith(b"\ndata: two")


def test_health_is_proxied(proxy: Proxy) -> None:
    connection = https(proxy.https_port)
    connection.request("GET", "/health")
    answer = connection.getresponse()
    assert answer.status == 200
    answer.read()
    assert answer.getheader("Strict-Transport-Security") == "max-age=31536000"  # every location


def test_uploads_over_16_megabytes_are_refused(proxy: Proxy) -> None:
    connection = https(proxy.https_port)
    connection.putrequest("POST", "/api/upload_image")
    connection.putheader("Content-Length", str(17 * 1024 * 1024))
    connection.putheader("Content-Type", "image/jpeg")
    connection.endheaders()
    answer = connection.getresponse()
    assert answer.status == 413
    assert not [s for s in Upstream.seen if s["path"] == "/api/upload_image"]
