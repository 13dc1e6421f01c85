"""The French PDF report: an annex for the « convention d'appui à la lutte contre la pauvreté ».

Written for prefecture and département staff who do not use a GIS: what share of residents can reach a
« premier accueil social inconditionnel » within the threshold, where the people beyond it live
(map, communes, EPCI, zones), how fair access is, which new sites would help most (when a
suggestion was computed), and how the figures were obtained, from which data, with which limits.

Library choice: ReportLab (``reportlab``, BSD licence, maintained by ReportLab Inc. with releases every
few months). It is pure Python plus Pillow, so it installs from PyPI on any machine with no system
library, unlike HTML-to-PDF engines (WeasyPrint needs Pango and cairo, wkhtmltopdf is unmaintained);
its Platypus layout engine flows paragraphs and long tables across pages with repeated header rows,
and it embeds TrueType fonts, so accents, « », ≤ and narrow no-break spaces print correctly. The
DejaVu Sans font shipped with matplotlib is embedded (no system font needed).

Entry points: :func:`pdf_bytes` (for a download button) and :func:`write_pdf` (atomic file).
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

import matplotlib
import numpy as np
import pandas as pd
from PIL import Image as PILImage
from reportlab.lib import colors
from reportlab.lib.colors import HexColor
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.fonts import addMapping
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas
from reportlab.platypus import (
    CondPageBreak,
    Image,
    KeepInFrame,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from access30.base.errors import headline_notices, other_notices
from access30.base.files import atomic_path
from access30.base.fmt import NBSP, fmt_dec, fmt_int, fmt_iso_date, fmt_min, fmt_num, fmt_pct, fmt_signed, plural
from access30.base.labels import EQUITY_LABELS_FR, MODEL_LABELS_FR, sites_by_type, sites_counted
from access30.base.names import commune_name, known_names
from access30.coverage.capacity import unit_plural
from access30.coverage.result import CoverageResult
from access30.coverage.rules import population_by_class, shorter_threshold_beyond
from access30.coverage.sectors import sector_lines
from access30.inputs.study import Study
from access30.network.modes import get_mode, mode_words
from access30.network.speeds import DRIVE_SPEED_KMH
from access30.outputs.export import uncovered_zones
from access30.outputs.maps import png_bytes
from access30.outputs.tables import objective_kind, suggestion_gain_column
from access30.suggest.suggestion import tied_line

_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre")
FONT = "A30Sans"
BLUE = "#1F4E79"
SCENARIO_RED = "#B00020"
_FONTS_READY = False


def _register_fonts() -> None:
    """Register DejaVu Sans (from matplotlib's data folder) under :data:`FONT`."""
    global _FONTS_READY
    if _FONTS_READY:
        return

    folder = os.path.join(matplotlib.get_data_path(), "fonts", "ttf")
    for suffix, file in (("", "DejaVuSans.ttf"), ("-Bold", "DejaVuSans-Bold.ttf"),
                         ("-Oblique", "DejaVuSans-Oblique.ttf"), ("-BoldOblique", "DejaVuSans-BoldOblique.ttf")):
        pdfmetrics.registerFont(TTFont(FONT + suffix, os.path.join(folder, file)))
    addMapping(FONT, 0, 0, FONT)
    addMapping(FONT, 1, 0, FONT + "-Bold")
    addMapping(FONT, 0, 1, FONT + "-Oblique")
    addMapping(FONT, 1, 1, FONT + "-BoldOblique")
    _FONTS_READY = True


def fr_int(value: float) -> str:
    """176 836 (no-break space as thousands separator: ReportLab may break lines at U+202F)."""
    return fmt_int(value, sep=NBSP)


def fr_pct(value: float, decimals: int = 1) -> str:
    """98,8 % (fraction in, French percentage out)."""
    return fmt_pct(value, decimals, sep=NBSP)


def fr_min(value: float) -> str:
    """11,3 min."""
    return fmt_min(value, sep=NBSP)


fr_num = fmt_num


def fr_date(day: date) -> str:
    """23 novembre 2026."""
    return f"{day.day}{'er' if day.day == 1 else ''} {_MONTHS[day.month - 1]} {day.year}"


def _styles():
    base = ParagraphStyle("base", fontName=FONT, fontSize=9.5, leading=13, alignment=TA_LEFT, spaceAfter=4)
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10.5, textColor=colors.HexColor("#333333")),
        "title": ParagraphStyle("title", parent=base, fontName=FONT + "-Bold", fontSize=17, leading=21,
                                textColor=colors.HexColor(BLUE), spaceAfter=4),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=11, leading=14.5, spaceAfter=2),
        "h1": ParagraphStyle("h1", parent=base, fontName=FONT + "-Bold", fontSize=13, leading=16, spaceBefore=10,
                             spaceAfter=5, textColor=colors.HexColor(BLUE), keepWithNext=1),
        "h2": ParagraphStyle("h2", parent=base, fontName=FONT + "-Bold", fontSize=10.5, leading=13.5,
                             spaceBefore=6, spaceAfter=3, keepWithNext=1),
        "bullet": ParagraphStyle("bullet", parent=base, leftIndent=11, bulletIndent=2, spaceAfter=2),
        # Names wrap after a hyphen (« Saint-Samson-/sur-Rance »), never inside a word.
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=9.8, spaceAfter=0, splitLongWords=0,
                               embeddedHyphenation=1),
        "cellr": ParagraphStyle("cellr", parent=base, fontSize=8, leading=9.8, spaceAfter=0, alignment=2),
        "head": ParagraphStyle("head", parent=base, fontName=FONT + "-Bold", fontSize=8, leading=9.8,
                               spaceAfter=0, textColor=colors.white),
        "headr": ParagraphStyle("headr", parent=base, fontName=FONT + "-Bold", fontSize=8, leading=9.8,
                                spaceAfter=0, textColor=colors.white, alignment=2),
        "figure": ParagraphStyle("figure", parent=base, fontName=FONT + "-Bold", fontSize=17, leading=20,
                                 alignment=1, textColor=colors.HexColor(BLUE), spaceAfter=0),
        "figlabel": ParagraphStyle("figlabel", parent=base, fontSize=8, leading=10, alignment=1, spaceAfter=0),
        "banner": ParagraphStyle("banner", parent=base, fontName=FONT + "-Bold", fontSize=10.5, leading=14,
                                 textColor=colors.HexColor(SCENARIO_RED), spaceAfter=2),
    }


