"""Browser test: headless Debian chromium opens the generated reports from disk.

Checks that the page logs no console errors, that every plot renders with a non-zero
size, and that clicking a header sorts the table (both directions), and saves a
screenshot under the pytest temp dir. The driver is Debian's ``chromedriver`` (never
downloaded: selenium-manager is not used). Without chromium the test is skipped on a
developer machine and fails in CI (``CI`` set, as ``.ci/run`` does), which installs
``chromium`` and ``chromium-driver``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import FAILURES, XSS_CELL
from synthetic import write_results

from iongrad.report import render_dataset_report, render_index

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
)

pytestmark = pytest.mark.slow


def _unavailable(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"browser test cannot run in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture
def driver(tmp_path, monkeypatch):
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _unavailable("selenium is not installed (pip install -e '.[dev]')")
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (Path(path).is_file() and os.access(path, os.X_OK)):
            _unavailable(f"{path} missing (apt-get install chromium chromium-driver)")
    monkeypatch.setenv("SE_OFFLINE", "true")  # selenium-manager must not download
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    options.add_argument("--window-size=1300,1000")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=CHROMEDRIVER, log_output=str(tmp_path / "cd.log"))
    drv = webdriver.Chrome(service=service, options=options)
    drv.set_page_load_timeout(60)
    yield drv
    drv.quit()
    shutil.rmtree(tmp_path / "chromium-profile", ignore_errors=True)


def _severe(drv) -> list[dict]:
    return [e for e in drv.get_log("browser") if e.get("level") == "SEVERE"]


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


def test_reports_in_browser(driver, tmp_path):
    from selenium.webdriver.common.by import By

    results = write_results(
        tmp_path / "results",
        "demo",
        [("squid axon", 291.15, 4), (XSS_CELL, 310.15, 3)],
        failures=FAILURES,
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
    render_index(
        entries=[
            {
                "dataset": "demo",
                "status": "warnings",
                "results_dir": str(results),
                "report_href": "demo.html",
            }
        ],
        output=reports / "index.html",
    )

    driver.get(page.as_uri())
    assert driver.title.startswith("demo")
    assert _severe(driver) == []
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

    table = driver.find_element(By.ID, "potentials")
    headers = table.find_elements(By.CSS_SELECTOR, "thead th")
    keys = [h.get_attribute("data-key") for h in headers]
    col = keys.index("E_act_mV")
    before = _column_values(driver, "potentials", col)
    with pytest.raises(AssertionError):
        _assert_sorted(before, descending=False)  # unsorted to begin with
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

    shot = tmp_path / "report.png"
    assert driver.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000
    assert _severe(driver) == []

    driver.get((reports / "index.html").as_uri())
    assert _severe(driver) == []
    svgs = driver.find_elements(By.CSS_SELECTOR, "figure svg")
    assert svgs
    assert all(s.size["width"] > 0 and s.size["height"] > 0 for s in svgs)
    link = driver.find_element(By.LINK_TEXT, "demo")
    link.click()
    assert driver.current_url.endswith("/demo.html")
    driver.save_screenshot(str(tmp_path / "index.png"))

    # the console check can fail: an error logged by the page is seen
    driver.execute_script("console.error('probe error')")
    assert any("probe error" in e["message"] for e in _severe(driver))
