"""The report's fast paths give what the slow ones gave.

Each speed-up of the report (cached Jinja environment, table bodies built in Python,
one cythonised call per summary statistic, the summaries' columns grouped in
place instead of copied into a frame, figures reused per thread, the cyclic GC
paused while a report is built)
is checked here against the straightforward version it replaced, kept in this file
as the reference: same markup, same numbers bit for bit, same SVG.
"""

from __future__ import annotations

import gc
import re
import threading

import jinja2
import numpy as np
import pandas as pd
import pytest
from conftest import XSS_CELL, XSS_SAMPLE
from hypothesis import given, settings
from hypothesis import strategies as st
from synthetic import donnan_frame, potentials_frame, samples_frame

from iongrad.constants import kelvin_to_celsius
from iongrad.report import (
    ResultsError,
    ladder,
    plots,
    render,
    render_dataset_report,
    tables,
)
from iongrad.report.directions import NO_VM, stated_directions
from iongrad.report.tables import (
    Cell,
    Column,
    Table,
    potentials_summary,
    summary_by_group,
)
from iongrad.tables.locate import as_text, categorical

# --------------------------------------------------------------------------- Jinja


def test_jinja_environment_is_built_once_and_still_escapes():
    env = render._env()
    assert render._env() is env  # compiled templates are kept between reports
    assert env.from_string("{{ x }}").render(x=XSS_CELL) == (
        "&lt;script&gt;alert(1)&lt;/script&gt;"
    )
    assert env.get_template("dataset.html.j2") is env.get_template("dataset.html.j2")
    with pytest.raises(jinja2.UndefinedError):  # StrictUndefined kept
        env.from_string("{{ missing }}").render()


#: The table-body loop of templates/macros.html.j2 before it moved into Python.
_REFERENCE_ROWS = (
    "{% for row in t.rows %}\n"
    '<tr>{% for cell in row %}<td data-value="{{ cell.value }}"'
    "{% if t.columns[loop.index0].decimals is not none or t.columns[loop.index0].fmt %}"
    ' class="num {{ cell.cls }}"{% elif cell.cls %} class="{{ cell.cls }}"{% endif %}'
    '{% if cell.title %} title="{{ cell.title }}"{% endif %}>{% if cell.href %}'
    '<a href="{{ cell.href }}"><span class="v">{{ cell.text }}</span></a>{% else %}'
    '<span class="v">{{ cell.text }}</span>{% endif %}{% if cell.badge %}'
    '<span class="badge">⚠ {{ cell.badge }}</span>{% endif %}</td>{% endfor %}</tr>\n'
    "{% endfor %}\n"
)

_texts = st.text(
    alphabet=st.sampled_from(list("ab1 .-–⚠&<>\"'=/é")), min_size=0, max_size=8
)


@st.composite
def _tables(draw):
    columns = [
        Column("a", "A"),
        Column("b", "B", "mV", 2),
        Column("c", "C", fmt=".4g"),
        Column("d", "D", "", 0),
    ]
    rows = []
    for _ in range(draw(st.integers(0, 4))):
        rows.append(
            [
                Cell(
                    draw(_texts),
                    draw(_texts),
                    cls=draw(_texts),
                    title=draw(_texts),
                    badge=draw(_texts),
                    href=draw(st.none() | _texts),
                )
                for _ in columns
            ]
        )
    return Table("t", "caption", columns, rows, len(rows))


@settings(max_examples=60, deadline=None)
@given(_tables())
def test_table_rows_html_is_the_template_loop(table):
    env = render._env()
    reference = env.from_string(_REFERENCE_ROWS).render(t=table)
    assert str(table.rows_html) == reference


def test_table_rows_html_escapes_user_strings():
    cols = [Column("sample_id", "Sample"), Column("E", "E", "mV", 2)]
    t = Table("x", "c", cols, [[Cell(XSS_SAMPLE, XSS_SAMPLE), Cell("1.00", "1.0")]], 1)
    html = str(t.rows_html)
    assert "<img" not in html
    assert '"><' not in html.replace('"><span', "")
    assert "&#34;&gt;&lt;img src=x onerror=alert(2)&gt;" in html
    assert 'class="num "' in html  # numeric column class, as the template wrote it