_FRENCH_SPACES = ((" ;", "\u00a0;"), (" :", "\u00a0:"), (" ?", "\u00a0?"), (" !", "\u00a0!"), ("« ", "«\u00a0"),
                  (" »", "\u00a0»"))


def _p(text: str, style):
    for plain, tied in _FRENCH_SPACES:  # a line never starts with « ; », « : » or « »
        text = text.replace(plain, tied)
    return Paragraph(text, style)


def _table(rows: list[list[str]], widths: list[float], st, numeric: set[int] | None = None, highlight=None):
    """A data table with a blue header row repeated on every page and zebra rows."""
    numeric = numeric or set()
    data = [[_p(escape(str(h)), st["headr"] if j in numeric else st["head"]) for j, h in enumerate(rows[0])]]
    for row in rows[1:]:
        data.append([_p(escape(str(v)), st["cellr"] if j in numeric else st["cell"]) for j, v in enumerate(row)])
    table = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    style = [
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor(BLUE)),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#BBBBBB")),
        ("TOPPADDING", (0, 0), (-1, -1), 2.2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.2),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    for i in range(2, len(data), 2):
        style.append(("BACKGROUND", (0, i), (-1, i), colors.HexColor("#F1F5F9")))
    for i in highlight or []:
        style.append(("BACKGROUND", (0, i + 1), (-1, i + 1), colors.HexColor("#FDE7D6")))
    table.setStyle(TableStyle(style))
    return table


def _key_figures(result: CoverageResult, st, width: float):
    s = result.summary
    t = fr_num(s.threshold_min)
    not_covered = s.population_uncovered + s.population_no_road
    cells = [
        (fr_pct(s.share_covered), f"des habitants à {t}\u00a0min ou moins d'un lieu d'accueil"),
        (fr_int(not_covered), f"habitant{'s' if round(not_covered) >= 2 else ''} au-delà de {t}\u00a0min" +
         (f" (dont {fr_int(s.population_no_road)} sans accès routier)" if s.population_no_road >= 0.5 else "")),
        (fr_min(s.mean_time_min), "temps d'accès moyen (médian " + fr_min(s.median_time_min) + ")"),
        (str(s.sites_total), sites_label(result)),
    ]
    row1 = [_p(escape(v), st["figure"]) for v, _ in cells]
    row2 = [_p(escape(label), st["figlabel"]) for _, label in cells]
    table = Table([row1, row2], colWidths=[width / 4] * 4)
    table.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#EAF1F8")),
        ("LINEAFTER", (0, 0), (-2, -1), 1.5, colors.white),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, 0), 7),
        ("BOTTOMPADDING", (0, 1), (-1, 1), 7),
    ]))
    return table


def unit_noun(summary: dict) -> str:
    """« carreau habité », « point de population »… for the kind of population units."""
    return {"grid": "carreau habité",
            "modelled_grid": "carreau habité (ou morceau de carreau dans une commune ; population modélisée)",
            "points": "point de population (commune à sa mairie)", "polygons": "zone"}.get(
        summary.get("population_kind", ""), "unité de population")


def sites_label(result: CoverageResult) -> str:
    """What the site count counts (see :func:`access30.base.labels.sites_counted`), without the number."""
    added = result.scenario.added if result.scenario is not None else 0
    return sites_counted(result.summary, added).split(" ", 1)[1]


def _headline_box(result: CoverageResult, st, width: float) -> list:
    """The notices that change how the figures read, in a framed box before them (page 1)."""
    found = headline_notices(result.notices)
    if not found:
        return []
    lines = [_p("<b>À lire avant les chiffres</b>", st["base"])]
    lines += [_p("•\u00a0" + escape(n.short), st["base"]) for n in found]
    box = Table([[lines]], colWidths=[width])
    box.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 1.2, colors.HexColor(SCENARIO_RED)),
                             ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#FFF8EC")),
                             ("LEFTPADDING", (0, 0), (-1, -1), 6), ("TOPPADDING", (0, 0), (-1, -1), 4)]))
    return [box, Spacer(1, 3 * mm)]


def _scenario_block(result: CoverageResult, st, width: float) -> list:
    """The scenario's banner, its changes and its figures before and after (page 1)."""
    info = result.scenario
    s, b = result.summary, info.baseline
    t = fr_num(s.threshold_min)
    out = [_p(escape(f"SCÉNARIO « {info.name} » — hypothèse de travail : ce document ne décrit pas la situation "
                     "actuelle."), st["banner"])]
    lines = [_p("<b>Modifications par rapport à la situation actuelle</b>", st["base"])]
    lines += [_p("•\u00a0" + escape(line), st["base"]) for line in info.changes]
    box = Table([[lines]], colWidths=[width])
    box.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 1.2, colors.HexColor(SCENARIO_RED)),
                             ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#FFF4F4")),
                             ("LEFTPADDING", (0, 0), (-1, -1), 6), ("TOPPADDING", (0, 0), (-1, -1), 4)]))
    out.append(box)

    def beyond(summary):
        return summary.population_uncovered + summary.population_no_road

    rows = [["", "Situation actuelle", f"Scénario « {info.name} »", "Écart"],
            ["Population couverte", fr_int(b.population_covered), fr_int(s.population_covered),
             _signed(s.population_covered - b.population_covered, fr_int)],
            ["Part couverte", fr_pct(b.share_covered), fr_pct(s.share_covered),
             _signed(100 * (s.share_covered - b.share_covered), lambda v: fr_num(round(v, 2))) + "\u00a0pt"],
            [f"Habitants au-delà de {t}\u00a0min", fr_int(beyond(b)), fr_int(beyond(s)),
             _signed(beyond(s) - beyond(b), fr_int)],
            ["Temps d'accès moyen", fr_min(b.mean_time_min), fr_min(s.mean_time_min),
             _signed(s.mean_time_min - b.mean_time_min, fr_min)],
            ["Lieux d'accueil pris en compte", str(b.sites_total), str(s.sites_total),
             _signed(s.sites_total - b.sites_total, str)]]
    out.append(_p("Avant et après", st["h2"]))
    out.append(_table(rows, [w * 1.0 for w in (width * 0.34, width * 0.22, width * 0.26, width * 0.18)], st,
                      {1, 2, 3}))
    return out


_signed = fmt_signed


