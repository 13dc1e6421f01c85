"""Where the tests find the project and the real data (``../shared/data``, beside the repository)."""

from pathlib import Path

#: The repository root.
REPO = Path(__file__).resolve().parents[1]
#: The real data the tests read.
SHARED_DATA = REPO.parent / "shared" / "data"