# --------------------------------------------------------------------------- tables


def _reference_summary(pot: pd.DataFrame, atol_mV: float) -> pd.DataFrame:
    """summary_by_group the slow way: one named aggregation over a copy of ``pot``,
    directions from the mean and SD of each group's driving force."""
    df = pot.copy()
    df["temperature_key"] = df["temperature_K"].round(6)
    for c in ("E_conc_mV", "E_act_mV", "delta_act_mV", "driving_force_mV", "vm_mV"):
        df[c + "_f"] = df[c].where(np.isfinite(df[c].astype(float)))
    df["undefined"] = (df["status"].astype(str) != "ok").astype(int)
    if "activity_valid" in df:
        valid = df["activity_valid"].fillna(False).astype(bool)
        df["act_invalid"] = (~valid).astype(int)
    else:
        df["act_invalid"] = 0
    g = df.groupby(["cell_type", "temperature_key", "ion"], sort=True, dropna=False)
    out = g.agg(
        valence=("valence", "first"),
        n=("sample_id", "size"),
        E_conc_mV=("E_conc_mV_f", "mean"),
        E_act_mV=("E_act_mV_f", "mean"),
        E_act_sd_mV=("E_act_mV_f", "std"),
        delta_act_mV=("delta_act_mV_f", "mean"),
        driving_force_mV=("driving_force_mV_f", "mean"),
        driving_force_sd_mV=("driving_force_mV_f", "std"),
        vm_mV=("vm_mV_f", "mean"),
        n_undefined=("undefined", "sum"),
        n_activity_invalid=("act_invalid", "sum"),
    ).reset_index()
    flux, current = [], []
    for _, row in out.iterrows():
        f, c = stated_directions(
            row["driving_force_mV"], row["driving_force_sd_mV"], row["valence"], atol_mV
        )
        no_vm = np.isnan(row["vm_mV"])
        flux.append(NO_VM if no_vm else f[0])
        current.append(NO_VM if no_vm else c[0])
    out["flux_direction"] = np.array(flux, dtype=object)
    out["current_direction"] = np.array(current, dtype=object)
    out = out.rename(columns={"temperature_key": "temperature_K"})
    out["temperature_C"] = kelvin_to_celsius(out["temperature_K"].to_numpy())
    return out


