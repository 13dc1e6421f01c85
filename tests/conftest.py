"""Shared fixtures: paths to the real data in ../shared/data and the demo study, computed once."""

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
OSM = SHARED_DATA / "osm"


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
