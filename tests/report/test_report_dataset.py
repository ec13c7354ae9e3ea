"""The per-dataset report: numbers match the results files, strings are escaped,
flags sit next to the numbers they concern, tables are capped with a full CSV, and
missing optional files are said so in the page."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pandas as pd
import pytest
from conftest import FAILURES, XSS_CELL, XSS_SAMPLE
from pagedata import parse_page
from synthetic import potentials_frame, write_results

from iongrad.report import ResultsError, render_dataset_report
from iongrad.report.tables import MAX_TABLE_ROWS, summary_by_group


def _render(results, tmp_path, **kw):
    out = tmp_path / "reports" / "demo.html"
    render_dataset_report(dataset="demo", results_dir=results, output=out, **kw)
    return out, parse_page(out)


def _num(cell) -> float:
    v = cell["value"]
    if v == "":
        return math.nan
    return float(v)


def test_detail_table_values_match_potentials(demo_page):
    demo_results, _, page = demo_page
    pot = pd.read_parquet(demo_results / "potentials.parquet")
    recs = page.records("potentials")
    assert len(recs) == len(pot)  # small dataset: nothing capped
    for rec, (_, row) in zip(recs, pot.iterrows(), strict=True):
        assert rec["sample_id"]["v"] == row["sample_id"]
        assert rec["ion"]["v"] == row["ion"]
        for key in ("E_conc_mV", "E_act_mV", "delta_act_mV", "driving_force_mV"):
            shown, exact = rec[key], float(row[key])
            if np.isnan(exact):
                assert shown["value"] == ""
                # a driving force is missing because E is: said in words
                word = "E undefined" if key == "driving_force_mV" else "—"
                assert shown["v"] == word
            else:
                # data-value carries the exact float; the text is rounded to 0.1 mV
                assert _num(shown) == exact
                assert float(shown["v"]) == pytest.approx(exact, abs=0.05 + 1e-12)
        # the label is the sort value; "none" reads as within noise
        assert rec["flux_direction"]["value"] == row["flux_direction"]
        assert rec["current_direction"]["value"] == row["current_direction"]
        words = {"none": "within noise"}
        assert rec["flux_direction"]["v"] == words.get(
            row["flux_direction"], row["flux_direction"]
        )
        assert rec["status"]["v"] == row["status"]


def test_group_summaries_match_means(demo_page):
    demo_results, _, page = demo_page
    pot = pd.read_parquet(demo_results / "potentials.parquet")
    groups = list(pot.groupby(["cell_type", "temperature_K"], sort=True))
    assert sorted(k for k in page.tables if k.startswith("summary-")) == [
        f"summary-{k}" for k in range(len(groups))
    ]
    n_checked = 0
    for k, (_, grp) in enumerate(groups):
        recs = {r["ion"]["v"]: r for r in page.records(f"summary-{k}")}
        assert set(recs) == set(grp["ion"])
        for ion, rows in grp.groupby("ion"):
            rec = recs[ion]
            assert int(rec["n"]["value"]) == len(rows)
            for key in ("E_conc_mV", "E_act_mV", "driving_force_mV"):
                v = rows[key].to_numpy(float)
                v = v[np.isfinite(v)]
                if v.size == 0:
                    assert rec[key]["value"] == ""
                    continue
                assert _num(rec[key]) == pytest.approx(v.mean(), rel=1e-12, abs=1e-12)
                # "mean ± SD" to 0.1 mV; the mean is the sort value
                mean_text, _, sd_text = rec[key]["v"].partition(" ± ")
                assert float(mean_text) == pytest.approx(v.mean(), abs=0.05)
                if key != "E_conc_mV" and v.size > 1:
                    assert float(sd_text) == pytest.approx(v.std(ddof=1), abs=0.05)
                n_checked += 1
    assert n_checked >= 20


def test_header_counts_and_validation_rows(demo_page):
    demo_results, _, page = demo_page
    val = json.loads((demo_results / "validation.json").read_text())
    assert page.ids["rows-accepted"] == str(val["rows_accepted"])
    assert page.ids["rows-rejected"] == str(val["rows_rejected"]) == "1"
    assert page.ids["n-warnings"] == "1"
    assert page.ids["n-errors"] == "1"
    assert page.ids["n-samples"] == "5"
    assert "squid axon" in page.ids["cell-types"]
    assert "18.0 °C" in page.ids["temperatures"]
    assert "37.0 °C" in page.ids["temperatures"]
    rejected = page.records("rejected")  # the error, with its row's sample and ion
    warned = page.records("warnings-0")  # the warning, grouped under its rule
    for rec, f in zip(rejected + warned, FAILURES, strict=True):
        for key in ("file", "row", "column", "value", "rule", "severity"):
            assert rec[key]["v"] == str(f[key])
    pot = pd.read_parquet(demo_results / "potentials.parquet")
    owner = pot[pot["source_row"] == FAILURES[1]["row"]].iloc[0]
    assert warned[0]["sample_id"]["v"] == owner["sample_id"]
    assert warned[0]["ion"]["v"] == owner["ion"]
    # the page links only to files beside it, so reports/ can travel alone
    assert "demo_validation.json" in page.links
    assert "demo_rejected.csv" in page.links
    assert not [h for h in page.links if h.startswith("..")]
    reports = demo_results.parent.parent / "reports"
    assert json.loads((reports / "demo_validation.json").read_text()) == val


def test_user_strings_are_escaped(tmp_path):
    pot = potentials_frame("demo", [(XSS_CELL, 300.0, 2)])
    pot.loc[pot["sample_id"] == "s1", "sample_id"] = XSS_SAMPLE
    res = write_results(tmp_path / "results", "demo", [], potentials=pot)
    out = tmp_path / "reports" / "x.html"
    render_dataset_report(dataset="<b>demo</b>", results_dir=res, output=out)
    html = out.read_text(encoding="utf-8")
    assert XSS_CELL not in html
    assert XSS_SAMPLE not in html
    assert "<b>demo</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    page = parse_page(out)
    assert page.tags["script"] == 1  # only the report's own sort script
    assert page.tags.get("img", 0) == 0
    assert page.ids["dataset-name"] == "<b>demo</b>"  # shown as text
    assert page.ids["cell-types"] == XSS_CELL
    samples = {c["v"] for c in page.column("potentials", "sample_id")}
    assert XSS_SAMPLE in samples


def test_validity_flags_next_to_numbers(demo_page):
    demo_results, _, page = demo_page
    pot = pd.read_parquet(demo_results / "potentials.parquet")
    assert (~pot["activity_valid"]).sum() >= 3
    for rec, valid in zip(
        page.records("potentials"), pot["activity_valid"], strict=True
    ):
        flagged = "flag" in rec["E_act_mV"]["cls"]
        assert flagged == (not valid)
        assert ("outside model range" in rec["E_act_mV"]["text"]) == (not valid)
    assert "validity-alert" in page.ids
    # the group summary counts them where the mean is shown
    total = sum(
        int(r["n_activity_invalid"]["value"])
        for tid in page.tables
        if tid.startswith("summary-")
        for r in page.records(tid)
    )
    assert total == int((~pot["activity_valid"]).sum())


def test_undefined_rows_show_reason_not_number(demo_page):
    _, _, page = demo_page
    impermeant = [r for r in page.records("potentials") if r["ion"]["v"] == "A-"]
    assert impermeant
    for r in impermeant:
        assert r["E_act_mV"]["v"] == "—"
        assert r["status"]["v"] == "impermeant"
        assert "cannot equilibrate" in r["E_act_mV"]["title"]


def test_long_tables_capped_with_full_csv(tmp_path):
    n = MAX_TABLE_ROWS // 5 + 10  # 5 ions per sample: more rows than the cap
    res = write_results(tmp_path / "results", "big", [("cell", 300.0, n)])
    out = tmp_path / "reports" / "big.html"
    render_dataset_report(dataset="big", results_dir=res, output=out)
    page = parse_page(out)
    assert len(page.tables["potentials"]["rows"]) == MAX_TABLE_ROWS
    assert "big_potentials.csv" in page.links
    full = pd.read_csv(out.parent / "big_potentials.csv")
    pot = pd.read_parquet(res / "potentials.parquet")
    assert len(full) == len(pot) == 5 * n
    np.testing.assert_array_equal(full["E_act_mV"].to_numpy(), pot["E_act_mV"])
    html = out.read_text(encoding="utf-8")
    assert f"first {MAX_TABLE_ROWS} of {5 * n} rows shown" in html


def test_missing_optional_files_are_stated(tmp_path):
    res = write_results(
        tmp_path / "results",
        "demo",
        [("c", 300.0, 2)],
        with_samples=False,
        with_donnan=False,
    )
    (res / "provenance.json").unlink()
    out, page = _render(res, tmp_path)
    html = out.read_text(encoding="utf-8")
    assert "samples.parquet is missing" in html
    assert "donnan.parquet is missing" in html
    assert "provenance.json is missing" in html
    assert "samples" not in page.tables


def test_missing_potentials_or_column_is_an_error(tmp_path):
    res = write_results(tmp_path / "results", "demo", [("c", 300.0, 1)])
    pot = pd.read_parquet(res / "potentials.parquet").drop(columns=["E_act_mV"])
    pot.to_parquet(res / "potentials.parquet")
    with pytest.raises(ResultsError, match=r"potentials\.parquet.*E_act_mV"):
        _render(res, tmp_path)
    (res / "potentials.parquet").unlink()
    with pytest.raises(ResultsError, match=r"potentials\.parquet: missing"):
        _render(res, tmp_path)
    assert not (tmp_path / "reports" / "demo.html").exists()


def test_integer_codes_become_labels(tmp_path):
    pot = potentials_frame("demo", [("c", 300.0, 2)])
    codes = pot.copy()
    codes["flux_direction"] = (
        codes["flux_direction"]
        .map({"none": 0, "efflux": 1, "influx": 2, "undefined": 3})
        .astype("int8")
    )
    codes["status"] = np.where(codes["status"] == "ok", 0, 2).astype("int8")
    res = write_results(tmp_path / "results", "demo", [], potentials=codes)
    _, page = _render(res, tmp_path)
    shown = [c["v"] for c in page.column("potentials", "flux_direction")]
    assert shown == pot["flux_direction"].tolist()
    assert {c["v"] for c in page.column("potentials", "status")} == {"ok", "impermeant"}


def test_provenance_and_config_rendered(demo_page):
    _, out, _ = demo_page
    html = out.read_text(encoding="utf-8")
    assert "ab" * 32 in html  # input checksum
    assert "96485.33212" in html  # constants
    assert "macinnes" in html
    assert "&#34;temperatures_C&#34;" in html or '"temperatures_C"' in html


def test_plots_inline_svg_with_labels(demo_page):
    _, out, page = demo_page
    html = out.read_text(encoding="utf-8")
    figures = ("ladder", "temperature", "activity", "donnan", "ghk")
    assert all(f'id="plot-{n}"' in html for n in figures)
    assert page.tags["svg"] >= 5  # the figures (and the ions' markers in tables)
    for label in (
        "Potential [mV]",
        "Temperature [°C]",
        "E (activity) − E (conc.) [mV]",
        "Measured intracellular concentration [mM]",
        "Membrane potential [mV]",
    ):
        assert label in html
    # self-contained: nothing fetched (xmlns namespace names are not fetched)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", html)
    assert "<link" not in html
    assert "@import" not in html
    assert "<metadata>" not in html


def test_summary_by_group_ignores_undefined_in_means():
    pot = potentials_frame("d", [("c", 300.0, 3)])
    pot.loc[0, "E_act_mV"] = np.inf
    pot.loc[0, "status"] = "zero_inside"
    s = summary_by_group(pot)
    row = s[s["ion"] == pot.loc[0, "ion"]].iloc[0]
    e = pot.loc[pot["ion"] == pot.loc[0, "ion"], "E_act_mV"].to_numpy()[1:]
    assert row["E_act_mV"] == pytest.approx(e.mean(), rel=1e-12)
    assert row["n_undefined"] == 1


def test_prediction_temperatures_set_the_temperature_figure_range(
    demo_results, tmp_path
):
    """Without a temperature scan the figure spans the configured temperatures [°C]
    and the measured ones (18 and 37 °C in the demo)."""
    out, _ = _render(demo_results, tmp_path)
    assert "between 18.0 and 37.0 °C" in out.read_text(encoding="utf-8")
    out, _ = _render(demo_results, tmp_path, temperatures_C=[0, 50])
    assert "between 0.0 and 50.0 °C" in out.read_text(encoding="utf-8")


def test_failures_errors_first_and_message_without_repeated_prefix():
    from iongrad.report.findings import locate_failures

    recs = [
        {
            "file": "f.csv",
            "row": 2,
            "column": "c",
            "value": 1,
            "rule": "r1",
            "severity": "warning",
            "message": "f.csv, row 2, column 'c': value 1: rule r1: too high",
        },
        {
            "file": "f.csv",
            "row": 9,
            "column": "c",
            "value": -1,
            "rule": "r2",
            "severity": "error",
            "message": "negative",
        },
        {
            "file": "f.csv",
            "row": 4,
            "column": "c",
            "value": -2,
            "rule": "r2",
            "severity": "error",
            "message": "negative",
        },
    ]
    frame = locate_failures(recs, potentials_frame("d", [("c", 300.0, 1)])).frame
    assert frame["row"].tolist() == [4, 9, 2]
    assert frame["severity"].tolist() == ["error", "error", "warning"]
    assert frame["message"].tolist() == ["negative", "negative", "too high"]


def test_scatter_plots_are_subsampled_and_say_so():
    from iongrad.report import plots

    pot = potentials_frame("d", [("c", 300.0, plots.MAX_PLOT_POINTS // 4 + 50)])
    n_finite = int(np.isfinite(pot["E_act_mV"]).sum())
    assert n_finite > plots.MAX_PLOT_POINTS
    p = plots.activity_effect_plot(pot)
    assert p.note == (
        f"{plots.MAX_PLOT_POINTS:,} of {n_finite:,} points shown (random subset, "
        "seed 0)."
    )
    # one <use> per drawn marker, plus a few for legend markers and ticks
    assert plots.MAX_PLOT_POINTS <= p.svg.count("<use ") <= plots.MAX_PLOT_POINTS + 30
    assert p.svg.count("<use ") < n_finite


def test_vm_predictions_plot_draws_a_subset_of_many_samples():
    from synthetic import samples_frame

    from iongrad.report import plots

    n = plots.MAX_PLOT_POINTS  # samples per group, two groups: 6 n values
    pot = potentials_frame("d", [("a", 300.0, n), ("b", 310.0, n)])
    smp = samples_frame(pot)
    p = plots.vm_predictions_plot(smp)
    assert "random subset, seed 0" in p.note
    assert f"of up to {n:,}" in p.note  # n shown of N
    assert p.svg.count("<use ") <= plots.MAX_PLOT_POINTS + 30
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", p.svg)
    assert sum(f"(n = {n})" in t for t in texts) == 6  # means over all samples


@pytest.mark.parametrize("left_out", [set(), {"s2"}, {"s0", "s3", "s5"}, "all"])
def test_the_rows_that_count_are_picked_not_copied(left_out):
    # The summary and the figures take the rows that count by a mask over the
    # potentials table (a big table is not copied to leave a few samples out):
    # the same output as the table without the samples left out.
    from types import SimpleNamespace

    from synthetic import compute_columns

    from iongrad.report import plots
    from iongrad.report.dataset import _counted_rows

    pot = compute_columns(potentials_frame("d", [("c", 300.0, 4), ("n", 310.0, 3)]))
    if left_out == "all":
        left_out = set(pot["sample_id"])
    full = pot[~pot["sample_id"].isin(left_out)]
    counted = _counted_rows(pot, SimpleNamespace(excluded=left_out))
    assert (counted is None) == (not left_out)
    pd.testing.assert_frame_equal(
        summary_by_group(pot, 5.0, counted),
        summary_by_group(full, 5.0).reset_index(drop=True),
        check_exact=True,
    )
    temperatures = [293.15, 310.15]
    for draw, picked in (
        (
            lambda rows: plots.e_vs_temperature_plot(pot, temperatures, rows=rows),
            lambda: plots.e_vs_temperature_plot(full, temperatures),
        ),
        (
            lambda rows: plots.activity_effect_plot(pot, rows=rows),
            lambda: plots.activity_effect_plot(full),
        ),
    ):
        assert draw(counted).svg == picked().svg
        assert draw(counted).note == picked().note


@pytest.mark.parametrize("seed", range(4))
def test_short_messages_cut_each_message_at_its_own_rule(seed):
    # per rule, on that rule's messages only; the reference cuts one message at a
    # time after the first "rule <its rule>: " (a file or value naming another rule
    # does not move the cut), and leaves messages without it, or without a rule
    from iongrad.report.findings import _short_messages

    rng = np.random.default_rng(seed)
    rules = np.array(["number_format", "bath_electroneutral", None], dtype=object)
    texts = [
        "f.csv, row 3, column 'c': value x: rule {r}: must be a number (sample 's1')",
        "rule number_format: in the file name, row 4: rule {r}: imbalance",
        "no prefix here",
        None,
    ]
    n = 60
    rule = rules[rng.integers(0, len(rules), n)]
    message = [
        None if t is None else t.format(r=r)
        for t, r in zip(
            [texts[i] for i in rng.integers(0, len(texts), n)], rule, strict=True
        )
    ]
    frame = pd.DataFrame({"rule": rule, "message": message}, dtype=object)

    def reference(msg, r):
        if msg is None or r is None:
            return msg
        _head, sep, tail = msg.partition(f"rule {r}: ")
        return tail if sep else msg

    got = [None if pd.isna(v) else v for v in _short_messages(frame).tolist()]
    assert got == [reference(m, r) for m, r in zip(message, rule, strict=True)]


def test_activity_figure_means_every_point_and_keeps_every_ion():
    # a big table's figure draws a subset of its points, but the mean at the right
    # of each ion's row is over every point, and an ion with few rows keeps its row
    from iongrad.report import plots
    from iongrad.report.formats import fmt_mV

    n = plots.MAX_PLOT_POINTS * 3
    delta = np.zeros(n)
    delta[::600] = 600.0  # ten outliers: a subset's mean is not the whole's
    pot = pd.DataFrame(
        {
            "ion": ["K+"] * n + ["Ca2+"] * 3,
            "E_conc_mV": 0.0,
            "E_act_mV": np.r_[delta, [5.0, 6.0, 7.0]],
            "activity_valid": True,
        }
    )
    p = plots.activity_effect_plot(pot)
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", p.svg)
    assert f"{fmt_mV(delta.mean(), signed=True)} mV" in texts  # +1.0 mV
    assert f"{fmt_mV(6.0, signed=True)} mV" in texts  # the rare ion's row
    assert p.svg.count("<use ") <= plots.MAX_PLOT_POINTS + 30  # still a subset
    assert "random subset, seed 0" in p.note


def test_donnan_figure_keeps_an_ion_with_few_rows_among_many():
    from iongrad.report import plots

    n = plots.MAX_PLOT_POINTS * 10
    donnan = pd.DataFrame(
        {
            "ion": ["K+"] * n + ["Ca2+"],
            "c_in_mM": np.linspace(1.0, 150.0, n + 1),
            "c_in_donnan_mM": np.linspace(2.0, 140.0, n + 1),
        }
    )
    p = plots.donnan_plot(donnan)
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", p.svg)
    assert "Ca2+" in texts  # in the legend: its points are drawn
    assert p.svg.count("<use ") <= plots.MAX_PLOT_POINTS + 30
    assert p.note.endswith(f"of {n + 1:,} points shown (random subset, seed 0).")