@pytest.mark.parametrize("atol_mV", [0.0, 5.0])
@pytest.mark.parametrize("drop_valid", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_summary_by_group_is_the_named_aggregation_bit_for_bit(
    seed, drop_valid, atol_mV
):
    pot = potentials_frame(
        "d",
        [("squid axon", 291.15, 7), (XSS_CELL, 310.15, 5), ("neuron", 291.15, 3)],
        seed=seed,
        invalid_every=3,
    )
    pot.loc[pot.index[::4], "vm_mV"] = np.nan  # some samples without Vm
    pot.loc[pot.index[5], "E_act_mV"] = np.inf  # an undefined row's value
    if drop_valid:
        pot = pot.drop(columns=["activity_valid"])
    pd.testing.assert_frame_equal(
        summary_by_group(pot, atol_mV),
        _reference_summary(pot, atol_mV),
        check_exact=True,
    )


def _reference_potentials_summary(pot: pd.DataFrame) -> pd.DataFrame:
    """potentials_summary the straightforward way: every column summarised copied
    into one frame, grouped by the keys, statuses counted by a second grouping."""
    keys = ["cell_type", "temperature_K", "ion"]
    cols = [c for c in ("E_conc_mV", "E_act_mV", "delta_act_mV", "driving_force_mV",
                        "vm_mV") if c in pot]  # fmt: skip
    conc = [c for c in ("c_in_mM", "c_out_mM") if c in pot]
    df = pd.DataFrame(
        {
            "cell_type": pot["cell_type"],
            "temperature_K": pot["temperature_K"].round(6),
            "ion": pot["ion"],
            "valence": pot["valence"],
            "status": pot["status"].astype(str),
            "invalid": (
                ~pot["activity_valid"].fillna(False).astype(bool)
                if "activity_valid" in pot
                else False
            ),
            **{c: pot[c].where(np.isfinite(pot[c].astype(float))) for c in cols},
            **{c: pot[c] for c in conc},
        },
        index=pot.index,
    )
    g = df.groupby(keys, sort=True, dropna=False)
    out = pd.DataFrame({"valence": g["valence"].first(), "rows": g.size()})
    counts = df.groupby([*keys, "status"], sort=True, dropna=False).size()
    out = out.join(counts.unstack(fill_value=0).rename(columns=lambda s: f"rows_{s}"))
    out["rows_activity_invalid"] = g["invalid"].sum()
    stats = {"mean": g[cols].mean(), "sd": g[cols].std()}
    stats.update(min=g[cols].min(), max=g[cols].max())
    for c in cols:
        for name, frame in stats.items():
            out[f"{c}_{name}"] = frame[c]
    for c in conc:
        out[f"{c}_mean"] = g[c].mean()
    out = out.reset_index()
    out.insert(2, "temperature_C", kelvin_to_celsius(out["temperature_K"].to_numpy()))
    return out


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    coded=st.booleans(),
    drop_valid=st.booleans(),
    statuses=st.lists(st.sampled_from(["ok", "no_vm", "undefined", None]), min_size=1),
)
def test_potentials_summary_is_the_copied_frames_summary_bit_for_bit(
    seed, coded, drop_valid, statuses
):
    pot = potentials_frame(
        "d",
        [("squid axon", 291.15, 4), (XSS_CELL, 310.15, 3), ("neuron", 291.1500001, 2)],
        seed=seed,
        invalid_every=3,
    )
    rng = np.random.default_rng(seed)
    n = len(pot)
    pot["status"] = [statuses[k % len(statuses)] for k in range(n)]
    for c in ("E_act_mV", "driving_force_mV", "vm_mV"):  # undefined rows' values
        pot.loc[rng.random(n) < 0.2, c] = rng.choice([np.inf, -np.inf, np.nan])
    if drop_valid:
        pot = pot.drop(columns=["activity_valid"])
    if coded:  # as the report reads a results file: repeated texts as categoricals
        for c in ("cell_type", "ion", "status"):
            codes, labels = pd.factorize(pot[c], use_na_sentinel=True)
            pot[c] = categorical(codes, list(labels))
    pd.testing.assert_frame_equal(
        potentials_summary(pot), _reference_potentials_summary(pot), check_exact=True
    )
    if coded:  # statuses counted per text, missing ones as as_text writes them
        texts = {f"{t}" for t in as_text(pot["status"])}
        summary = potentials_summary(pot)
        assert {c[5:] for c in summary if c.startswith("rows_")} == {
            *texts,
            "activity_invalid",
        }


# --------------------------------------------------------------------------- plots


def _plot_inputs(seed: int, n: int = 6):
    pot = potentials_frame(
        "d",
        [("squid axon", 291.15, n), ("frog", 310.15, n)],
        seed=seed,
        invalid_every=7,
    )
    pot["temperature_C"] = kelvin_to_celsius(pot["temperature_K"].to_numpy(float))
    donnan = donnan_frame(pot, seed=seed)
    return pot, summary_by_group(pot), donnan, samples_frame(pot, seed=seed)


def _all_plots(pot, summary, donnan, samples) -> list[str]:
    per = summary.assign(dataset="d")[
        ["dataset", "cell_type", "temperature_C", "ion", "E_act_mV", "vm_mV"]
    ]
    figures = [
        ladder.ladder_plot(summary),
        plots.e_vs_temperature_plot(pot, [293.15, 310.15]),
        plots.activity_effect_plot(pot),
        plots.donnan_plot(donnan),
        plots.vm_predictions_plot(samples),
        ladder.index_plot(per),
    ]
    return [p.svg for p in figures]


def _in_new_thread(fn):
    out = {}
    t = threading.Thread(target=lambda: out.setdefault("v", fn()))
    t.start()
    t.join()
    return out["v"]


def test_reused_figures_draw_the_same_svg_as_new_ones():
    first, second = _plot_inputs(0), _plot_inputs(1, n=9)
    fresh = _in_new_thread(lambda: _all_plots(*first))  # new thread: new figures
    _all_plots(*second)  # leave other data in this thread's figures
    again = _all_plots(*first)  # ... and draw on them
    assert all(s and "<text" in s for s in fresh)
    for a, b in zip(again, fresh, strict=True):
        assert a == b


