#!/usr/bin/env bash
# Install the pysal ``access`` package (the reference for the 2SFCA / E2SFCA tests) into a side
# directory, never into site-packages: it imports as ``access``, the same name as this project's
# package, and would shadow it. tests/test_capacity.py loads it from there under another name.
#
# Usage:   scripts/install_pysal_access.sh [PYTHON] [TARGET_DIR]
# Default: .venv/bin/python (else python3) and .cache/pysal_access (gitignored), or
#          $ACCESS30_PYSAL_ACCESS_DIR when set.
# Makefile: `bash scripts/install_pysal_access.sh $(BIN)/python`
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${1:-}"
if [ -z "$PY" ]; then
    if [ -x "$ROOT/.venv/bin/python" ]; then PY="$ROOT/.venv/bin/python"; else PY=python3; fi
fi
TARGET="${2:-${ACCESS30_PYSAL_ACCESS_DIR:-$ROOT/.cache/pysal_access}}"
VERSION="1.1.10.post3"
# Its runtime dependencies (numpy, pandas, scipy, geopandas) are already project dependencies:
# --no-deps keeps the side directory to the package alone; the check below says if one is missing.
"$PY" -m pip install --quiet --no-deps --upgrade --target "$TARGET" "access==$VERSION"
"$PY" - "$TARGET" <<'PYCHECK'
import importlib.metadata as md, sys
missing = []
for name in ("numpy", "pandas", "scipy", "geopandas"):  # pysal access 1.1.10's requirements
    try:
        md.version(name)
    except md.PackageNotFoundError:
        missing.append(name)
if missing:
    sys.exit(f"pysal access needs {', '.join(missing)} in this Python: pip install {' '.join(missing)}")
print(f"pysal access installed in {sys.argv[1]}")
PYCHECK
