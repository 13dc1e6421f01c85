"""Shared fixtures: paths to the real data in ../shared/data and the demo study, computed once; no
download ever leaves the machine."""

import os
import socket
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
OSM = SHARED_DATA / "osm"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session", autouse=True)
def downloads_stay_local():
    """Every download of the tests goes through a mirror on a closed local port (refused at once, as
    offline), so that no test fetches hundreds of megabytes from the internet; a test that serves
    files sets its own mirror (or ``mirror=""`` for a local address). Subprocesses inherit it."""
    before = os.environ.get("ACCESS30_MIRROR")
    os.environ["ACCESS30_MIRROR"] = f"http://127.0.0.1:{_closed_port()}/"
    yield
    if before is None:
        os.environ.pop("ACCESS30_MIRROR", None)
    else:
        os.environ["ACCESS30_MIRROR"] = before


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The read-only real data folder beside the repository."""
    if not SHARED_DATA.is_dir():
        pytest.fail(f"real data folder missing: {SHARED_DATA} (CI clones the repo beside ../shared)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def demo_study():
    """The offline demo study (Saint-Brieuc – Loudéac), from the project's data/ copy."""
    from access30.inputs.assemble import load_study

    return load_study()


@pytest.fixture(scope="session")
def demo_routing(demo_study):
    """Routing of the demo study (both nearest sites)."""
    from access30.coverage.engine import route

    return route(demo_study)


@pytest.fixture(scope="session")
def demo_result(demo_study, demo_routing):
    """Coverage of the demo study at 30 minutes."""
    from access30.coverage.engine import evaluate

    return evaluate(demo_study, demo_routing, 30.0)
