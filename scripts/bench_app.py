"""Benchmark: how long a planner waits in the app, action by action, and how the server's memory behaves.

Starts ``streamlit run app.py`` on a free port and drives it with headless Chromium (selenium), as a
planner would. Each action is timed from the interaction (click, key, file chosen) to the end of the
script run it triggers, as the page itself reports it (the ``data-test-script-state`` of Streamlit's
root element, watched by a MutationObserver in the page): the first ``running`` after the click to the
last ``notRunning`` once the page has stayed idle for a moment, so that chained reruns (``st.rerun``,
the map's first message) are counted. That is the server's time plus a local WebSocket round trip.

Two studies:

* the demo (built-in Saint-Brieuc – Loudéac, by car);
* one's own files (« Mes fichiers »): population = the Côtes-d'Armor communes with their population
  (``cotes_darmor/communes_22.gpkg``, column ``population_municipale``, 175,597 modelled cells), sites =
  the département's France Services, network = ``osm/st_brieuc_loudeac.osm.pbf`` with « réseau partiel ».

Actions (each study, at 20 min: on the demo everyone is within 30 min by car): threshold 30 → 20 first and back
at the end, car → on foot → car, a dropdown pick, add a candidate
site, close a site, compare scenarios, delete the scenario, each export prepared (GeoPackage, XLSX,
PNG, PDF), each suggestion model (maxcover, cover, p-median, capacitated maxcover), and the opening-hours
choice of « Lecture des lieux » (open on Tuesday at 18:00, at the hours of people in work, back to any hour).

``--sessions N`` runs N browser sessions at once on the demo, each doing the action list ``--rounds``
times (default 10), and reports the server's memory after the warm-up (every session's first round)
and at the end: ``app_rss_growth_pct`` is the growth between the two.

The last lines are::

    app_action_p50_s: X      median over the demo's actions (suggestions and first render excepted)
    app_action_max_s: X      the slowest of them
    app_first_render_s: X    a new session on a warm server, until the map is drawn
    app_suggest_max_s: X     the slowest suggestion on the demo
    app_rss_growth_pct: X    server memory growth after warm-up

Usage::

    .venv/bin/python scripts/bench_app.py             # demo and own files, one session (about 5 min)
    .venv/bin/python scripts/bench_app.py --quick     # demo, a few actions (a smoke test)
    .venv/bin/python scripts/bench_app.py --sessions 6 --rounds 10
    .venv/bin/python scripts/bench_app.py --shots /tmp/shots   # a screenshot after each action
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
OWN_FILES = {"population": DATA / "cotes_darmor" / "communes_22.gpkg",
             "sites": DATA / "cotes_darmor" / "france_services_22.csv",
             "network": DATA / "osm" / "st_brieuc_loudeac.osm.pbf"}
#: Where the planner clicks to open a site (lat, lon), per study: on the demo's view a click south-east of
#: Plaintel (the own-files point) never reaches the map (something is drawn over it there), one near
#: Saint-Brandan does; on the own files' view (the whole département) the Plaintel point does.
CLICKED = {"demo": (48.3700, -2.7600), "own files": (48.3950, -2.8000)}
#: Seconds of quiet (no script run) after which a page counts as settled.
QUIET_S = 0.8

_OBSERVER = """
if (!window.__a30) {
  var app = document.querySelector('[data-testid="stApp"]');
  if (!app) { return false; }
  var log = [];
  new MutationObserver(function () {
    log.push([performance.now(), app.getAttribute('data-test-script-state')]);
  }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
  window.__a30 = {log: log, app: app};
}
return true;
"""

_STATE = """
var a = window.__a30; var since = arguments[0];
return {now: performance.now(), state: a.app.getAttribute('data-test-script-state'),
        log: a.log.filter(function (e) { return e[0] >= since; }),
        errors: document.querySelectorAll('[data-testid="stException"]').length};
"""


class AlreadyChosen(Exception):
    """The option asked for is already the selectbox's value: no interaction, nothing to time."""


@dataclass
class Timing:
    study: str
    action: str
    seconds: float
    kind: str = "action"  # action | suggest | render | upload
    note: str = ""


@dataclass
class Results:
    timings: list[Timing] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, timing: Timing) -> None:
        with self.lock:
            self.timings.append(timing)

    def fail(self, text: str) -> None:
        with self.lock:
            self.failures.append(text)


