"""What the command line prints: every figure with what it counts, in French."""

from __future__ import annotations

import sys
import time

from access30.base.errors import headline_notices, other_notices
from access30.base.fmt import fmt_int, fmt_iso_date, fmt_lonlat, fmt_min, fmt_num, fmt_pct, plural
from access30.base.labels import EQUITY_LABELS_FR, MODEL_LABELS_FR, sites_by_type, units_of
from access30.coverage.rules import shorter_threshold_beyond
from access30.coverage.sectors import sector_lines
from access30.coverage.wait import wait_lines
from access30.network.modes import mode_words
from access30.suggest.capacitated import capacitated_lines
from access30.suggest.suggestion import EMPTY_REASONS, tied_line


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
        *headline_lines(result.notices),
        *(_transit_lines(s) if s.transit is not None else [_network_line(s)]),
        f"Population : {fmt_int(s.population_total)} {s.population_label} ; "
        f"{units_of(s.cells_total, s.get('population_kind', ''))}",
        (f"Lieux d'accueil : {s.sites_total} ({sites_by_type(s.sites_by_type)})" if s.sites_total
         else "Lieux d'accueil : aucun")
        + (f", dont {s.sites_total - s.sites_on_network} loin de toute route, atteints seulement en "
           "ligne droite" if s.sites_on_network < s.sites_total else ""),
        "",
        f"Population couverte (≤ {fmt_num(s.threshold_min)} min, seuil inclus) : {fmt_int(s.population_covered)} "
        f"soit {fmt_pct(s.share_covered, sep=' ')}",
        f"Population non couverte : {fmt_int(s.population_uncovered)}"
        + ("" if s.transit is not None else f" ; sans accès routier : {fmt_int(s.population_no_road)}"),
        *_nobody_beyond_lines(result),
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
    if result.wait is not None:
        lines.extend(wait_lines(result.wait))
    others = other_notices(result.notices)
    if others:
        lines.append("")
        lines.append("À savoir :")
        lines.extend(f"- {n.message}" for n in others)
    return "\n".join(lines)


def _nobody_beyond_lines(result) -> list[str]:
    """When everyone counted is covered: said plainly, with a shorter threshold's figure and the other readings."""
    s = result.summary
    if s.transit is not None or s.population_uncovered + s.population_no_road >= 0.5:
        return []
    line = (f"Personne n'est au-delà de {fmt_num(s.threshold_min)} min {mode_words(s.travel_mode)} : aucune zone "
            "blanche à ce seuil.")
    found = shorter_threshold_beyond(result.units, s.threshold_min)
    if found is not None:
        line += (f" À {fmt_num(found[0])} min, {plural(round(found[1]), 'habitant serait', 'habitants seraient')} "
                 "au-delà (--threshold).")
    tries = [*(["à pied (--mode walk)"] if s.travel_mode != "walk" else []), "aux heures des actifs (--workers-hours)",
             "à un moment de la semaine (--at)"]
    return [line + " Autres lectures où chercher des zones blanches : " + ", ".join(tries) + "."]


def headline_lines(notices) -> list[str]:
    """The notices that change the meaning of the headline figures, as « ⚠ » lines to print before them."""
    found = headline_notices(notices)
    return (["⚠ À lire avant les chiffres :", *(f"⚠ {n.short}" for n in found), ""] if found else [])


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
            f"valable du {fmt_iso_date(t.feed_valid_from)} au {fmt_iso_date(t.feed_valid_to)} ; "
            f"{fmt_int(s['network_nodes'])} "
            f"arrêts desservis, {fmt_int(s['network_edges'])} courses ce jour-là",
            f"Date des horaires : {fmt_iso_date(t.service_date)} ; départs {t.window} (temps médian sur la fenêtre)",
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


def _counted(s) -> str:
    """What the population column counts, capitalised: « Habitants », « Ménages »."""
    return s.population_label.split(" ")[0].capitalize() or "Population"


def _label(group: str) -> str:
    return EQUITY_LABELS_FR.get(group, group)


def format_suggestion(suggestion) -> str:
    """Plain-text French summary of a :class:`~access30.suggest.suggestion.Suggestion`."""
    lines = [*headline_lines(suggestion.notices),
             f"Modèle : {MODEL_LABELS_FR[suggestion.model]}, seuil {fmt_num(suggestion.threshold_min)} min"]
    seconds = fmt_num(round(suggestion.seconds, 1))
    short = suggestion.capacitated is not None and not suggestion.capacitated.get("capacity_sufficient", True)
    if suggestion.suggested.empty:  # nothing to choose: the reason, not a solver line nor a flat curve
        reasons = [n for n in suggestion.notices if n.code in EMPTY_REASONS]
        lines += ["Aucun lieu suggéré" + (" : " + " ; ".join(n.message[:1].lower() + n.message[1:] for n in reasons)
                                          if reasons else ""),
                  f"Population couverte : {fmt_int(suggestion.population_covered_before)} sur "
                  f"{fmt_int(suggestion.population_total)}"]
        lines += [f"- {n.message}" for n in other_notices(suggestion.notices) if n.code not in EMPTY_REASONS]
        return "\n".join(lines)
    if suggestion.optimal:
        lines.append(f"Solution optimale prouvée ({suggestion.solver}, {seconds} s)"
                     + (" — optimale pour ces capacités, qui ne suffisent pas (voir « Capacités insuffisantes »)"
                        if short else ""))
        if tied_line(suggestion):
            lines.append(tied_line(suggestion))
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
        lines.append(f"  {row.rank}. {row.name}{where} — {fmt_lonlat(row.lon, row.lat, 5)} : {row.gain_note}")
    if suggestion.curve is not None:
        lines.append("Courbe (nouveaux lieux → population couverte) : " + " ; ".join(
            f"{int(r.k)} → {fmt_int(r.population_covered)}" + ("" if r.optimal else " (non prouvé)")
            for r in suggestion.curve.itertuples()))
    if suggestion.capacitated is not None:
        lines += capacitated_lines(suggestion)
    shown = {"capacity_insufficient"} if suggestion.capacitated is not None else set()  # said above, first
    lines += [f"- {notice.message}" for notice in other_notices(suggestion.notices) if notice.code not in shown]
    return "\n".join(lines)


