"""Browser test: headless Debian chromium opens the generated reports from disk.

On the reports of the example data (one workflow run) at 1280 px: the page never
scrolls sideways (wide tables scroll inside their box), the model-validity box is
there with its figures, an ion has the same colour in the tables and figures of a
dataset page and of the index, no two labels of a ladder overlap, and no page logs
a console error. On a synthetic dataset with a hostile cell type: every plot renders,
clicking a header sorts the table (both directions), no script runs but the page's
own. Screenshots of every page go to the pytest temp dir. The driver is Debian's
``chromedriver`` (never downloaded: selenium-manager is not used). Without chromium
the test is skipped on a developer machine and fails in CI (``CI`` set, as
``.ci/run`` does), which installs ``chromium`` and ``chromium-driver``.
"""

from __future__ import annotations

import itertools
import os
import shutil
import sys
from pathlib import Path

import pytest
from conftest import FAILURES, REJECTED, XSS_CELL
from synthetic import write_results

from iongrad.report import render_dataset_report, render_index
from iongrad.report.style import ion_style

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "workflow"))
from smk_helpers import copy_workflow, snakemake  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROME_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--hide-scrollbars",
)
#: The narrowest window the reports are laid out for, [px].
WIDTH = 1280

pytestmark = pytest.mark.slow


