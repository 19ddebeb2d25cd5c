"""`warehouse dashboards --open`: serve the static site on localhost only."""

from __future__ import annotations

import functools
import http.server
from pathlib import Path


def make_server(site_dir: Path, port: int) -> http.server.ThreadingHTTPServer:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site_dir))
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
