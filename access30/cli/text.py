"""What the command line prints: every figure with what it counts, in French."""

from __future__ import annotations

import sys
import time

from access30.base.fmt import fmt_bytes, fmt_int, fmt_lonlat, fmt_min, fmt_num, fmt_pct, plural
from access30.base.labels import EQUITY_LABELS_FR, MODEL_LABELS_FR, sites_by_type, units_of
from access30.coverage.sectors import sector_lines
from access30.network.modes import mode_words
from access30.suggest.capacitated import capacitated_lines


class Steps:
    """Prints each pipeline step with its duration on stderr (the progress display of the CLI)."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self.started = time.perf_counter()
        self.current: str | None = None
        self.step_started = self.started

    def __call__(self, label: str) -> None:
        """Start the step ``label``, first closing the current one (its duration printed)."""
        self.done()
        self.current = label
        self.step_started = time.perf_counter()
        if not self.quiet:
            print(f"… {label}", end="", file=sys.stderr, flush=True)

    def done(self) -> None:
        """Close the current step, printing its duration on stderr unless quiet."""
        if self.current is not None and not self.quiet:
            print(f" ({fmt_num(round(time.perf_counter() - self.step_started, 1))} s)", file=sys.stderr, flush=True)
        self.current = None


def format_report(result) -> str:
    """Readable French summary of a coverage result, with the meaning of every figure."""
    s = result.summary
    mode = mode_words(s.travel_mode)
    lines = [
        f"access30 — couverture à {fmt_num(s.threshold_min)} min {mode} — {s.territory}",
        *(_transit_lines(s) if s.transit is not None else [_network_line(s)]),
        f"Population : {fmt_int(s.population_total)} {s.population_label} ; "
        f"{units_of(s.cells_total, s.get('population_kind', ''))}",
        *(f"⚠ {n.message}" for n in result.notices if n.code in ("population_outside_network", "transit_stops_far")),
        (f"Lieux d'accueil : {s.sites_total} ({sites_by_type(s.sites_by_type)})" if s.sites_total
         else "Lieux d'accueil : aucun")
        + (f", dont {s.sites_total - s.sites_on_network} loin de toute route, atteints seulement en "
           "ligne droite" if s.sites_on_network < s.sites_total else ""),
        "",
        f"Population couverte (≤ {fmt_num(s.threshold_min)} min, seuil inclus) : {fmt_int(s.population_covered)} "
        f"soit {fmt_pct(s.share_covered, sep=' ')}",
        f"Population non couverte : {fmt_int(s.population_uncovered)}"
        + ("" if s.transit is not None else f" ; sans accès routier : {fmt_int(s.population_no_road)}"),
        f"Temps d'accès au lieu le plus proche, pondéré par la population : moyen {fmt_min(s.mean_time_min)}, "
        f"médian {fmt_min(s.median_time_min)}, 90e centile {fmt_min(s.p90_time_min)} "
        + ("(population ayant un lieu atteignable)" if s.transit is not None
           else "(population ayant un accès routier et un lieu atteignable)"),
    ]
    if len(result.equity) > 1:
        lines.append("Équité (part couverte) : " + " ; ".join(
            f"{_label(row['group'])} {fmt_pct(row['share_covered'], sep=' ')}"
            for _, row in result.equity.iloc[1:].iterrows()))
    if s.transit is not None:
        lines += _transit_usage_lines(s)
    worst = result.communes[result.communes["not_covered"] > 0].head(5) if not result.communes.empty else []
    if len(worst):
        lines.append("Communes avec le plus d'habitants non couverts : " + " ; ".join(
            f"{row['nom'] or row['commune']} {fmt_int(row['not_covered'])}" for _, row in worst.iterrows()))
    if result.sectors is not None:
        lines.extend(sector_lines(result.sectors, s.threshold_min))
    if result.notices:
        lines.append("")
        lines.append("À savoir :")
        lines.extend(f"- {n.message}" for n in result.notices)
    return "\n".join(lines)


def _network_line(s) -> str:
    return (f"Réseau : {s.network_source}"
        + (" — réseau partiel (routes principales)" if s.network_partial else "")
        + f" : {fmt_int(s['network_nodes'])} nœuds, {fmt_int(s['network_edges'])} arcs"
        + (f", dont {fmt_int(s['network_estimated_edges'])} arcs estimés reliant ses morceaux"
           if s["network_estimated_edges"] else "")
        + (f" ; {plural(s['network_components'] - 1, 'morceau non relié', 'morceaux non reliés')} au réseau principal "
           f"({fmt_int(s['network_nodes_outside_largest_component'])} nœuds, dont "
           f"{fmt_int(s['network_nodes_not_snappable'])} dans des fragments de moins de 20 nœuds où rien n'est "
           "rattaché)"
           if s["network_components"] > 1 else ""))


def _transit_lines(s) -> list[str]:
    t = s.transit
    return [f"Transports en commun : flux GTFS {t.feed_file} ({', '.join(t.feed_agencies) or 'agence non déclarée'}), "
            f"valable du {_iso_fr(t.feed_valid_from)} au {_iso_fr(t.feed_valid_to)} ; {fmt_int(s['network_nodes'])} "
            f"arrêts desservis, {fmt_int(s['network_edges'])} courses ce jour-là",
            f"Date des horaires : {_iso_fr(t.service_date)} ; départs {t.window} (temps médian sur la fenêtre)",
            f"Horaires d'ouverture : {t.opening_hours}"]


def _transit_usage_lines(s) -> list[str]:
    t = s.transit
    lines = []
    for threshold, groups in t.thresholds.items():
        lines.append(f"Couverts en {threshold} min : " + " ; ".join(
            f"{_counted(s) if g == 'population' else _label(g)} {fmt_int(v['covered'])} "
            f"({fmt_pct(v['share_covered'], sep=' ')})" for g, v in groups.items()))
    if t.routes:
        lines.append(f"Lignes empruntées par les personnes couvertes (≤ {fmt_num(s.threshold_min)} min, trajet "
                     "médian) : " + " ; ".join(f"{r['route']} {fmt_int(r['population'])}" for r in t.routes[:8]))
    if t.stops:
        lines.append("Arrêts où elles montent : " + " ; ".join(f"{r['stop']} {fmt_int(r['population'])}"
                                                              for r in t.stops[:8]))
    lines.append(f"Dont à pied directement jusqu'au lieu : {fmt_int(t.walk_only_population)}")
    return lines


def _iso_fr(text: str) -> str:
    """``2025-12-02`` → ``02/12/2025``."""
    year, month, day = text.split("-")
    return f"{day}/{month}/{year}"


def _counted(s) -> str:
    """What the population column counts, capitalised: « Habitants », « Ménages »."""
    return s.population_label.split(" ")[0].capitalize() or "Population"


def _label(group: str) -> str:
    return EQUITY_LABELS_FR.get(group, group)


def format_suggestion(suggestion) -> str:
    """Plain-text French summary of a :class:`~access30.suggest.suggestion.Suggestion`."""
    lines = [f"Modèle : {MODEL_LABELS_FR[suggestion.model]}, seuil {fmt_num(suggestion.threshold_min)} min"]
    seconds = fmt_num(round(suggestion.seconds, 1))
    short = suggestion.capacitated is not None and not suggestion.capacitated.get("capacity_sufficient", True)
    if suggestion.optimal:
        lines.append(f"Solution optimale prouvée ({suggestion.solver}, {seconds} s)"
                     + (" — optimale pour ces capacités, qui ne suffisent pas (voir « Capacités insuffisantes »)"
                        if short else ""))
    else:
        lines.append(f"Solution NON prouvée optimale ({suggestion.solver} : {suggestion.status}) : écart "
                     f"{fmt_pct(suggestion.gap, 2)} au plus à l'optimum")
    lines.append(f"Population couverte : {fmt_int(suggestion.population_covered_before)} → "
                 f"{fmt_int(suggestion.population_covered_after)} sur {fmt_int(suggestion.population_total)}")
    lines.append(f"Temps d'accès moyen : {fmt_min(suggestion.mean_time_before_min)} → "
                 f"{fmt_min(suggestion.mean_time_after_min)}")
    if suggestion.unreachable_population > 0:
        lines.append(f"Hors de portée de tout emplacement candidat : {fmt_int(suggestion.unreachable_population)} hab.")
    for row in suggestion.suggested.itertuples():
        where = str(getattr(row, "commune_nom", "") or row.commune or "").strip()
        where = f" ({where})" if where and where.lower() != "nan" else ""  # a user file may give no commune
        lines.append(f"  {row.rank}. {row.name}{where} — {fmt_lonlat(row.lon, row.lat, 5)} : "
                     f"+{fmt_int(row.population_newly_covered)} hab. couverts, "
                     f"{fmt_int(row.catchment_population)} hab. dont il devient le lieu le plus proche")
    if suggestion.curve is not None:
        lines.append("Courbe (nouveaux lieux → population couverte) : " + " ; ".join(
            f"{int(r.k)} → {fmt_int(r.population_covered)}" + ("" if r.optimal else " (non prouvé)")
            for r in suggestion.curve.itertuples()))
    if suggestion.capacitated is not None:
        lines += capacitated_lines(suggestion)
    shown = {"capacity_insufficient"} if suggestion.capacitated is not None else set()  # said above, first
    lines += [f"- {notice.message}" for notice in suggestion.notices if notice.code not in shown]
    return "\n".join(lines)


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
