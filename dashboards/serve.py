"""`warehouse dashboards --open`: serve the static site on localhost only."""

from __future__ import annotations

import functools
import http.server
from pathlib import Path


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass  # one line per request would bury the link


def make_server(site_dir: Path, port: int) -> http.server.ThreadingHTTPServer:
    # the site is a symlink switched by every build: the handler resolves it on each request, so
    # a rebuild while serving shows the new version from the next page load
    handler = functools.partial(_Quiet, directory=str(site_dir))
    return http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)


def serve_forever(site_dir: Path, port: int) -> None:
    server = make_server(site_dir, port)
    print(f"dashboards on http://127.0.0.1:{server.server_address[1]}/index.html (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
