"""Benchmark: ``access30 download`` through a mirror, the second run (« déjà en cache »), offline failures.

Usage: ``python scripts/bench_download.py [--quick] [--repeat 5]``. A local HTTP server serves the demo
extract where Geofabrik serves Brittany (``europe/france/bretagne-latest.osm.pbf``) and is set as the
mirror; the cache is a temporary folder. Measured: the first download, the second run in the process
(what « déjà en cache » costs), the same as a whole command (Python start and imports included), and
the five sources failing offline (a refused connection). Prints a Markdown table (median of
``--repeat`` runs; one with ``--quick``); the last line is ``cached_second_run_s: X``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PBF = REPO.parent / "shared" / "data" / "osm" / "st_brieuc_loudeac.osm.pbf"
REGION = "europe/france/bretagne-latest.osm.pbf"


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - silent server
        pass


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def timed(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="one run per step (a smoke test)")
    args = parser.parse_args()
    repeat = 1 if args.quick else args.repeat
    from access30.cli import main as access30

    work = Path(tempfile.mkdtemp(prefix="bench_download_"))
    served = work / "served"
    (served / REGION).parent.mkdir(parents=True)
    shutil.copyfile(PBF, served / REGION)
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(served)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    mirror = f"http://127.0.0.1:{server.server_address[1]}/"
    cache = work / "cache"
    os.environ.update({"ACCESS30_MIRROR": mirror, "ACCESS30_CACHE": str(cache)})
    command = ["download", "--departement", "22", "--only", "network", "--quiet"]

    def quiet(argv: list[str]) -> int:
        with contextlib.redirect_stdout(io.StringIO()):
            return access30(argv)

    def first() -> None:
        shutil.rmtree(cache, ignore_errors=True)
        assert quiet(command) == 0

    rows = [(f"First download ({PBF.stat().st_size:,} bytes, local server as ACCESS30_MIRROR)", timed(first, repeat))]
    second = timed(lambda: quiet(command), repeat)
    rows.append(("Second run, « déjà en cache » (in the process)", second))
    whole = timed(lambda: subprocess.run([sys.executable, "-m", "access30.cli", *command], cwd=REPO, check=True,
                                         capture_output=True), repeat)
    rows.append(("Second run as a whole command (Python start and imports included)", whole))
    os.environ["ACCESS30_MIRROR"] = f"http://127.0.0.1:{_closed_port()}/"
    shutil.rmtree(cache, ignore_errors=True)
    offline = timed(lambda: quiet(["download", "--departement", "22", "--quiet"]), repeat)
    rows.append(("Offline: the five sources fail, each saying what to fetch and where", offline))
    server.shutdown()
    shutil.rmtree(work, ignore_errors=True)
    print("| step | seconds |\n|---|---|")
    for label, seconds in rows:
        print(f"| {label} | {seconds:.3f} |")
    print(f"cached_second_run_s: {second:.4f}")


if __name__ == "__main__":
    main()
