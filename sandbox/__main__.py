"""`python -m sandbox serve|stop|status --dir DIR`: run the sandbox in the foreground or manage a detached one."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from sandbox import daemon, server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox")
    parser.add_argument("command", choices=["serve", "stop", "status"])
    parser.add_argument("--dir", required=True, type=Path, help="the sandbox directory (state, certificates, logs)")
    parser.add_argument("--foreground", action="store_true", help="serve in this process until SIGTERM/SIGINT")
    parser.add_argument("--parent-pid", type=int, help="with --foreground: stop when this process is gone")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if args.command == "serve" and args.foreground:
        server.serve(args.dir, args.parent_pid)
        return 0
    if args.command == "serve":
        info = daemon.start_daemon(args.dir)
    elif args.command == "stop":
        return 0 if daemon.stop_daemon(args.dir) else 1
    else:
        found = daemon.status(args.dir)
        if found is None:
            return 1
        info = found
    sys.stdout.write(json.dumps({"instance": info["instance"], "pid": info["pid"], "endpoints": info["endpoints"]},
                                indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
