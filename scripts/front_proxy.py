"""make run's front door: one address for the browser in front of Odoo's multi-process server.

With workers, Odoo serves pages from its HTTP workers and live notifications (``/websocket``)
from a process of its own on another port; in production a reverse proxy (nginx) joins them
under one address (README, "Deploying"). This does the same on loopback for ``make run``: each
connection goes, by the path of its first request, to the live-notification port or to the
workers' port, then its bytes are relayed both ways untouched.

    python3 scripts/front_proxy.py --port 8069 --http-port 8169 --websocket-port 8072
"""

import argparse
import asyncio
import contextlib

HEAD_LIMIT = 65536  # bytes of a request's line and headers


async def relay(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


async def serve(reader, writer, http_port, websocket_port):
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        writer.close()
        return
    path = head.split(b" ", 2)[1] if head.count(b" ") >= 2 else b"/"
    port = websocket_port if path.startswith(b"/websocket") else http_port
    try:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        writer.close()
        return
    up_writer.write(head)
    await asyncio.gather(relay(reader, up_writer), relay(up_reader, writer))


async def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--http-port", type=int, required=True)
    parser.add_argument("--websocket-port", type=int, required=True)
    args = parser.parse_args()
    server = await asyncio.start_server(
        lambda r, w: serve(r, w, args.http_port, args.websocket_port), args.host, args.port,
        limit=HEAD_LIMIT)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