def _short_epci(name: str) -> str:
    for long, short in (("Communauté d'agglomération", "CA"), ("Communauté de communes", "CC"),
                        ("Communauté urbaine", "CU")):
        if str(name).startswith(long):
            return short + str(name)[len(long):]
    return str(name)


def _commune_rows(result: CoverageResult) -> tuple[list[list[str]], list[int]]:
    communes = result.communes
    header = ["Commune", "EPCI", "Population", "Non couverts", "Part couverte", "Temps moyen", "90e centile"]
    rows, highlight = [header], []
    for i, row in enumerate(communes.itertuples(index=False)):
        rows.append([row.nom or row.commune, _short_epci(getattr(row, "epci_nom", "") or ""),
                     fr_int(row.population), fr_int(row.not_covered), fr_pct(row.share_covered),
                     fr_min(row.mean_min), fr_min(row.p90_min)])
        if row.not_covered >= 0.5:
            highlight.append(i)
    return rows, highlight


def time_class_table(result: CoverageResult) -> pd.DataFrame:
    """Population per travel-time class (the map's classes): class, population, share, cumulative share."""
    table = population_by_class(result.units, result.threshold_min)
    table = table.rename(columns={"label": "classe", "share": "part", "cumulative": "cumul"})
    return table[["classe", "population", "part", "cumul"]]


@dataclass(frozen=True)
class _Page:
    """What every section of the report needs: the result, its study, styles and the words of the run."""

    result: CoverageResult
    study: Study | None
    st: dict
    width: float
    day: date
    record: object = None

    @property
    def t(self) -> str:
        return fr_num(self.result.summary.threshold_min)

    @property
    def mode(self) -> str:
        return mode_words(self.result.summary.travel_mode)


def report_story(result: CoverageResult, study: Study | None = None, suggestion=None, map_png: bytes | None = None,
                 report_date: date | None = None, zones=None, record=None) -> list:
    """The list of ReportLab flowables of the report (see :func:`pdf_bytes`)."""
    _register_fonts()
    page = _Page(result, study, _styles(), 174 * mm, report_date or date.today(), record)
    if zones is None:
        zones = uncovered_zones(result, study.communes if study is not None else None)
    return (_cover(page, zones) + _map_page(page, suggestion, map_png) + _area_sections(page)
            + _zones_section(page, zones) + _equity_section(page) + _load_part(page) + _wait_part(page)
            + _suggestions_part(page, suggestion)
            + _method_section(page) + _sources_and_limits(page))


#: Height of a page's frame (A4, margins of :func:`pdf_bytes`, the frame's own padding).
_FRAME_HEIGHT = A4[1] - 34 * mm - 12


def _cover(page: _Page, zones) -> list:
    """Page 1, never more: a long headline box or a scenario's before/after shrink it to fit rather than push
    a few lines onto a page of their own."""
    return [KeepInFrame(page.width, _FRAME_HEIGHT, _cover_content(page, zones), mode="shrink")]


def _cover_content(page: _Page, zones) -> list:
    """Page 1: title (a scenario says so first), key figures, summary sentences, time classes."""
    st, s, t = page.st, page.result.summary, page.t
    mode, width, result, day = page.mode, page.width, page.result, page.day
    scenario = result.scenario
    story: list = []
    scenario = result.scenario
    title = (f"Scénario : {scenario.name}" if scenario is not None
             else "Accès à un premier accueil social inconditionnel")
    story.append(_p(escape(title), st["title"]))
    story.append(_p(escape(f"{s.territory} — temps d'accès {mode}, seuil de {t} minutes"
                           + (" — accès à un premier accueil social inconditionnel" if scenario is not None else "")),
                    st["subtitle"]))
    story.append(_p(escape(("Document de travail : scénario hypothétique" if scenario is not None else
                            "Annexe à la convention d'appui à la lutte contre la pauvreté")
                           + f" — édition du {fr_date(day)}"), st["small"]))
    story.append(Spacer(1, 3 * mm))
    story += _headline_box(result, st, width)
    if scenario is not None:
        story += _scenario_block(result, st, width)
        story.append(Spacer(1, 3 * mm))
    story.append(_key_figures(result, st, width))
    story.append(Spacer(1, 3 * mm))
    worst = result.communes[result.communes["not_covered"] >= 0.5].head(5) if not result.communes.empty else []
    summary_lines = [
        f"<b>{fr_int(s.population_covered)}</b> des {fr_int(s.population_total)} habitants du territoire, soit "
        f"<b>{fr_pct(s.share_covered)}</b>, peuvent rejoindre un lieu de premier accueil social en "
        f"{t}\u00a0minutes ou moins {mode}. La moitié de la population est à moins de "
        f"{fr_min(s.median_time_min)}, 90\u00a0% à moins de {fr_min(s.p90_time_min)}.",
    ]
    if len(worst):
        names = ", ".join(f"{escape(str(r['nom'] or r['commune']))} ({fr_int(r['not_covered'])})"
                          for _, r in worst.iterrows())
        summary_lines.append(f"Les habitants au-delà du seuil vivent surtout à : {names}. "
                             "Ils forment "
                             f"{plural(len(zones), 'zone non couverte, détaillée', 'zones non couvertes, détaillées')} "
                             "en section 3 (« Zones non couvertes »).")
    else:
        shorter = shorter_threshold_beyond(result.units, s.threshold_min)
        line = "Aucun habitant n'est au-delà du seuil."
        if shorter is not None:
            count = round(shorter[1])
            verb = "habitants seraient" if count >= 2 else "habitant serait"
            line += (" À un seuil plus court, des habitants restent loin d'un lieu : à "
                     f"{fmt_num(shorter[0])}\u00a0min, {fr_int(count)} {verb} au-delà.")
        summary_lines.append(line)
    estimated = fr_pct(s.estimated_time_share, 0)
    if s.network_partial:
        summary_lines.append(f"<b>Réseau partiel (routes principales)</b> : {estimated} du temps d'accès moyen est "
                             "estimé (trajets d'approche jusqu'à la route, liaisons entre tronçons) plutôt que "
                             "calculé sur des routes cartographiées ; les temps sont à confirmer sur un réseau "
                             "routier complet.")
    else:
        summary_lines.append(f"<b>Part estimée</b> : {estimated} du temps d'accès moyen vient des trajets d'approche "
                             "entre le domicile et la route (distance à vol d'oiseau allongée), le reste du réseau "
                             "routier cartographié.")
    if s.population_modelled:
        summary_lines.append("<b>Population modélisée</b> : la population de chaque commune est répartie "
                             "uniformément sur sa surface, faute de carroyage INSEE.")
    for line in summary_lines:
        story.append(_p("•\u00a0" + line, st["base"]))
    classes = time_class_table(result)
    rows = [["Temps d'accès au lieu le plus proche", "Habitants", "Part", "Part cumulée"]]
    for r in classes.itertuples(index=False):
        if r.classe == "sans accès routier" and r.population < 0.5:
            continue
        rows.append([r.classe, fr_int(r.population), fr_pct(r.part), fr_pct(r.cumul)])
    story.append(_p("Répartition des habitants selon le temps d'accès", st["h2"]))
    story.append(_table(rows, [w * mm for w in (62, 30, 25, 30)], st, {1, 2, 3}))
    if len(worst):
        story.append(_p("Communes les plus concernées", st["h2"]))
        rows = [["Commune", "Habitants", "Non couverts", "Part couverte", "Temps moyen"]]
        for _, r in worst.iterrows():
            rows.append([r["nom"] or r["commune"], fr_int(r["population"]), fr_int(r["not_covered"]),
                         fr_pct(r["share_covered"]), fr_min(r["mean_min"])])
        story.append(_table(rows, [w * mm for w in (62, 25, 25, 25, 25)], st, {1, 2, 3, 4}))
    story.append(_p("Lire ce document", st["h2"]))
    story.append(_p(escape(
        f"« Couvert » : le lieu de premier accueil social le plus proche est à {t}\u00a0minutes ou moins {mode}, "
        "trajet jusqu'à la route compris. « Non couvert » : au-delà, ou à l'écart de toute route. Les temps sont "
        f"calculés pour chaque {unit_noun(s)}, puis additionnés par commune et par intercommunalité. La méthode, "
        "les sources et les limites sont décrites en fin de document."), st["small"]))
    return story


