"""Commands that read or fetch data without a study: ``download``, ``cache``, ``sites``, ``territories``.

They import no routing, no solver and no plotting, so that they answer at once.
"""

from __future__ import annotations

import argparse

from access30.base.writes import (
    Output,
    writing_together,
)
from access30.cli.options import (
    check_command_outputs,
)
from access30.inputs.inventories import list_sites
from access30.inputs.sources.listing import OUTPUT_SUFFIXES, describe_listing, write_listing
from access30.inputs.territory import TERRITORIES


def cmd_sites(args: argparse.Namespace) -> int:
    """List a département's built-in first-reception places for review (no network needed)."""
    check_command_outputs(args, [Output(args.out, "--out", OUTPUT_SUFFIXES)])
    keys = None
    if args.sites_builtin is not None:
        keys = tuple(b.strip() for b in args.sites_builtin.split(",") if b.strip())
    listing = list_sites(args.departement, keys, cache_dir=args.cache_dir)
    with writing_together([args.out]) as written:
        write_listing(listing, written.path(args.out))
    if not args.quiet:
        print("\n".join(describe_listing(listing)))
    print(f"Liste écrite : {args.out}")
    return 0


def cmd_territories(args: argparse.Namespace) -> int:
    """List the built-in territories."""
    for key, territory in TERRITORIES.items():
        network = territory.network or ("extrait régional Geofabrik, téléchargé dans le cache au premier usage "
                                        "(« access30 download »)")
        print(f"{key:20s} {territory.label} — réseau : {network}")
    return 0


