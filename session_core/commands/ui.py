"""``ui``: serve the run browser, a read-only page over the store, on 127.0.0.1."""

from __future__ import annotations

import argparse
import sys

HELP = "browse the run history in a read-only web page (127.0.0.1 only unless --bind)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=8765, help="port to serve on (0: any free port; default 8765)")
    parser.add_argument("--open", action="store_true", help="open the page in the default web browser")
    parser.add_argument(
        "--bind",
        metavar="ADDRESS",
        help="serve on this address instead of 127.0.0.1 (anyone who can reach it reads the history)",
    )


def main(args: argparse.Namespace) -> int:
    from ..ui.server import LOOPBACK, make_server
    from ._common import open_store

    host = args.bind or LOOPBACK
    if host != LOOPBACK:
        print(
            f"warning: serving on {host}, not 127.0.0.1: anyone who can reach this address can read "
            "the run history (there is no login)",
            file=sys.stderr,
        )
    with open_store(args, create=False) as store:
        try:
            server = make_server(store, host, args.port)
        except OSError as exc:
            print(f"error: cannot serve on {host}:{args.port}: {exc.strerror or exc}; pick another --port", file=sys.stderr)
            return 1
        print(f"serving {store.location} at {server.url} (Ctrl-C to stop)", file=sys.stderr, flush=True)
        if args.open:
            import webbrowser

            webbrowser.open(server.url)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
    return 0