def _map_page(page: _Page, suggestion, map_png: bytes | None) -> list:
    """The map, on a page of its own."""
    width, result, study = page.width, page.result, page.study
    story: list = []
    if map_png is None:  # a whole page: 174 × 240 mm
        map_png = png_bytes(result, study, 1800, int(1800 * 240 / 174), suggestion, width_in=7.5)

    with PILImage.open(io.BytesIO(map_png)) as im:
        w_px, h_px = im.size
    map_w = width
    map_h = map_w * h_px / w_px
    if map_h > 240 * mm:
        map_w, map_h = map_w * 240 * mm / map_h, 240 * mm
    story.append(PageBreak())
    story.append(Image(io.BytesIO(map_png), width=map_w, height=map_h))
    return story


def _area_sections(page: _Page) -> list:
    """Sections 1 and 2: results by commune and by EPCI."""
    st, t, result = page.st, page.t, page.result
    story: list = []
    story.append(PageBreak())
    story.append(_p("1. Résultats par commune", st["h1"]))
    story.append(_p(escape(f"Communes classées par nombre d'habitants au-delà de {t}\u00a0min (« non couverts », "
                           "y compris sans accès routier) ; en couleur, les communes concernées. Temps moyens et "
                           "90e centile pondérés par la population."), st["small"]))
    rows, highlight = _commune_rows(result)
    story.append(_table(rows, [w * mm for w in (36, 44, 21, 19, 18, 18, 18)], st, {2, 3, 4, 5, 6},
                        highlight=highlight))
    if not result.epci.empty:
        rows = [["EPCI", "Population", "Non couverts", "Part couverte", "Temps moyen", "90e centile"]]
        for r in result.epci.itertuples(index=False):
            rows.append([getattr(r, "epci_nom", "") or r.epci, fr_int(r.population), fr_int(r.not_covered),
                         fr_pct(r.share_covered), fr_min(r.mean_min), fr_min(r.p90_min)])
        story.append(KeepTogether([_p("2. Résultats par intercommunalité (EPCI)", st["h1"]),
                                   _table(rows, [w * mm for w in (74, 20, 20, 20, 20, 20)], st, {1, 2, 3, 4, 5})]))
    else:
        story.append(_p("2. Résultats par intercommunalité (EPCI)", st["h1"]))
        story.append(_p("Les communes de ce territoire ne sont pas rattachées à un EPCI dans les données fournies.",
                        st["base"]))
    if result.sectors is not None:
        story += _sectors_part(page)
    return story


def _sectors_part(page: _Page) -> list:
    """Coverage to the sector's own site next to the nearest site, and the communes where they differ most."""
    st, result = page.st, page.result
    story = [_p("Rattachement aux secteurs", st["h2"])]
    story += [_p(escape(line), st["base"]) for line in sector_lines(result.sectors, result.threshold_min)]
    worst = result.sectors.communes.head(12)
    if len(worst):
        rows = [["Commune", "Lieux du secteur", "Habitants", "Part (plus proche)", "Part (rattachement)", "Écart"]]
        for r in worst.itertuples(index=False):
            rows.append([r.nom or r.commune, r.sector_sites, fr_int(r.population), fr_pct(r.share_nearest),
                         fr_pct(r.share_assigned), fr_int(r.gap)])
        story.append(KeepTogether([_table(rows, [w * mm for w in (34, 52, 20, 23, 25, 20)], st, {2, 3, 4, 5})]))
    return story


def _zones_section(page: _Page, zones) -> list:
    """Section 3: the uncovered zones, largest first."""
    st, t = page.st, page.t
    story: list = []
    story.append(_p("3. Zones non couvertes", st["h1"]))
    if len(zones):
        story.append(_p(escape(f"Unités de population au-delà de {t}\u00a0min regroupées en zones d'un seul "
                               "tenant, par population décroissante (couche « zones_non_couvertes » du "
                               "GeoPackage)."), st["small"]))
        rows = [["N°", "Commune principale", "Situation", "Habitants", "Surface", "Temps moyen", "Temps max."]]
        shown = zones.head(15)
        for r in shown.itertuples(index=False):
            rows.append([str(r.zone_id), r.nom or r.commune, r.status, fr_int(r.population),
                         fmt_num(round(r.area_km2, 1)) + "\u00a0km²", fr_min(r.mean_min), fr_min(r.max_min)])
        story.append(_table(rows, [w * mm for w in (10, 44, 32, 20, 22, 22, 22)], st, {0, 3, 4, 5, 6}))
        if len(zones) > len(shown):
            smaller = plural(len(zones) - len(shown), "zone plus petite", "zones plus petites")
            story.append(_p(escape(f"… et {smaller} : "
                                   f"{fr_int(zones['population'].iloc[len(shown):].sum())} habitants en tout."),
                            st["small"]))
    else:
        story.append(_p(escape(f"Aucune zone non couverte : toute la population est à {t}\u00a0min ou moins d'un "
                               "lieu d'accueil (seuil inclus)."), st["base"]))
    return story