def _unavailable(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"browser test cannot run in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _unavailable("selenium is not installed (pip install -e '.[dev]')")
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (Path(path).is_file() and os.access(path, os.X_OK)):
            _unavailable(f"{path} missing (apt-get install chromium chromium-driver)")
    os.environ["SE_OFFLINE"] = "true"  # selenium-manager must not download
    profile = tmp_path_factory.mktemp("chromium-profile")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={WIDTH},1000")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    log = profile.parent / "chromedriver.log"
    service = Service(executable_path=CHROMEDRIVER, log_output=str(log))
    drv = webdriver.Chrome(service=service, options=options)
    drv.set_page_load_timeout(60)
    yield drv
    drv.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def example_reports(tmp_path_factory) -> Path:
    """reports/ of one workflow run on the example data."""
    workdir = copy_workflow(tmp_path_factory.mktemp("example") / "repo")
    run = snakemake(workdir)
    assert run.returncode == 0, run.output[-3000:]
    return workdir / "reports"


def _severe(drv) -> list[dict]:
    return [e for e in drv.get_log("browser") if e.get("level") == "SEVERE"]


def _open(drv, page: Path, shots: Path) -> None:
    """Load ``page`` at :data:`WIDTH` and save a full-page screenshot of it."""
    drv.set_window_size(WIDTH, 1000)
    drv.get(page.as_uri())
    height = drv.execute_script("return document.documentElement.scrollHeight")
    drv.set_window_size(WIDTH, min(int(height) + 100, 16000))
    shots.mkdir(parents=True, exist_ok=True)
    assert drv.save_screenshot(str(shots / f"{page.stem}.png"))
    drv.set_window_size(WIDTH, 1000)


def _overflow(drv) -> int:
    """How far the page reaches past the window's right edge, [px]."""
    return drv.execute_script(
        "var d = document.documentElement; return d.scrollWidth - d.clientWidth;"
    )


def _rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


#: Colours (computed) of the swatch of each ion in tables, and of every shape drawn
#: in a figure.
_SWATCH_COLOURS = """
var out = {};
document.querySelectorAll("td.ion").forEach(function (td) {
  var shape = td.querySelector("svg.swatch > *");
  if (shape) { out[td.textContent.trim()] = getComputedStyle(shape).fill; }
});
return out;
"""
_FIGURE_COLOURS = """
var out = new Set();
document.querySelectorAll(arguments[0] + " svg path, " + arguments[0] + " svg use")
  .forEach(function (el) {
    var s = getComputedStyle(el);
    out.add(s.fill); out.add(s.stroke);
  });
return Array.from(out);
"""
_LABEL_BOXES = """
return Array.from(document.querySelectorAll('[id^="plot-ladder-label-"]'))
  .map(function (el) {
    var r = el.getBoundingClientRect();
    return [el.textContent.trim(), r.left, r.top, r.right, r.bottom];
  });
"""


def _overlapping(boxes):
    """Pairs of labels whose bounding boxes intersect."""
    return [
        (a[0], b[0])
        for a, b in itertools.combinations(boxes, 2)
        if a[1] < b[3] and b[1] < a[3] and a[2] < b[4] and b[2] < a[4]
    ]


def test_example_reports_in_browser(driver, example_reports, tmp_path):
    """The example data's pages at 1280 px."""
    shots = tmp_path / "screenshots"
    pages = sorted(example_reports.glob("*.html"))
    assert len(pages) >= 8
    k_colour = _rgb(ion_style("K+").colour)
    for page in pages:
        _open(driver, page, shots)
        assert _severe(driver) == [], page.name
        assert _overflow(driver) <= 0, page.name
        if page.name == "index.html":
            continue
        box = driver.find_element("id", "validity")
        assert box.is_displayed()
        for check in ("activity", "permeability", "donnan", "ljp", "tolerance"):
            text = driver.find_element("id", f"validity-{check}").text
            assert len(text) > 30, (page.name, check)
        swatches = driver.execute_script(_SWATCH_COLOURS)
        assert swatches.get("K+") == k_colour, page.name
        assert k_colour in driver.execute_script(_FIGURE_COLOURS, "#plot-ladder")
        boxes = driver.execute_script(_LABEL_BOXES)
        assert len(boxes) >= 4, page.name
        assert all(r - left > 0 and b - t > 0 for _, left, t, r, b in boxes)
        assert _overlapping(boxes) == [], page.name
    # frog muscle: E_Cl (-98.7 mV) and E_K (-102.2 mV) used to print on each other
    _open(driver, example_reports / "frog_skeletal_muscle.html", shots)
    labels = [b[0] for b in driver.execute_script(_LABEL_BOXES)]
    assert any(t.startswith("Cl- ") for t in labels)
    assert any(t.startswith("K+ ") for t in labels)
    # cardiac: the validity box says the permeabilities are the defaults
    _open(driver, example_reports / "cardiac_ventricular_myocyte.html", shots)
    perm = driver.find_element("id", "validity-permeability").text
    assert "Default relative permeabilities" in perm
    assert "Vm − V_GHK" in driver.find_element("id", "group-0").text
    # the index draws K+ in the same colour
    _open(driver, example_reports / "index.html", shots)
    assert k_colour in driver.execute_script(_FIGURE_COLOURS, "#plot-index-ladder")


def _column_values(drv, table_id: str, col: int) -> list[str]:
    return drv.execute_script(
        "return Array.from(document.getElementById(arguments[0]).tBodies[0].rows)"
        ".map(r => r.cells[arguments[1]].getAttribute('data-value'));",
        table_id,
        col,
    )


def _assert_sorted(values: list[str], descending: bool):
    filled = [float(v) for v in values if v != ""]
    assert filled == sorted(filled, reverse=descending)
    # missing values always last
    n = len(filled)
    assert all(v == "" for v in values[n:])


def test_synthetic_report_sorts_and_stays_text(driver, tmp_path):
    from selenium.webdriver.common.by import By

    results = write_results(
        tmp_path / "results",
        "demo",
        [("squid axon", 291.15, 4), (XSS_CELL, 310.15, 3)],
        failures=FAILURES,
        rejected=REJECTED,
        invalid_every=6,
    )
    reports = tmp_path / "reports"
    page = reports / "demo.html"
    render_dataset_report(
        dataset="demo",
        results_dir=results,
        output=page,
        config={"temperatures_C": [20, 25, 37]},
        temperatures_C=[20, 25, 37],
    )
    entry = {"dataset": "demo", "status": "warnings", "results_dir": str(results)}
    render_index(
        entries=[{**entry, "report_href": "demo.html"}], output=reports / "index.html"
    )

    _open(driver, page, tmp_path / "screenshots")
    assert driver.title.startswith("demo")
    assert _severe(driver) == []
    assert _overflow(driver) <= 0
    # the hostile cell type is text, no alert was raised, no extra script ran
    assert XSS_CELL in driver.find_element(By.ID, "cell-types").text
    assert driver.execute_script("return document.scripts.length") == 1

    figures = driver.find_elements(By.CSS_SELECTOR, "figure svg")
    assert len(figures) == 5
    for svg in figures:
        rect = driver.execute_script(
            "var r = arguments[0].getBoundingClientRect(); return [r.width, r.height];",
            svg,
        )
        assert rect[0] > 100
        assert rect[1] > 100
    assert _overlapping(driver.execute_script(_LABEL_BOXES)) == []

    table = driver.find_element(By.ID, "potentials")
    headers = table.find_elements(By.CSS_SELECTOR, "thead th")
    keys = [h.get_attribute("data-key") for h in headers]
    # what identifies a row and its status are in view without scrolling
    for key in ("sample_id", "ion", "status", "status_reason"):
        left = headers[keys.index(key)].rect["x"]
        assert left < WIDTH - 100, key
    col = keys.index("E_act_mV")
    before = _column_values(driver, "potentials", col)
    with pytest.raises(AssertionError):
        _assert_sorted(before, descending=False)  # unsorted to begin with
    driver.execute_script("arguments[0].scrollIntoView();", headers[col])
    headers[col].click()
    after = _column_values(driver, "potentials", col)
    _assert_sorted(after, descending=False)
    assert sorted(after) == sorted(before)  # same rows, reordered
    assert headers[col].get_attribute("aria-sort") == "ascending"
    headers[col].click()
    _assert_sorted(_column_values(driver, "potentials", col), descending=True)
    # text column sorts too
    scol = keys.index("sample_id")
    headers[scol].click()
    ids = _column_values(driver, "potentials", scol)
    assert ids == sorted(ids)
    assert _severe(driver) == []

    _open(driver, reports / "index.html", tmp_path / "screenshots")
    assert _severe(driver) == []
    assert _overflow(driver) <= 0
    svgs = driver.find_elements(By.CSS_SELECTOR, "figure svg")
    assert svgs
    assert all(s.size["width"] > 0 and s.size["height"] > 0 for s in svgs)
    link = driver.find_element(By.LINK_TEXT, "demo")
    link.click()
    assert driver.current_url.endswith("/demo.html")

    # the console check can fail: an error logged by the page is seen
    driver.execute_script("console.error('probe error')")
    assert any("probe error" in e["message"] for e in _severe(driver))