def test_figure_cache_is_per_thread_and_bounded(monkeypatch):
    summary = _plot_inputs(0)[1]
    ladder.ladder_plot(summary)
    assert 0 < len(plots._FIGURES.cache) <= plots.MAX_CACHED_FIGURES
    assert _in_new_thread(lambda: getattr(plots._FIGURES, "cache", None)) is None
    monkeypatch.setattr(plots, "MAX_CACHED_FIGURES", 2)
    for k in range(4):  # the ladder's width, hence its geometry, grows with groups
        parts = [summary.assign(cell_type=f"c{i}") for i in range(k + 1)]
        ladder.ladder_plot(pd.concat(parts, ignore_index=True))
    assert len(plots._FIGURES.cache) == 2


def test_concurrent_threads_draw_what_one_thread_draws():
    _, summary, _, samples = _plot_inputs(2)

    def draw():
        return [ladder.ladder_plot(summary).svg, plots.vm_predictions_plot(samples).svg]

    serial = draw()
    results: list[list[str]] = []

    def work():
        for _ in range(2):
            results.append(draw())

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 6
    for svgs in results:  # text stays text (svg.fonttype none), ids salted alike
        assert svgs == serial


def _texts_of(svg: str) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


def test_figures_keep_their_series_and_legend_entries():
    pot, summary, donnan, samples = _plot_inputs(3)
    ions = sorted(pot["ion"].unique())
    lines = summary.groupby(["cell_type", "temperature_K"], as_index=False)[
        "vm_mV"
    ].mean()
    rungs = _texts_of(ladder.ladder_plot(summary, lines).svg)
    plotted = summary.loc[np.isfinite(summary["E_act_mV"])]
    for rec in plotted.itertuples():  # each rung labelled with ion and value
        assert f"{rec.ion} {rec.E_act_mV:.1f}" in rungs
    assert sum(t.startswith("Vm ") for t in rungs) == len(lines)

    act = plots.activity_effect_plot(pot)
    texts = _texts_of(act.svg)
    finite = np.isfinite(pot["E_conc_mV"]) & np.isfinite(pot["E_act_mV"])
    assert set(pot.loc[finite, "ion"]) <= set(texts)  # one row per ion
    assert "E (activity) − E (conc.) [mV]" in texts
    assert act.svg.count("<use ") >= int(finite.sum())  # one marker per point

    temp = _texts_of(plots.e_vs_temperature_plot(pot, [293.15, 310.15]).svg)
    assert {"squid axon", "frog"} <= set(temp)  # one panel per cell type
    drawn = sorted(pot.loc[pot["permeant"] & (pot["valence"] != 0), "ion"].unique())
    for ion in drawn:  # one legend for the figure: each ion once
        assert temp.count(ion) == 1
    assert set(drawn) < set(ions)  # the impermeant anion is not drawn

    vm = _texts_of(plots.vm_predictions_plot(samples).svg)
    assert {"squid axon, 18.0 °C", "frog, 37.0 °C", "V_GHK", "V_Donnan"} <= set(vm)
    don = plots.donnan_plot(donnan)
    assert "Donnan-predicted intracellular [mM]" in _texts_of(don.svg)


# --------------------------------------------------------------------------- GC


def test_cyclic_gc_paused_during_a_report_and_restored(demo_results, tmp_path):
    seen = []
    real = plots.vm_predictions_plot

    def spy(*args, **kwargs):
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    assert gc.isenabled()
    plots.vm_predictions_plot = spy
    try:
        render_dataset_report(
            dataset="demo", results_dir=demo_results, output=tmp_path / "r.html"
        )
    finally:
        plots.vm_predictions_plot = real
    assert seen == [False]
    assert gc.isenabled()
    with pytest.raises(ResultsError):
        render_dataset_report(
            dataset="x", results_dir=tmp_path / "none", output=tmp_path / "x.html"
        )
    assert gc.isenabled()  # re-enabled after an error too
    gc.disable()
    try:
        render_dataset_report(
            dataset="demo", results_dir=demo_results, output=tmp_path / "r.html"
        )
        assert not gc.isenabled()  # a caller's choice is kept
    finally:
        gc.enable()