def _load_part(page: _Page, shown: int = 10) -> list:
    """« Charge des lieux d'accueil » (with ``--capacity`` only): the most loaded sites and the 2SFCA summary."""
    report = page.result.capacity
    if report is None:
        return []
    st, t = page.st, page.t
    unit = report.unit
    story: list = [_p("Charge des lieux d'accueil", st["h2"])]
    how = ("approchée par les heures d'ouverture hebdomadaires (elles disent quand on est reçu, pas combien "
           "d'agents reçoivent)" if report.capacity.proxy else f"en {unit_plural(unit)}")
    story.append(_p(escape(f"Capacité {how}. Population rattachée : habitants dont c'est le lieu le plus proche, à "
                           f"{t}\u00a0min ou moins ; charge : population rattachée par {unit} ; seul lieu à portée : "
                           "part de cette population sans autre lieu dans le seuil. "
                           f"{report.people_label}."), st["small"]))
    rows = [["Lieu", "Capacité", "Population rattachée", "Charge", "Seul lieu à portée", "Surchargé"]]
    for r in report.most_loaded(shown).itertuples(index=False):
        rows.append([r.name, fmt_dec(r.capacity, sep=NBSP), fr_int(r.population_assigned),
                     fmt_dec(r.load, sep=NBSP), fr_pct(r.sole_share) if np.isfinite(r.sole_share) else "–",
                     "oui" if r.overloaded else "non"])
    story.append(_table(rows, [w * mm for w in (52, 24, 26, 26, 26, 20)], st, {1, 2, 3, 4}))
    unknown = int((~report.capacity.known).sum())
    summary = report.fca.summary(report.population)
    story.append(_p(escape(
        f"Indice 2SFCA (Luo et Wang, 2003 ; temps exacts sur le réseau, {report.fca.unit_label}), pondéré par la "
        f"population : moyenne {fmt_dec(summary['mean'], 2, NBSP)}, médiane {fmt_dec(summary['median'], 2, NBSP)}, "
        f"10e centile {fmt_dec(summary['p10'], 2, NBSP)}, 90e centile {fmt_dec(summary['p90'], 2, NBSP)}."
        + (f" {plural(unknown, 'lieu', 'lieux')} sans capacité connue : charge non calculée." if unknown else "")),
        st["small"]))
    return story


def _wait_part(page: _Page) -> list:
    """« Attente d'une ouverture » (with ``--wait`` only)."""
    if page.result.wait is None:
        return []
    return wait_part(page.result.wait, page.st)


def wait_part(wait, st, title: str = "Attente d'une ouverture", shown: int = 10) -> list:
    """The wait for an opening within reach (:class:`~access30.coverage.result.WaitReport`) as flowables:
    what it counts, the headline figures, the communes that wait longest."""
    hours = "les horaires d'accueil sans rendez-vous" if wait.walk_in else "les horaires d'ouverture"
    story: list = [_p(escape(title), st["h2"])]
    story.append(_p(escape(
        f"Pour chaque habitant à {fr_num(wait.threshold_min)} min ou moins d'au moins un lieu d'accueil : "
        "l'attente, depuis un moment tiré au hasard sur un cycle de quatre semaines, jusqu'à la prochaine ouverture "
        f"d'un lieu qu'il atteint dans le seuil (0 si l'un est ouvert), selon {hours}. Parts : des "
        f"{fr_int(wait.population_known)} habitants à portée dont les lieux ont des horaires connus."), st["small"]))
    rows = [["Indicateur", "Valeur"],
            ["Habitants à portée d'un lieu", fr_int(wait.population_in_reach)],
            ["dont lieux aux horaires inconnus seulement (pas d'attente)", fr_int(wait.population_unknown)],
            ["Ouverture chaque semaine", fr_pct(wait.share("weekly"))],
            ["Ouverture chaque quinzaine (pas chaque semaine)", fr_pct(wait.share("fortnightly"))],
            ["Ouverture moins souvent", fr_pct(wait.share("less_often"))],
            ["Jamais ouvert sur les quatre semaines", fr_pct(wait.share("never"))],
            ["Attente moyenne", _days(wait.mean_wait_days)],
            ["Attente, 90e centile (90 % attendent moins)", _days(wait.p90_wait_days)]]
    story.append(_table(rows, [110 * mm, 40 * mm], st, {1}))
    longest = wait.communes.dropna(subset=["mean_wait_days"]).head(shown)
    if len(longest):
        story.append(_p(escape(f"Communes où l'attente moyenne est la plus longue ({len(longest)} premières)"),
                        st["small"]))
        rows = [["Commune", "Habitants à portée", "Chaque semaine", "Attente moyenne", "90e centile"]]
        for r in longest.itertuples(index=False):
            rows.append([r.nom or r.commune, fr_int(r.population_in_reach), fr_pct(r.share_weekly),
                         _days(r.mean_wait_days), _days(r.p90_wait_days)])
        story.append(_table(rows, [w * mm for w in (60, 28, 26, 28, 28)], st, {1, 2, 3, 4}))
    return story


def _days(value: float) -> str:
    """Days with a decimal comma: « 3,4 jours », « 0,5 jour »; « – » when unknown."""
    if value is None or not np.isfinite(value):
        return "–"
    return f"{fmt_dec(value, 1, NBSP)} {'jour' if round(value, 1) < 2 else 'jours'}"


