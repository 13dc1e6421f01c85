"""Where the tests find the project and the real data (``../shared/data``, beside the repository)."""

from pathlib import Path

#: The repository root.
REPO = Path(__file__).resolve().parents[1]
#: The real data the tests read.
SHARED_DATA = REPO.parent / "shared" / "data"
#: The demo area's communes (the rule of ``access30.inputs.territory.communes_in_extract``): the project's
#: list, which since 2026-12-07 differs from the former one still in ``../shared/data``.
DEMO_AREA = REPO / "data" / "cotes_darmor" / "demo_area_communes.csv"
