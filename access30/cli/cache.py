"""``access30 download`` and ``access30 cache``: a département's public inputs fetched into the cache,
and what the cache holds.

Light on purpose: these commands load neither pandas nor geopandas, so a second ``download`` says
« déjà en cache » in a fraction of a second."""

from __future__ import annotations

import argparse

from access30.base.cache import cache_size, clear, entries, free_space, manifest_path, verify
from access30.base.departements import normalise_departement
from access30.base.fmt import fmt_bytes, plural
from access30.inputs.downloads import download_sources, parse_sources


def format_downloads(outcomes, departement: str, cache_dir) -> str:
    """What ``access30 download`` did, one line per source, then where the cache is."""
    marks = {"ok": "✓", "cached": "✓", "unavailable": "–", "failed": "✗"}
    lines = [f"access30 — données publiques du département {departement}"]
    for outcome in outcomes:
        line = f"{marks[outcome.status]} {outcome}"
        if outcome.entry is not None:
            line += f" ; SHA-256 {outcome.entry.sha256}"
        lines.append(line)
    failed = [o for o in outcomes if o.status == "failed"]
    lines.append(f"Cache : {cache_dir} (manifeste : manifest.json)"
                 + (f" — {plural(len(failed), 'source en échec', 'sources en échec')}, les autres sont gardées : "
                    "relancez la même commande pour reprendre" if failed else ""))
    return "\n".join(lines)


def format_cache(entries, cache_dir, total: int, free: int | None, problems: dict | None = None) -> str:
    """``access30 cache``: each file of the manifest (source, départements, vintage, size, date, checksum)."""
    lines = [f"Cache des données téléchargées : {cache_dir}"]
    if not entries:
        lines.append("Aucun fichier enregistré (« access30 download --departement CODE » le remplit).")
    for entry in entries:
        scope = ", ".join(entry.departements) if entry.departements else "France entière"
        state = "présent" if entry.is_fresh() else "absent ou modifié depuis l'enregistrement"
        if problems is not None:
            state = problems.get(str(entry.path)) or "vérifié (empreinte identique)"
        how = "placé à la main le" if entry.manual else "téléchargé le"
        lines += [f"- {entry.source} — {entry.label or entry.source}",
                  f"  fichier {entry.path} ; {fmt_bytes(entry.size)} ; départements {scope} ; millésime "
                  f"{entry.vintage or 'inconnu'} ; {how} {entry.fetched[:10]} ({entry.fetched})",
                  f"  SHA-256 {entry.sha256} ; {state}",
                  f"  source : {entry.url}"]
    lines.append(f"Taille totale du dossier (fichiers tirés des sources compris) : {fmt_bytes(total)}"
                 + (f" ; place libre sur le disque : {fmt_bytes(free)}" if free is not None else ""))
    return "\n".join(lines)


def cmd_download(args: argparse.Namespace) -> int:
    """Fetch a département's public inputs into the cache, each reported; exit status 1 when one failed."""
    code = normalise_departement(args.departement)
    only = parse_sources(args.only)
    outcomes = download_sources(code, only, cache_dir=args.cache_dir, mirror=args.mirror, progress=not args.quiet,
                                refresh=args.refresh)
    print(format_downloads(outcomes, code, manifest_path(args.cache_dir).parent))
    return 1 if any(o.status == "failed" for o in outcomes) else 0


def cmd_cache(args: argparse.Namespace) -> int:
    """List what the cache holds (source, départements, vintage, size, date, checksum), or clear a source."""
    root = manifest_path(args.cache_dir).parent
    if args.clear is not None:
        print(clear(args.clear, args.cache_dir))
        return 0
    listed = entries(args.cache_dir)
    problems = {str(e.path): verify(e) for e in listed} if args.verify else None
    print(format_cache(listed, root, cache_size(args.cache_dir), free_space(args.cache_dir), problems))
    return 1 if problems and any(problems.values()) else 0