def _equity_section(page: _Page) -> list:
    """Section 4: time classes, gaps between communes, the publics most exposed to poverty."""
    st, result = page.st, page.result
    classes = time_class_table(result)
    story: list = []
    story.append(CondPageBreak(70 * mm))
    story.append(_p("4. Équité d'accès", st["h1"]))
    far = classes[classes["classe"].str.startswith(">")]["population"].sum()
    story.append(_p(escape(
        f"La répartition des habitants par temps d'accès figure en page 1 : "
        f"{fr_pct(float(classes['part'].iloc[0]))} sont à {classes['classe'].iloc[0].split('–')[-1]} ou moins, "
        f"{fr_int(far)} à plus de {classes['classe'].iloc[-2][2:]}."), st["base"]))
    shares = result.communes["share_covered"].to_numpy(dtype=float) if not result.communes.empty else np.array([])
    if shares.size:
        below = result.communes[result.communes["share_covered"] < 0.9]
        story.append(_p(escape(
            f"Écart entre communes : la part couverte va de {fr_pct(np.nanmin(shares))} à "
            f"{fr_pct(np.nanmax(shares))} ; "
            f"{plural(len(below), 'commune', 'communes')} sur {fr_int(len(shares))} "
            + ("a moins de 90\u00a0% de ses habitants couverts." if len(below) < 2 else
               "ont moins de 90\u00a0% de leurs habitants couverts.")), st["base"]))
    groups = result.equity.iloc[1:]
    if len(groups):
        rows = [["Public", "Effectif", "Couverts", "Part couverte", "Temps moyen"]]
        for r in result.equity.itertuples(index=False):
            rows.append([EQUITY_LABELS_FR.get(r.group, r.group), fr_int(r.total), fr_int(r.covered),
                         fr_pct(r.share_covered), fr_min(r.mean_min)])
        story.append(_p("Couverture des publics les plus exposés à la pauvreté (carroyage INSEE) :", st["base"]))
        story.append(_table(rows, [w * mm for w in (62, 25, 25, 25, 25)], st, {1, 2, 3, 4}))
    else:
        story.append(_p("Les données de population de ce territoire ne décrivent pas les ménages (pauvreté, "
                        "familles monoparentales, âge) : la couverture de ces publics ne peut pas être mesurée ici. "
                        "Elle l'est avec le carroyage Filosofi de l'INSEE (Martinique, La Réunion).", st["base"]))
    return story


def _suggestions_part(page: _Page, suggestion) -> list:
    """Section 5: the suggested sites, or why there are none."""
    st, result, study = page.st, page.result, page.study
    scenario = result.scenario
    story: list = []
    story.append(CondPageBreak(60 * mm))
    story.append(_p("5. Nouveaux lieux d'accueil suggérés", st["h1"]))
    if suggestion is not None and len(suggestion.suggested):
        story += _suggestion_section(result, suggestion, st, study)
    elif suggestion is not None:  # asked, nothing found: the reason (nobody to cover, or out of reach)
        reasons = " ".join(f"{n.message[:1].upper()}{n.message[1:]}." for n in suggestion.notices
                           if n.code in ("nothing_to_cover", "fewer_sites", "unreachable_by_candidates"))
        story.append(_p(escape(f"Simulation de {plural(suggestion.k or 0, 'nouveau lieu', 'nouveaux lieux')} "
                               f"({MODEL_LABELS_FR.get(suggestion.model, suggestion.model)}) : aucun lieu suggéré. "
                               + reasons), st["base"]))
    elif scenario is not None:
        story.append(_p(escape(f"Ce document décrit le scénario « {scenario.name} » : "
                               f"{plural(scenario.added, 'lieu hypothétique ouvert', 'lieux hypothétiques ouverts')}, "
                               f"{plural(scenario.closed, 'lieu fermé', 'lieux fermés')} (liste en page 1). "
                               "Aucune optimisation de l'emplacement de nouveaux lieux n'y est jointe."), st["base"]))
    else:
        story.append(_p("Aucune simulation de nouveaux lieux n'est jointe à cette édition (voir la commande "
                        "« access30 suggest » ou l'onglet correspondant de l'application).", st["base"]))
    return story


def _method_section(page: _Page) -> list:
    """Section 6: what is measured, speeds, access legs, estimated share."""
    st, s, t, mode = page.st, page.result.summary, page.t, page.mode
    story: list = []
    story.append(CondPageBreak(90 * mm))
    story.append(_p("6. Méthode", st["h1"]))
    net_text = (f"Réseau routier « {escape(s.network_source)} » : {fr_int(s['network_nodes'])} intersections, "
                f"{fr_int(s['network_edges'])} tronçons orientés")
    if s.transit is not None:
        net_text = _transit_network_text(s)
    if s.network_partial:
        net_text += (f". Il ne contient que les routes principales (réseau partiel) : ses morceaux sont reliés par "
                     f"{fr_int(s['network_estimated_edges'])} liaisons estimées, et les petites routes qui "
                     "mènent aux habitations sont remplacées par un trajet d'approche estimé")
    method = [
        f"<b>Ce qui est mesuré.</b> Pour chaque {unit_noun(s)}, le temps de trajet {mode} jusqu'au lieu d'accueil le "
        "plus rapide à atteindre, quelle que soit la commune du lieu. Un habitant est « couvert » si ce temps est "
        f"inférieur ou égal à {t}\u00a0minutes (seuil inclus : {t}:00 est couvert).",
        net_text + ".",
    ]
    travel = get_mode(s.travel_mode)
    if travel.speed_table:
        speeds = [("Autoroute", "motorway"), ("Voie express (2 × 2 voies)", "trunk"), ("Route nationale ou "
                  "départementale principale", "primary"), ("Route secondaire", "secondary"),
                  ("Route tertiaire", "tertiary"), ("Petite route communale", "unclassified"),
                  ("Rue résidentielle", "residential"), ("Voie de desserte, zone de rencontre", "service")]
        method.append("<b>Vitesses.</b> La vitesse maximale autorisée indiquée dans OpenStreetMap quand elle "
                      "existe ; sinon la limite légale selon le type de route (Code de la route), sans "
                      "embouteillages ni arrêts :")
    else:
        speeds = []
        method.append(f"<b>{'Calcul' if travel.timetable else 'Vitesse'}.</b> {escape(travel.method)}")
    for text in method:
        story.append(_p(text, st["base"]))
    if speeds:
        rows = [["Type de route (OpenStreetMap)", "Vitesse"]] + [
            [f"{label} ({key})", f"{fr_num(DRIVE_SPEED_KMH[key])}\u00a0km/h"] for label, key in speeds]
        story.append(_table(rows, [95 * mm, 25 * mm], st, {1}))
        story.append(Spacer(1, 2 * mm))
    access = _transit_walk_text(s) if s.transit is not None else [
        "<b>Trajets d'approche.</b> Entre le point d'une unité de population (centre d'un carreau ou d'un morceau "
        "de carreau, ou point de population) ou un lieu d'accueil et la route la plus proche, "
        f"la distance à vol d'oiseau, allongée de {fr_pct(s.access_detour - 1, 0)} pour les détours, est "
        f"parcourue à {fr_num(s.access_speed_kmh)}\u00a0km/h. Au-delà de {fr_int(s.max_access_m)}\u00a0m "
        "d'une route, une unité est comptée « sans accès routier », donc non couverte.",
        f"<b>Part estimée.</b> En moyenne, {fr_pct(s.estimated_time_share, 0)} du temps d'accès d'un habitant "
        "provient de ces estimations (trajets d'approche" + (", liaisons du réseau partiel" if s.network_partial
                                                               else "") + ") plutôt que du réseau cartographié.",
    ]
    access += [f"<b>Population.</b> {escape(s.population_label[:1].upper() + s.population_label[1:])} : "
               f"{fr_int(s.population_total)} habitants en {fr_int(s.cells_total)} unités.",
               "<b>Lieux d'accueil.</b> " + escape(sites_by_type(s.sites_by_type)) + "."]
    for text in access:
        story.append(_p(text, st["base"]))
    return story + _record_part(page)


