"""`python -m allegro_emulator --port 8001 [--state PATH] [--latency-ms N] [--host 127.0.0.1]`"""

from __future__ import annotations

import argparse
import sys

from . import app, server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="allegro_emulator", description="Offline Allegro REST API emulator")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--state", default="var/emulator.sqlite3", help="SQLite state file (kept across restarts)")
    parser.add_argument("--latency-ms", type=int, default=None, help="sleep this long on every API request")
    args = parser.parse_args(argv)
    app.init(args.state, latency_ms=args.latency_ms)
    httpd = server.Server((args.host, args.port), server.Handler)
    print(f"Allegro emulator on http://{args.host}:{httpd.server_address[1]} (state: {args.state})", flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()
    sys.exit(0)


if __name__ == "__main__":
    main()