def test_gc_pause_is_owned_by_the_report_that_started_it():
    entered, release = threading.Event(), threading.Event()

    def first():
        with render._gc_paused():
            entered.set()
            release.wait(5)

    t = threading.Thread(target=first)
    t.start()
    entered.wait(5)
    assert not gc.isenabled()  # paused by the first report
    with render._gc_paused():  # a second report, started meanwhile: not the owner
        assert not gc.isenabled()
        release.set()
        t.join()
        assert gc.isenabled()  # the first one's end re-enabled it: never off long
    assert gc.isenabled()


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    coded=st.sampled_from(["text", "categorical", "shuffled"]),
    missing=st.sets(st.sampled_from(["cell_type", "temperature_K", "ion"])),
)
def test_summaries_group_missing_keys_and_category_orders_as_pandas_does(
    seed, coded, missing
):
    """The rows are grouped by one number per row (its key columns factorised once):
    the groups and their order are pandas' sorted grouping of the three columns
    (dropna=False): a categorical in its categories' order (unused ones left out),
    missing keys last."""
    pot = potentials_frame(
        "d",
        [("squid axon", 291.15, 4), ("neuron", 310.15, 3), ("axon", 291.1500001, 2)],
        seed=seed,
    )
    rng = np.random.default_rng(seed)
    for key in missing:  # some rows without a cell type, temperature or ion
        pot.loc[rng.random(len(pot)) < 0.3, key] = np.nan
    if coded != "text":
        for c in ("cell_type", "ion"):
            labels = [*sorted({v for v in pot[c] if isinstance(v, str)}), "unused"]
            if coded == "shuffled":  # categories not in the texts' order
                labels = list(rng.permutation(labels))
            pot[c] = pd.Categorical(pot[c], categories=labels)
    pd.testing.assert_frame_equal(
        summary_by_group(pot), _reference_summary(pot, 0.0), check_exact=True
    )
    pd.testing.assert_frame_equal(
        potentials_summary(pot), _reference_potentials_summary(pot), check_exact=True
    )


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 40), max_size=30),
    st.sampled_from([1, 10**6, 10**12]),
)
def test_group_numbers_renumbered_in_order_however_far_apart(values, scale):
    """Whether the values are counted (close together) or sorted (far apart)."""
    numbers = np.array(values, dtype=np.int64) * scale
    present, ranks = tables._renumbered(numbers)
    assert present.tolist() == sorted(set(numbers.tolist()))
    assert present[ranks].tolist() == numbers.tolist()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from(["K+", "Na+", "Cl-", None]), max_size=30),
    st.sampled_from(["text", "categorical", "unused categories"]),
)
def test_figure_rows_by_ion_are_the_grouping_of_the_ion_texts(ions, kind):
    """The figures take each ion's rows by codes: the rows pandas groups by the
    ions' texts, in row order (a missing ion is drawn, not dropped)."""
    values = pd.Series(ions, dtype=object)
    if kind != "text":
        extra = ["Ca2+"] if kind == "unused categories" else []
        labels = [*sorted({i for i in ions if i is not None}), *extra]
        values = pd.Series(pd.Categorical(ions, categories=labels))
    texts = as_text(values)
    grouped = texts.groupby(texts, sort=False, dropna=False)
    expected = {str(k): v for k, v in grouped.indices.items()}
    found = plots._rows_by_text(values)
    assert found.keys() == expected.keys()
    for key, rows in expected.items():
        assert found[key].tolist() == rows.tolist()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from(["K+", "Na+", "Cl-", None]), min_size=1, max_size=30),
    st.data(),
)
def test_figure_rows_by_ion_among_picked_rows_keep_their_positions(ions, data):
    """Grouping only some rows (the rows that count, the finite ones) gives their
    positions in the whole column."""
    values = pd.Series(pd.Categorical(ions))
    chosen = data.draw(st.sets(st.integers(0, len(ions) - 1)))
    picked = np.array(sorted(chosen), dtype=np.intp)
    texts = as_text(values)
    expected = {}
    for position in picked:
        expected.setdefault(str(texts.iloc[position]), []).append(int(position))
    found = plots._rows_by_text(values, picked)
    assert {k: v.tolist() for k, v in found.items()} == expected