def _record_part(page: _Page) -> list:
    """End of section 6: how this result was made, so that it can be made again (the run record)."""
    record = page.record
    if record is None:
        return []
    st = page.st
    story = [_p("<b>Reproductibilité.</b> Ce document a été produit par le calcul décrit ci-dessous. Chaque fichier "
                "lu est identifié par son empreinte SHA-256 : « access30 rerun » refait le calcul à partir du "
                "résumé JSON (ou de la table « run » du GeoPackage) et refuse de le faire si l'un d'eux a changé. "
                "Le détail de chaque option est dans la feuille « Paramètres du calcul » du classeur.", st["base"])]
    for line in record.lines():
        story.append(_p("• " + escape(line), st["small"]))
    return story


def _transit_network_text(s) -> str:
    """The public-transport network of a transit run: feed, validity, date, window (report section 6)."""
    t = s.transit
    agencies = ", ".join(t.feed_agencies) or "agence non déclarée"
    return (f"Réseau de transports en commun : flux GTFS « {escape(t.feed_file)} » ({escape(agencies)}), valable "
            f"du {fmt_iso_date(t.feed_valid_from)} au {fmt_iso_date(t.feed_valid_to)} ; horaires du "
            f"{fmt_iso_date(t.service_date)}, départs {escape(t.window)} "
            f"({fr_int(s['network_nodes'])} arrêts desservis, "
            f"{fr_int(s['network_edges'])} courses ce jour-là). "
            + escape(t.date_reason[:1].upper() + t.date_reason[1:]))


def _transit_walk_text(s) -> list[str]:
    """Walking legs, estimated share and opening hours of a transit run (report section 6)."""
    t = s.transit
    lines = [f"<b>Marche.</b> Distance à vol d'oiseau allongée de {fr_pct(s.access_detour - 1, 0)}, parcourue à "
             f"{fr_num(s.access_speed_kmh)}\u00a0km/h : en moyenne {fr_pct(s.estimated_time_share, 0)} du temps "
             "d'un habitant est de la marche estimée ainsi.",
             f"<b>Temps retenu.</b> Le temps médian sur les départs de la fenêtre ({escape(t.window)}) ; les 25e et "
             "75e centiles sont dans le GeoPackage (couche des carreaux : time_p25_min, time_p75_min).",
             f"<b>Horaires d'ouverture.</b> {escape(t.opening_hours[:1].upper() + t.opening_hours[1:])}."]
    covered = []
    for threshold, groups in t.thresholds.items():
        covered.append(f"{threshold}\u00a0min : " + ", ".join(
            f"{escape(_group_label(g))} {fr_pct(v['share_covered'])}" for g, v in groups.items()))
    lines.append("<b>Couverture selon le seuil.</b> " + " ; ".join(covered) + ".")
    if t.routes:
        lines.append("<b>Lignes utilisées</b> par les habitants couverts (trajet médian) : " + ", ".join(
            f"{escape(str(r['route']))} ({fr_int(r['population'])})" for r in t.routes[:8]) + ".")
    return lines


def _group_label(group: str) -> str:
    return EQUITY_LABELS_FR.get(group, group)


def _sources_and_limits(page: _Page) -> list:
    """Sections 7 and 8: sources, limits and the notices of the run."""
    st, s, result, study, day = page.st, page.result.summary, page.result, page.study, page.day
    story: list = []
    story.append(_p("7. Sources des données", st["h1"]))
    for line in (study.sources if study is not None else []):
        story.append(_p("•\u00a0" + escape(line), st["base"]))
    story.append(_p(f"Calcul : access30, logiciel libre, le {fr_date(day)}.", st["base"]))

    story.append(_p("8. Limites", st["h1"]))
    limits = [
        "Les vitesses sont celles d'une circulation fluide : aux heures de pointe et en ville, les temps réels "
        "sont plus longs.",
        get_mode(s.travel_mode).limit,
        "Les horaires d'ouverture des lieux d'accueil ne sont pas pris en compte : un lieu ouvert une demi-journée "
        "par semaine compte comme un lieu ouvert tous les jours.",
        "La capacité des lieux (nombre d'agents, temps d'attente) n'est pas prise en compte.",
    ]
    if s.transit is not None:  # timetable times: published schedules; the hours are said in section 6
        limits = [get_mode(s.travel_mode).limit, limits[-1]]
    elif s.hours is not None:  # read through the opening hours: say which, not that they were ignored
        limits[2] = (f"Seuls les lieux ouverts {s.hours.when} comptent ({s.hours.sites_open} sur "
                     f"{s.hours.sites_all}) ; les lieux aux horaires inconnus sont comptés à part.")
    notices = [n.message for n in other_notices(result.notices) if n.code not in ("estimated",)]
    for text in limits:
        story.append(_p("•\u00a0" + escape(text), st["base"]))
    if notices:
        story.append(_p("Points d'attention relevés lors du calcul :", st["h2"]))
        for text in notices:
            story.append(_p("•\u00a0" + escape(text), st["base"]))
    return story


