"""python -m localcloud.runner: serve MiniStack's proxied invocations until SIGTERM."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path

from localcloud.runner.catalog import Catalog
from localcloud.runner.devloop import FILE_NAME as DEVLOOP_FILE_NAME
from localcloud.runner.devloop import DevLoop
from localcloud.runner.logship import LogShipper
from localcloud.runner.server import Invoker, serve
from localcloud.runner.workers import Pool


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--endpoint", required=True, help="the local cloud's endpoint URL")
    parser.add_argument("--python", required=True, help="interpreter of the Lambda runtime's version")
    parser.add_argument("--runtime", default="python3.12")
    parser.add_argument("--runtime-sdk", type=Path, required=True)
    parser.add_argument("--code-root", type=Path, required=True)
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument(
        "--max-workers",
        type=int,
        default=2 * (os.cpu_count() or 1),
        help="execution environments per function without reserved concurrency (default 2 x cores)",
    )
    args = parser.parse_args(argv)

    args.code_root.mkdir(parents=True, exist_ok=True)
    shipper = LogShipper(args.endpoint, args.region)
    pool = Pool(args.python, args.runtime, args.runtime_sdk, args.region, args.endpoint, shipper, args.max_workers)
    # make watch / make debug leave their state beside the code folder, in the instance's folder.
    devloop = DevLoop(args.code_root.parent / DEVLOOP_FILE_NAME)
    catalog = Catalog(args.endpoint, args.region, args.code_root, overlay=devloop.apply)
    server = serve(args.port, Invoker(catalog, pool, shipper))

    def stop(*_: object) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        server.serve_forever()
    finally:
        pool.shutdown()
        shipper.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
