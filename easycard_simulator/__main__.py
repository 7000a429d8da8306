"""Command line: ``python -m easycard_simulator --port 8898 --terminal <uuid> --private-key k``."""

from __future__ import annotations

import argparse
import sys
import threading
import uuid

from easycard_simulator.server import make_server
from easycard_simulator.store import DEFAULT_TOKEN_TTL

DEMO_TERMINAL = "6f1ee8e2-7c57-4b8e-9d33-3a9f7f2a1c01"
AUTO_WEBHOOK_SECONDS = 1.0


def _terminal(text):
    try:
        return str(uuid.UUID(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError("must be a UUID, as EasyCard terminal ids are") from exc


def _header(text):
    name, colon, value = text.partition(":")
    if not (colon and name.strip() and value.strip()):
        raise argparse.ArgumentTypeError("must be NAME:VALUE")
    return name.strip(), value.strip()


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m easycard_simulator",
        description="Simulated EasyCard terminal: identity, API, metadata and hosted checkout.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8898, help="port (0 picks a free one)")
    parser.add_argument("--terminal", type=_terminal, default=DEMO_TERMINAL,
                        help="the terminal id (a UUID)")
    parser.add_argument("--private-key", default="demo-easycard-key",
                        help="the terminal private key clients exchange for a token")
    parser.add_argument("--allowed-redirect", action="extend", nargs="+", default=[],
                        metavar="URL",
                        help="Checkout Redirect URL bases a redirectUrl must start with "
                             "(none given: any URL)")
    parser.add_argument("--token-ttl", type=int, default=DEFAULT_TOKEN_TTL,
                        help="access token lifetime in seconds")
    parser.add_argument("--webhook-header", type=_header, default=None, metavar="NAME:VALUE",
                        help="the static header sent with every webhook")
    parser.add_argument("--auto-webhook", default=None, metavar="URL",
                        help="deliver queued webhooks to URL every second (manual QA)")
    parser.add_argument("--public-url", default=None,
                        help="base of the checkout links (default: the address served)")
    parser.add_argument("--quiet", action="store_true", help="do not log each request")
    return parser


def _deliver_forever(server, url, stop):
    while not stop.wait(AUTO_WEBHOOK_SECONDS):
        server.deliver_webhooks(url)


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.token_ttl < 1:
        print("--token-ttl must be positive", file=sys.stderr)
        return 2
    server = make_server(args.host, args.port, args.terminal, args.private_key,
                         args.allowed_redirect, args.token_ttl, args.webhook_header,
                         args.public_url, quiet=args.quiet)
    print(f"EasyCard simulator listening on {server.base_url}", flush=True)
    stop = threading.Event()
    if args.auto_webhook:
        threading.Thread(target=_deliver_forever, args=(server, args.auto_webhook, stop),
                         daemon=True).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
