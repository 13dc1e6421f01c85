"""Download the OpenStreetMap extract of a département (Geofabrik regional file), for offline studies.

Usage:
    python scripts/download_osm_extract.py 22 --folder ~/access30-data
Then:
    access30 coverage --network ~/access30-data/bretagne-latest.osm.pbf --population ... --out out.gpkg
Needs internet; offline it says what to download by hand and where to put it.
"""

import argparse
import sys

from access30.base.download import download_osm_extract, osm_extract_url
from access30.base.errors import Access30Error


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("departement", help="code INSEE du département (22, 2A, 972…)")
    parser.add_argument("--folder", default="osm", help="dossier de destination (défaut : osm)")
    args = parser.parse_args()
    try:
        print(f"Téléchargement de {osm_extract_url(args.departement)} …", file=sys.stderr)
        path = download_osm_extract(args.departement, args.folder)
    except Access30Error as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 2
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