def _suggestion_section(result: CoverageResult, suggestion, st, study: Study | None) -> list:
    s = result.summary
    frame = suggestion.suggested
    gain_col = suggestion_gain_column(frame)
    names = known_names(study.communes if study is not None else None)
    before = float(getattr(suggestion, "population_covered_before", s.population_covered))
    after = getattr(suggestion, "population_covered_after", None)
    total = float(getattr(suggestion, "population_total", s.population_total))
    out = []
    on = getattr(suggestion, "scenario", None)
    if after is not None:
        after = float(after)
        where = (f"sur le scénario « {on} », " if on else
                 "sur la situation actuelle (pas sur le scénario présenté), " if result.scenario is not None else "")
        existing = "du scénario" if on else "existants"
        out.append(_p(escape(
            f"Calcul {where}en ajoutant {plural(len(frame), 'lieu', 'lieux')} aux {fr_int(s.sites_total)} "
            f"{existing} : la population couverte passerait de {fr_int(before)} "
            f"{'(scénario) ' if on else ''}à {fr_int(after)} habitants "
            f"({fr_pct(after / total) if total else '–'}), soit {fr_int(after - before)} habitants de plus."),
            st["base"]))
    header = ["Rang", "Lieu suggéré", "Commune"] + (["Habitants gagnés"] if gain_col else [])
    rows = [header]
    for rank, (_, r) in enumerate(frame.iterrows(), start=1):
        commune = str(r.get("commune", "") or "")
        row = [str(r.get("rank", rank)), str(r.get("name", "") or r.get("candidate_id", "")),
               commune_name(commune, names) or commune]
        if gain_col:
            row.append(fr_int(float(r[gain_col])))
        rows.append(row)
    widths = [12, 92, 45] + ([25] if gain_col else [])
    out.append(_table(rows, [w * mm for w in widths], st, {0, 3}))
    notes = [f"n°\u00a0{r.get('rank', i)} : {r['gain_note']}" for i, (_, r) in enumerate(frame.iterrows(), start=1)
             if str(r.get("gain_note", "") or "")]
    if notes:
        out.append(_p(escape("Apport de chaque lieu — " + " ; ".join(notes) + "."), st["small"]))
    kind, meaning = objective_kind(suggestion)
    fmt = {"int": fr_int, "min": fr_min, "pop": fr_int}[kind]
    if bool(suggestion.optimal):
        quality = ("La solution est optimale (prouvée par le solveur) : aucun autre choix de lieux candidats ne fait "
                   "mieux. " + tied_line(suggestion))
    else:
        quality = (f"Écart d'optimalité : {fr_pct(float(suggestion.gap), 2)} entre la solution "
                   f"({fmt(float(suggestion.objective))}) et la meilleure valeur possible prouvée "
                   f"({fmt(float(suggestion.bound))}), en {meaning}.")
    model = getattr(suggestion, "model", "")
    out.append(_p(escape(f"{quality} Modèle : {MODEL_LABELS_FR.get(model, model)}. Les lieux sont choisis parmi des "
                         "emplacements candidats (mairies, France Services, carreaux habités) et les gains sont "
                         "calculés avec les mêmes temps d'accès que le reste du rapport. Le rang indique l'ordre "
                         "d'apport : le lieu n°\u00a01 est celui qui couvre le plus d'habitants à lui seul."),
                  st["small"]))
    return out


def _numbered_canvas(footer_left: str, scenario: str | None = None):
    class NumberedCanvas(canvas.Canvas):
        """Canvas that writes « page n / N » once the number of pages is known."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages = []

        def showPage(self):  # noqa: N802 (ReportLab API)
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self.setFont(FONT, 7.5)
                self.setFillColor(HexColor("#555555"))
                self.drawString(18 * mm, 10 * mm, footer_left)
                self.drawRightString(192 * mm, 10 * mm, f"page {self._pageNumber} / {total}")
                if scenario:  # every page says it: a scenario, not the current situation
                    self.setFont(FONT + "-Bold", 8)
                    self.setFillColor(HexColor(SCENARIO_RED))
                    self.drawCentredString(105 * mm, 289 * mm, f"SCÉNARIO « {scenario} » — hypothèse, "
                                                               "pas la situation actuelle")
                self.setStrokeColor(HexColor("#BBBBBB"))
                self.setLineWidth(0.4)
                self.line(18 * mm, 13.5 * mm, 192 * mm, 13.5 * mm)
                super().showPage()
            super().save()

    return NumberedCanvas


def pdf_bytes(result: CoverageResult, study: Study | None = None, suggestion=None, map_png: bytes | None = None,
              report_date: date | None = None, zones=None, record=None) -> bytes:
    """The French PDF report as bytes.

    Parameters
    ----------
    result : CoverageResult
    study : Study, optional
        Gives the sources, commune outlines and names.
    suggestion : optional
        Duck-typed ``Suggestion`` (``.suggested``, ``.objective``, ``.bound``, ``.gap``, ``.optimal``,
        ``.model``, ``.k``): adds the suggested sites with their gains and the optimality gap.
    map_png : bytes, optional
        The map to print (default: drawn with :func:`access30.outputs.maps.png_bytes`).
    report_date : date, optional
        Edition date printed (default: today).
    zones : GeoDataFrame, optional
        Precomputed :func:`access30.outputs.export.uncovered_zones`.
    record : RunRecord, optional
        How the result was made (:class:`access30.base.record.RunRecord`), printed at the end of the
        method section.
    """
    _register_fonts()
    day = report_date or date.today()
    story = report_story(result, study, suggestion, map_png, day, zones, record)
    buffer = io.BytesIO()
    territory = result.summary.territory
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                            bottomMargin=18 * mm, title=f"Accès au premier accueil social — {territory}",
                            author="access30", subject="Annexe à la convention d'appui à la lutte contre la pauvreté",
                            lang="fr-FR")
    scenario = result.scenario.name if result.scenario is not None else None
    doc.build(story, canvasmaker=_numbered_canvas(f"access30 — {territory} — {fr_date(day)}", scenario))
    return buffer.getvalue()


def write_pdf(result: CoverageResult, path: str | Path, study: Study | None = None, suggestion=None,
              map_png: bytes | None = None, report_date: date | None = None, zones=None, record=None) -> None:
    """Write the PDF report atomically (with the run record in the method section when given)."""
    data = pdf_bytes(result, study, suggestion, map_png, report_date, zones, record)
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