# ------------------------------------------------------------------------------------------------
# The server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """``streamlit run app.py`` in a child process (its own log), with its resident memory."""

    def __init__(self):
        self.port = free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="bench_app_", suffix=".log", delete=False)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port",
             str(self.port), "--server.address", "127.0.0.1", "--server.fileWatcherType", "none",
             "--browser.gatherUsageStats", "false"],
            cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("streamlit exited: " + Path(self.log.name).read_text()[-2000:])
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("streamlit did not start within 90 s")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def rss_mb(self) -> float:
        """Resident memory of the server process, MB."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# ------------------------------------------------------------------------------------------------
# A browser session


class Session:
    """One headless Chromium on the app, with timed interactions."""

    def __init__(self, url: str, name: str, results: Results, shots: Path | None = None):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        self.url, self.name, self.results, self.shots = url, name, results, shots
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        self.profile = tempfile.mkdtemp(prefix="bench_chromium_")
        for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                     f"--user-data-dir={self.profile}", "--window-size=1600,1000", "--lang=fr-FR"):
            options.add_argument(flag)
        self.d = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        self.d.set_window_size(1600, 1000)
        self.study = "demo"
        self.shot_number = 0

    def close(self) -> None:
        try:
            self.d.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)

    # -- waiting ---------------------------------------------------------------------------------

    def _observe(self) -> None:
        deadline = time.time() + 60
        while not self.d.execute_script(_OBSERVER):
            if time.time() > deadline:
                raise TimeoutError("no Streamlit app on the page")
            time.sleep(0.05)

    def now(self) -> float:
        self._observe()
        return float(self.d.execute_script("return performance.now();"))

    def settle(self, since: float, timeout: float, need_run: bool = True) -> float:
        """Seconds from ``since`` (page clock, ms) to the last end of a script run, once the page is quiet."""
        deadline = time.time() + timeout
        started = time.time()
        while True:
            info = self.d.execute_script(_STATE, since)
            log, state = info["log"], info["state"]
            ran = any(e[1] == "running" for e in log)
            quiet_ms = info["now"] - (log[-1][0] if log else since)
            if state == "notRunning" and quiet_ms >= QUIET_S * 1000 and (ran or not need_run
                                                                       or time.time() - started > 5):
                if info["errors"]:
                    self.results.fail(f"{self.name}: exception shown on the page")
                ends = [e[0] for e in log if e[1] == "notRunning"]
                return ((ends[-1] if ends else since) - since) / 1000
            if time.time() > deadline:
                raise TimeoutError(f"still {state} after {timeout:.0f} s")
            time.sleep(0.03)

    def timed(self, action: str, do, kind: str = "action", timeout: float = 180.0, until=None,
              need_run: bool = True) -> float | None:
        """Run ``do()`` (which performs the interaction and returns the page time just before it) and time it
        to the settled page (and, with ``until``, to the page for which ``until()`` is true)."""
        try:
            self._observe()
            since = do()
            deadline = time.time() + timeout
            seconds = self.settle(since, timeout, need_run)
            while until is not None and not until():
                if time.time() > deadline:
                    raise TimeoutError(f"the page never showed what {action} waits for")
                time.sleep(0.1)
                seconds = self.settle(since, max(1.0, deadline - time.time()), need_run)
        except AlreadyChosen:
            return None
        except Exception as exc:  # noqa: BLE001 - a benchmark reports, it does not stop at the first failure
            self.results.fail(f"{self.name} {self.study} {action}: {type(exc).__name__}: {str(exc)[:200]}")
            return None
        self.results.add(Timing(self.study, action, seconds, kind))
        self.shot(action)
        return seconds

    def shot(self, action: str) -> None:
        if self.shots is None:
            return
        self.shot_number += 1
        self.d.save_screenshot(str(self.shots / f"{self.name}_{self.shot_number:02d}_{self.study}_"
                                   f"{action.replace(' ', '_').replace('/', '-')}.png"))

    # -- finding things ----------------------------------------------------------------------------

    def find(self, css: str, text: str | None = None, timeout: float = 60.0, exact: bool = True):
        from selenium.webdriver.common.by import By

        deadline = time.time() + timeout
        while True:
            for element in self.d.find_elements(By.CSS_SELECTOR, css):
                try:
                    if not element.is_displayed():
                        continue
                    shown = element.text.strip()
                except Exception:  # noqa: BLE001 - stale element: look again
                    continue
                if text is None or (shown == text if exact else text in shown):
                    return element
            if time.time() > deadline:
                raise TimeoutError(f"nothing like {css} « {text} » on the page")
            time.sleep(0.1)

    def click_js(self, element) -> float:
        self.d.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
        return float(self.d.execute_script("var t = performance.now(); arguments[0].click(); return t;", element))

    # -- interactions (each returns the page time just before it) ---------------------------------

    def button(self, text: str):
        return lambda: self.click_js(self.find("button", text))

    def radio(self, text: str):
        return lambda: self.click_js(self.find('[data-testid="stRadio"] label', text))

    def checkbox(self, text: str):
        def do():
            label = self.find('[data-testid="stCheckbox"] label', text, exact=False)
            self.d.execute_script("arguments[0].scrollIntoView({block: 'center'});", label)
            since = self.now()
            label.click()  # a real click: the checkbox listens to pointer events
            return since

        return do

    def map_click(self, lat: float, lon: float):
        """Click the map at (lat, lon) (the map answers with the clicked point: a rerun)."""
        from selenium.webdriver.common.action_chains import ActionChains
        from selenium.webdriver.common.by import By

        def do():
            frame, waited = None, time.perf_counter()
            while frame is None:  # on a busy server the map may still be drawing after the last rerun
                frame = next((f for f in self.d.find_elements(By.CSS_SELECTOR, "iframe") if f.is_displayed()), None)
                if frame is None:
                    if time.perf_counter() - waited > 60:
                        raise TimeoutError("no map on the page")
                    time.sleep(0.2)
            self.d.execute_script("arguments[0].scrollIntoView({block: 'center'});", frame)
            since = self.now()
            self.d.switch_to.frame(frame)
            try:
                x, y = self.d.execute_script(
                    "var k = Object.keys(window).filter(n => n.startsWith('map_') && window[n] && window[n].getBounds"
                    " && window[n].getContainer().isConnected).pop();"  # the map shown (a redraw makes a new one)
                    "var p = window[k].latLngToContainerPoint([arguments[0], arguments[1]]); return [p.x, p.y];",
                    lat, lon)
                box = self.d.find_element(By.CSS_SELECTOR, ".leaflet-container")
                width, height = box.size["width"], box.size["height"]
                ActionChains(self.d).move_to_element_with_offset(box, int(x - width / 2),
                                                                  int(y - height / 2)).click().perform()
            finally:
                self.d.switch_to.default_content()
            return since

        return do

    def tab(self, text: str) -> None:
        """Open a tab (timed: only the open tab is drawn, so opening one runs the page)."""
        element = self.find('[role="tab"]', text)
        if element.get_attribute("aria-selected") == "true":
            return
        self.timed(f"tab: {text}", lambda: self.click_js(element), need_run=False)

    def pick(self, label: str, option: str, exact: bool = False):
        """Choose ``option`` in the selectbox labelled ``label`` (opening the list is not timed)."""
        from selenium.webdriver.common.by import By

        def do():
            box = self.find('[data-testid="stSelectbox"]', label, exact=False)
            self.d.execute_script("arguments[0].scrollIntoView({block: 'center'});", box)
            shown = box.find_element(By.CSS_SELECTOR, "input").get_attribute("value") or ""
            if shown == option if exact else option in shown:
                raise AlreadyChosen(option)
            box.find_element(By.CSS_SELECTOR, 'button[aria-haspopup="listbox"]').click()
            item = self.find('[role="option"]', option, exact=exact, timeout=20)
            return float(self.d.execute_script("var t = performance.now(); arguments[0].click(); return t;", item))

        return do

    def slider(self, key: str):
        from selenium.webdriver.common.action_chains import ActionChains
        from selenium.webdriver.common.by import By

        def do():
            handle = self.d.find_element(By.CSS_SELECTOR, '[data-testid="stSlider"] input[type="range"]')
            self.d.execute_script("arguments[0].focus();", handle)
            since = self.now()
            ActionChains(self.d).send_keys(key).perform()
            return since

        return do

    def upload(self, label: str, path: Path):
        from selenium.webdriver.common.by import By

        def do():
            box = self.find('[data-testid="stFileUploader"]', label, exact=False)
            field_ = box.find_element(By.CSS_SELECTOR, 'input[type="file"]')
            since = self.now()
            field_.send_keys(str(path))
            return since

        return do

    def refused(self) -> str:
        """The text of an error box on the page ("" when none): a request the app refused."""
        from selenium.webdriver.common.by import By

        boxes = self.d.find_elements(By.CSS_SELECTOR, '[data-testid="stAlertContentError"]')
        # The scenario's banner (« hypothèse de travail ») is an error box too: not a refusal.
        return " ".join(box.text for box in boxes if box.is_displayed() and "hypothèse de travail" not in box.text)

    def has_text(self, text: str) -> bool:
        from selenium.webdriver.common.by import By

        return text in self.d.find_element(By.TAG_NAME, "body").text

    def map_drawn(self, timeout: float = 120.0) -> None:
        """Wait until the Leaflet map inside the streamlit-folium frame shows its site markers."""
        from selenium.webdriver.common.by import By

        deadline = time.time() + timeout
        while time.time() < deadline:
            for frame in self.d.find_elements(By.CSS_SELECTOR, "iframe"):
                try:
                    if not frame.is_displayed():
                        continue
                    self.d.switch_to.frame(frame)
                    markers = self.d.execute_script(
                        "return document.querySelectorAll('.leaflet-marker-icon').length;")
                except Exception:  # noqa: BLE001 - frame replaced by a rerun
                    markers = 0
                finally:
                    self.d.switch_to.default_content()
                if markers:
                    return
            time.sleep(0.05)
        raise TimeoutError("the map was not drawn")

    # -- whole steps -------------------------------------------------------------------------------

    def open_app(self, label: str = "first render") -> None:
        """A new Streamlit session: load the page, time it to the settled figures and to the drawn map."""
        t0 = time.perf_counter()
        self.d.get(self.url)
        self._observe()
        try:
            self.settle(0.0, 600)
            figures = time.perf_counter() - t0
            self.map_drawn()
            drawn = time.perf_counter() - t0
        except Exception as exc:  # noqa: BLE001
            self.results.fail(f"{self.name} {label}: {type(exc).__name__}: {str(exc)[:200]}")
            return
        self.results.add(Timing(self.study, label + " (figures)", figures, "render"))
        self.results.add(Timing(self.study, label + " (map)", drawn, "render"))
        self.shot(label.replace(" ", "_"))


#: What the page says when the sites have no opening hours (no capacity offered).
NO_HOURS = "n'a d'horaires d'ouverture lisibles"


def action_list(s: Session, quick: bool = False, suggestions: bool = True, exports: bool = True) -> None:
    """The planner's actions, each timed (the scenario made is deleted at the end: every round alike)."""
    from selenium.webdriver.common.keys import Keys

    # The round runs at 20 min: on the demo everyone is within 30 min by car, and suggestions, zones blanches
    # and candidates' gains need someone beyond the threshold.
    s.timed("threshold 30 → 25", s.slider(Keys.ARROW_LEFT))
    s.timed("threshold 25 → 20", s.slider(Keys.ARROW_LEFT))
    if not quick:
        s.timed("mode car → on foot", s.radio("À pied"))
        s.timed("mode on foot → car", s.radio("Voiture"))
        s.timed("dropdown: site type", s.pick("Type de lieu", "France Services", exact=True))
        s.timed("opening hours: open on Tuesday 18:00", s.radio("Lieux ouverts à un moment de la semaine"))
        s.timed("opening hours: hours of people in work", s.radio("Lieux ouverts aux heures des actifs"))
        s.timed("opening hours: any hour", s.radio("Lieu le plus proche, à toute heure"))
    if s.study == "demo":  # own files without commune outlines have no candidate town hall
        s.timed("add a candidate site", s.button("Ouvrir un lieu à cet endroit"))
    if not quick:
        s.timed("map click", s.map_click(*CLICKED[s.study]))
        s.timed("add a site at the clicked point", s.button("Ouvrir un lieu au point cliqué"))
    s.timed("close a site", s.button("Fermer ce lieu"))
    if not quick:
        s.timed("dropdown: site type", s.pick("Type de lieu", "CCAS / CIAS", exact=True))
        s.tab("Indicateurs")
        s.timed("dropdown: EPCI table", s.radio("EPCI"))
        if not s.has_text(NO_HOURS):  # sites without opening hours: no capacity offered (the page says why)
            s.timed("dropdown: capacity", s.pick("Capacité des lieux", "heures d'ouverture"))
            s.timed("dropdown: no capacity", s.pick("Capacité des lieux", "aucune", exact=True))
        else:
            print(f"{s.name} {s.study}: the sites have no opening hours, the capacity is not offered (the page says "
                  "why): its dropdown and the capacitated model are skipped", flush=True)
        s.timed("dropdown: communes table", s.radio("Communes"))
        s.tab("Comparer les scénarios")
        s.timed("compare scenarios (A = Scénario 1)", s.pick("Scénario A", "Scénario 1", exact=True))
        s.timed("compare scenarios (A = Situation actuelle)", s.pick("Scénario A", "Situation actuelle",
                                                                      exact=True))
    if exports:
        s.tab("Export")
        files = [("GeoPackage", "Préparer le GeoPackage (carreaux, communes, lieux)"),
                 ("XLSX", "Préparer le classeur Excel"), ("PNG", "Préparer la carte (PNG)"),
                 ("PDF", "Préparer le rapport (PDF)")]
        for name, text in files[1:2] if quick else files:
            s.timed(f"export {name} prepared", s.button(text))
    if suggestions:
        s.tab("Suggestions")
        models = [("maxcover", "couverture maximale (k lieux)", False),
                  ("cover", "couverture totale (nombre minimal de lieux)", False),
                  ("p-median", "temps moyen minimal (p-médian, k lieux)", False),
                  ("capacitated maxcover", "couverture maximale (k lieux)", True)]
        hours = not s.has_text(NO_HOURS)
        for name, option, capacitated in models[:1] if quick else models:
            if capacitated and not hours:
                continue  # the capacity is not offered without opening hours (said on the page)
            s.timed(f"objective: {name}", s.pick("Objectif", option))
            box = s.find('[data-testid="stCheckbox"]', "Tenir compte de la capacité", exact=False)
            ticked = box.find_element("css selector", "input").is_selected()
            if ticked != capacitated:
                s.timed("capacity checkbox", s.checkbox("Tenir compte de la capacité"))
            label = option + (" avec capacités" if capacitated else "")
            s.timed(f"suggest {name}", s.button("Calculer les suggestions"), kind="suggest", timeout=300,
                    until=lambda: ((s.has_text(f"Objectif : {label} ;") or s.has_text(f"Aucun lieu suggéré ({label},")
                                    or s.refused()) and not s.has_text("en cours :")))
            if s.refused():  # the model refused the request (said in French on the page): not a timing
                s.results.fail(f"{s.name} {s.study} suggest {name} refused: {s.refused()[:200]}")
        if not quick and hours:
            s.timed("capacity checkbox", s.checkbox("Tenir compte de la capacité"))
    if not quick:
        s.tab("Comparer les scénarios")
        s.timed("delete the scenario", s.button("Supprimer"))
    s.tab("Carte et scénarios")
    s.timed("threshold 20 → 25", s.slider(Keys.ARROW_RIGHT))
    s.timed("threshold 25 → 30", s.slider(Keys.ARROW_RIGHT))


