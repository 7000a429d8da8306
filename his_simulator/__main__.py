"""Command line: ``python -m his_simulator --port 8899 --api-key demo-his-key``."""

from __future__ import annotations

import argparse
import sys

from his_simulator.server import make_server
from his_simulator.store import Store, StoreError


def _ratio(text):
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return value


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m his_simulator",
        description="Simulated hospital HIS serving Isc accounts and booking orders.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8899, help="port (0 picks a free one)")
    parser.add_argument("--api-key", default="demo-his-key", help="expected X-Api-Key")
    parser.add_argument("--patients", type=int, default=1000, help="patients to seed")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the data")
    parser.add_argument("--accounts-ratio", type=_ratio, default=0.9,
                        help="share of patients with an Isc account (patients 1-10 always)")
    parser.add_argument("--anchor", default=None,
                        help="ISO date-time the 30 days of account updates end at "
                             "(default: now, truncated to the hour)")
    parser.add_argument("--quiet", action="store_true", help="do not log each request")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.patients < 0:
        print("--patients must not be negative", file=sys.stderr)
        return 2
    try:
        store = Store(args.patients, args.seed, args.accounts_ratio, args.anchor)
    except StoreError as exc:
        print(exc.message, file=sys.stderr)
        return 2
    server = make_server(args.host, args.port, store, args.api_key, quiet=args.quiet)
    print(f"HIS simulator listening on {server.base_url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
