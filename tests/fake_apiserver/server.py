"""HTTP plumbing: a threaded HTTP/1.1 server on loopback that hands requests to the Api."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from .wire import Request, Response, Stream
from .faults import REASONS
from .logs import CutStream
from .validation import ApiError


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-apiserver/1"

    def log_message(self, format, *args):  # keep test output quiet
        pass

    def _request(self) -> Request:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        return Request(self.command, url.path, query, url.query, body, self.headers.get("Content-Type", ""),
                       self.headers.get("Accept", ""))

    def _serve(self) -> None:
        cluster = self.server.cluster
        req = self._request()
        cluster.requests.append((req.method, req.path, req.raw_query))
        fault = cluster.faults.take_http(req.method, req.path, req.raw_query)
        if fault and fault.delay:
            time.sleep(fault.delay)
        if fault and fault.status:
            error = ApiError(fault.status, REASONS.get(fault.status, "InternalError"),
                             fault.message or f"injected fault: HTTP {fault.status}")
            result = Response(fault.status, error.body())
        else:
            try:
                result = cluster.api.handle(req)
            except Exception as e:  # a bug in the fake: answer like a real server's 500, keep serving
                cluster.errors.append(e)
                result = Response(500, ApiError(500, "InternalError", f"fake apiserver error: {e!r}").body())
        try:
            if isinstance(result, Stream):
                self._stream(result)
            else:
                self._respond(result)
        except (BrokenPipeError, ConnectionResetError, CutStream):
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def _respond(self, result: Response) -> None:
        body = result.body if isinstance(result.body, bytes) else json.dumps(result.body).encode()
        self.send_response(result.code)
        self.send_header("Content-Type", result.content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in result.headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _stream(self, result: Stream) -> None:
        self.send_response(200)
        self.send_header("Content-Type", result.content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()
        chunks = iter(result.chunks)
        try:
            for chunk in chunks:
                if not chunk:  # an empty chunk would end the stream
                    continue
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.flush()
        except CutStream:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        finally:
            close = getattr(chunks, "close", None)
            if close:
                close()
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, cluster):
        super().__init__(("127.0.0.1", 0), Handler)
        self.cluster = cluster
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.1},
                                       name="fake-apiserver", daemon=True)

    def handle_error(self, request, client_address) -> None:
        """A client that drops its connection is normal; anything else is a bug in the fake."""
        import sys
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)):
            return
        self.cluster.errors.append(error)
        super().handle_error(request, client_address)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"