def own_files(s: Session) -> None:
    """« Mes fichiers »: upload the Côtes-d'Armor files, then the same actions."""
    s.study = "own files"
    s.tab("Carte et scénarios")
    s.timed("source: Mes fichiers", s.radio("Mes fichiers"))
    s.timed("upload population (communes_22.gpkg)", s.upload("Population", OWN_FILES["population"]),
            kind="upload")
    s.timed("population column", s.pick("Colonne de population", "population_municipale", exact=True))
    s.timed("upload sites (france_services_22.csv)", s.upload("Lieux d'accueil", OWN_FILES["sites"]),
            kind="upload")
    s.timed("partial network", s.checkbox("Réseau partiel"))
    s.timed("upload network (st_brieuc_loudeac.osm.pbf): study built", s.upload("Réseau routier",
                                                                                  OWN_FILES["network"]),
            kind="upload", timeout=600)
    waited = time.perf_counter()
    while not s.has_text("Population couverte"):  # the figures may come with the page's next run
        if time.perf_counter() - waited > 120:
            s.results.fail("own files: no figures after the uploads")
            return
        time.sleep(0.5)
    action_list(s)


# ------------------------------------------------------------------------------------------------
# Reports


def p50(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def table(results: Results) -> str:
    rows = {}
    for t in results.timings:
        rows.setdefault((t.study, t.action, t.kind), []).append(t.seconds)
    lines = [f"{'study':10s} {'action':58s} {'n':>3s} {'p50 s':>7s} {'max s':>7s}"]
    for (study, action, _), values in rows.items():
        lines.append(f"{study:10s} {action:58s} {len(values):3d} {p50(values):7.2f} {max(values):7.2f}")
    return "\n".join(lines)


def run_single(args, results: Results, server: Server) -> tuple[float, float]:
    shots = Path(args.shots) if args.shots else None
    if shots:
        shots.mkdir(parents=True, exist_ok=True)
    s = Session(server.url, "s1", results, shots)
    try:
        s.open_app("cold render")  # loads and routes the demo on the server
        s.open_app("first render")  # a new session on a warm server
        action_list(s, quick=args.quick)
        rss0 = server.rss_mb()  # after the warm-up: the first round of actions
        for _ in range(args.rounds - 1):
            action_list(s, quick=args.quick)
        rss1 = server.rss_mb()
        if not args.quick and not args.skip_own:
            own_files(s)
    finally:
        s.close()
    return rss0, rss1


def run_sessions(args, results: Results, server: Server) -> tuple[float, float]:
    warm = threading.Barrier(args.sessions + 1)
    errors: list[BaseException] = []

    def one(number: int) -> None:
        s = None
        try:
            s = Session(server.url, f"s{number}", results)
            s.open_app("first render")
            action_list(s)
            warm.wait()
            warm.wait()  # the warm-up measure is taken between the two
            for done in range(2, args.rounds + 1):
                action_list(s)
                # A line per round, so that a run cut short still says how memory went.
                print(f"s{number} round {done}/{args.rounds} done, server RSS {server.rss_mb():.0f} MB", flush=True)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
            results.fail(f"s{number}: {type(exc).__name__}: {str(exc)[:200]}")
            warm.abort()
        finally:
            if s is not None:
                s.close()

    # One session first loads the demo (cold server), as the server would be warm in use.
    first = Session(server.url, "s0", results)
    first.open_app("cold render")
    first.close()
    threads = [threading.Thread(target=one, args=(n + 1,)) for n in range(args.sessions)]
    for thread in threads:
        thread.start()
    try:
        warm.wait()
        rss0 = server.rss_mb()
        print(f"server RSS after warm-up ({args.sessions} sessions, 1 round each): {rss0:.0f} MB", flush=True)
        warm.wait()
    except threading.BrokenBarrierError:
        rss0 = server.rss_mb()
    for thread in threads:
        thread.join()
    rss1 = server.rss_mb()
    return rss0, rss1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="the demo, a few actions, one round (a smoke test)")
    parser.add_argument("--sessions", type=int, default=0, help="browser sessions at once on the demo")
    parser.add_argument("--rounds", type=int, default=None, help="rounds of the action list (10 with --sessions)")
    parser.add_argument("--skip-own", action="store_true", help="the demo only")
    parser.add_argument("--shots", default=None, help="folder for a screenshot after each action")
    args = parser.parse_args(argv)
    if args.rounds is None:
        args.rounds = 10 if args.sessions else 1 if args.quick else 2
    if not CHROMIUM.exists() or not Path(CHROMEDRIVER).exists():
        print("chromium and chromedriver are needed (apt-get install -y chromium chromium-driver)", file=sys.stderr)
        return 1
    results = Results()
    server = Server()
    try:
        t0 = time.perf_counter()
        if args.sessions:
            rss0, rss1 = run_sessions(args, results, server)
        else:
            rss0, rss1 = run_single(args, results, server)
        wall = time.perf_counter() - t0
        server_end = server.rss_mb()
    finally:
        server.stop()
    print(table(results))
    for failure in results.failures:
        print("FAILURE:", failure)
    demo = [t for t in results.timings if t.study == "demo"]
    actions = [t.seconds for t in demo if t.kind == "action"]
    own = [t.seconds for t in results.timings if t.study == "own files" and t.kind == "action"]
    suggest = [t.seconds for t in demo if t.kind == "suggest"]
    first = [t.seconds for t in demo if t.kind == "render" and t.action.startswith("first render")]
    print(f"wall time: {wall:.0f} s; server RSS on the demo after warm-up (first round) {rss0:.0f} MB, after the "
          f"other rounds {rss1:.0f} MB, at the end {server_end:.0f} MB")
    print(f"failures: {len(results.failures)}")
    if own:
        print(f"own_files_action_p50_s: {p50(own):.2f}")
        print(f"own_files_action_max_s: {max(own):.2f}")
    print(f"app_action_p50_s: {p50(actions):.2f}")
    print(f"app_action_max_s: {max(actions, default=float('nan')):.2f}")
    print(f"app_first_render_s: {max(first, default=float('nan')):.2f}")
    print(f"app_suggest_max_s: {max(suggest, default=float('nan')):.2f}")
    print(f"app_rss_growth_pct: {100 * (rss1 - rss0) / rss0:.1f}")
    return 1 if results.failures else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the server and the browsers on a kill too
    raise SystemExit(main())
