"""``access30 tour``: the exact round of one mobile team (« hors les murs »).

Checks its options and every output first, then builds and routes the study, plans the round
(:func:`access30.suggest.tour.plan_tour`), computes the wait before and after it, and writes the
GeoPackage, the JSON summary, the permanences as a site list, the workbook and the PDF all together.
"""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path

from access30.base.files import jsonable
from access30.base.fmt import fmt_int, fmt_num, fmt_pct, plural
from access30.base.record import RunRecord, collecting
from access30.base.writes import Output, writing_together
from access30.cli.options import (
    check_command_outputs,
    check_tour_options,
    check_unused_options,
    command_arguments,
    run_options,
    tour_options,
)
from access30.cli.text import Steps
from access30.coverage.engine import route
from access30.coverage.options import RunOptions
from access30.coverage.wait import wait_lines
from access30.inputs.assemble import assemble_study
from access30.outputs.export import with_run, write_layers
from access30.outputs.outreach import tour_layers, tour_summary, write_schedule, write_tour_pdf, write_tour_xlsx
from access30.suggest.tour import TourOptions, TourPlan, describe, plan_tour, tour_wait

#: The outputs of ``access30 tour``: option → (attribute, suffixes).
TOUR_OUTPUTS = {"--out": ("out", (".gpkg",)), "--summary": ("summary", (".json",)),
                "--schedule-out": ("schedule_out", (".csv",)), "--xlsx": ("xlsx", (".xlsx",)),
                "--pdf": ("pdf", (".pdf",))}


def cmd_tour(args: argparse.Namespace) -> int:
    """Plan the round of one mobile team and write its outputs."""
    outputs = [Output(getattr(args, attribute), option, suffixes)
               for option, (attribute, suffixes) in TOUR_OUTPUTS.items() if getattr(args, attribute) is not None]
    check_command_outputs(args, outputs)
    check_unused_options(args)
    check_tour_options(args)
    options, ask = run_options(args), tour_options(args)
    record = RunRecord.begin("tour", {"study": options.study, "coverage": options.coverage, "tour": ask},
                             argv=getattr(args, "command_line", None), arguments=command_arguments(args))
    paths = {attribute: getattr(args, attribute) for _, (attribute, _) in TOUR_OUTPUTS.items()}
    return tour_job(options, ask, paths, record, args.quiet)


def tour_job(options: RunOptions, ask: TourOptions, paths: dict[str, Path | None], record: RunRecord,
             quiet: bool) -> int:
    """The round of checked options, then every output asked for (``paths``: ``out``, ``summary``,
    ``schedule_out``, ``xlsx``, ``pdf``), all or none."""
    steps = Steps(quiet)
    with collecting() as reads:
        steps("Lecture du réseau, de la population et des lieux d'accueil")
        study = assemble_study(options.study)
        steps("Calcul des temps d'accès (Dijkstra sur le réseau inversé)")
        routing = route(study)
        steps(f"Tournée : {plural(ask.half_days, 'demi-journée', 'demi-journées')} par semaine, arrêts et trajets de "
              "l'équipe (optimisation exacte)")
        plan = plan_tour(study, routing, options, ask)
        steps("Attente d'une ouverture, avant et avec la tournée")
        before, after = tour_wait(study, routing, plan)
    record.add_study(study).add_reads(reads).finish()
    steps("Écriture des fichiers")
    wanted = [path for path in paths.values() if path is not None]
    with writing_together(wanted) as written:
        write_layers(tour_layers(plan, study), written.path(paths["out"]), record)
        if paths["summary"] is not None:
            text = json.dumps(jsonable(with_run({"tour": tour_summary(plan, before, after)}, record)),
                              ensure_ascii=False, indent=2)
            written.path(paths["summary"]).write_text(text, encoding="utf-8")
        if paths["schedule_out"] is not None:
            write_schedule(plan, written.path(paths["schedule_out"]))
        if paths["xlsx"] is not None:
            write_tour_xlsx(plan, written.path(paths["xlsx"]), before, after, record)
        if paths["pdf"] is not None:
            write_tour_pdf(plan, study, written.path(paths["pdf"]), before, after, date.today())
    steps.done()
    if not quiet:
        print(format_tour(plan))
        if before is not None and after is not None:
            print("\n".join(wait_lines(before, "Attente d'une ouverture, lieux existants")))
            print("\n".join(wait_lines(after, "Attente d'une ouverture, avec la tournée")))
        print("\nÉcrit : " + ", ".join(str(path) for path in wanted))
    return 0


def format_tour(plan: TourPlan) -> str:
    """The round in French, each figure with what it counts."""
    o = plan.options
    total = plan.population_total
    lines = [f"Tournée hors les murs : {plural(o.half_days, 'demi-journée', 'demi-journées')} par semaine"
             + (" sur deux semaines (A et B)" if o.weeks == 2 else "")
             + f", arrêts de {fmt_num(o.stop_hours)} h ; base : {plan.base['name']}",
             ("Solution optimale prouvée" if plan.optimal
              else f"Solution NON prouvée optimale ({plan.status}) : écart {fmt_pct(plan.gap, 2, ' ')} au plus"),
             f"Habitants à portée (≤ {fmt_num(plan.threshold_min)} min, seuil inclus) d'un lieu ouvert au moins une "
             f"fois sur quatre semaines : {fmt_int(plan.population_covered_before)} "
             f"({fmt_pct(plan.population_covered_before / total, sep=' ')}) → {fmt_int(plan.population_covered_after)} "
             f"({fmt_pct(plan.population_covered_after / total, sep=' ')}) avec la tournée, soit "
             f"+{fmt_int(plan.objective)}",
             f"Lieux candidats : {fmt_int(plan.candidates_used)}, dont {fmt_int(plan.candidates_reachable)} à moins de "
             f"{fmt_num(o.max_drive_min)} min de la base en voiture (aller et retour)"]
    stops = describe(plan)
    if stops:
        lines += ["Arrêts (+ nouveaux habitants à portée, en plus des arrêts précédents) :", *(f"  {s}" for s in stops)]
    else:  # the reason is the plan's status, among the notices below
        lines.append("Arrêts : aucun proposé")
    lines += [f"- {notice.message}" for notice in plan.notices]
    return "\n".join(lines)
