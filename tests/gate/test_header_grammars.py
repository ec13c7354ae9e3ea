"""Header grammars (#18 item 3): the same table under the headers labs write.

Every layout below writes one table (two neurons, K+, Na+ and Cl- on both sides,
temperature and Vm) under other headers, units and separators; each must ingest to
exactly the canonical table the plain canonical CSV gives. The bad variants are
headers with more than one reading, which are errors naming the header as written,
its column and row and the readings considered, never a guess.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from iongrad.gate.headers import (
    _FIELD_ALIASES,
    COMPACT_IONS,
    ION_FORMS,
    MappingError,
    classify,
    readings,
    split_header,
)
from iongrad.gate.ingest import read_table
from iongrad.gate.validation import validate_file
from iongrad.ions import all_ions

CANONICAL = (
    "sample_id,cell_type,temperature_C,vm_mV,K_in_mM,K_out_mM,Na_in_mM,Na_out_mM,"
    "Cl_in_mM,Cl_out_mM"
)
#: The rows, in the canonical units (degC, mV, mM); the baths are electroneutral.
ROWS = [
    ["s1", "neuron", "37", "-65", "140", "5", "12", "145", "7", "150"],
    ["s2", "neuron", "37", "-70.5", "135", "4.5", "10", "150", "8", "154.5"],
]
#: layout -> (header line, temperature written in K?, concentrations in uM?, sep)
LAYOUTS = {
    "issue_bracket_parentheses": (
        "Sample,Cell type,Temp (°C),Vm (mV),[K+]i (mM),[K+]o (mM),[Na+]i (mM),"
        "[Na+]o (mM),[Cl-]i (mM),[Cl-]o (mM)",
        False,
        False,
        ",",
    ),
    "bracket_unit_in_brackets_kelvin": (
        "sample,cell,T [K],Vm [mV],[K+]i [mM],[K+]o [mM],[Na+]i [mM],[Na+]o [mM],"
        "[Cl-]i [mM],[Cl-]o [mM]",
        True,
        False,
        ",",
    ),
    "bracket_no_charge_in_out_slash_units": (
        "Sample,Cell type,Temperature/°C,Vrest/mV,[K]in/mM,[K]out/mM,[Na]in/mM,"
        "[Na]out/mM,[Cl]in/mM,[Cl]out/mM",
        False,
        False,
        ",",
    ),
    "bracket_micromolar": (
        "Sample,Cell type,Temp (°C),Vm (mV),[K+]i (uM),[K+]o (uM),[Na+]i (µM),"
        "[Na+]o (µM),[Cl-]i (uM),[Cl-]o (uM)",
        False,
        True,
        ",",
    ),
    "compact_symbol_io": (
        "Sample,Cell type,temp_C,RMP (mV),Ki (mM),Ko (mM),Nai (mM),Nao (mM),"
        "Cli (mM),Clo (mM)",
        False,
        False,
        ",",
    ),
    "compact_underscore_units": (
        "sample_id,cell_type,temperature_K,Vm_mV,Ki_mM,Ko_mM,Nai_mM,Nao_mM,Cli_mM,"
        "Clo_mM",
        True,
        False,
        ",",
    ),
    "underscore_i_o": (
        "Sample,Cell type,Temp (C),Vm (mV),K_i [mM],K_o [mM],Na_i [mM],Na_o [mM],"
        "Cl_i [mM],Cl_o [mM]",
        False,
        False,
        ",",
    ),
    "ion_in_out_with_unit": (
        "Sample,Cell type,Temp (°C),Vm (mV),K+ in (mM),K+ out (mM),Na+ in (mM),"
        "Na+ out (mM),Cl- in (mM),Cl- out (mM)",
        False,
        False,
        ",",
    ),
    "intracellular_extracellular": (
        "Sample,Cell type,Temperature (K),Vm (mV),K+ intracellular (mM),"
        "K+ extracellular (mM),Na+ intracellular (mM),Na+ extracellular (mM),"
        "Cl- intracellular (mM),Cl- extracellular (mM)",
        True,
        False,
        ",",
    ),
    "side_first": (
        "Sample,Cell type,Temp (°C),Vm (mV),intracellular K+ (mM),"
        "extracellular K+ (mM),intracellular Na+ (mM),extracellular Na+ (mM),"
        "intracellular Cl- (mM),extracellular Cl- (mM)",
        False,
        False,
        ",",
    ),
    "c_of_ion": (
        "Sample,Cell type,Temp (°C),Vm (mV),c(K+) in [mM],c(K+) out [mM],"
        "c(Na+) in [mM],c(Na+) out [mM],c(Cl-) in [mM],c(Cl-) out [mM]",
        False,
        False,
        ",",
    ),
    "inside_outside": (
        "Sample,Cell type,Temp (°C),Vm (mV),K+ inside (mM),K+ outside (mM),"
        "Na+ inside (mM),Na+ outside (mM),Cl- inside (mM),Cl- outside (mM)",
        False,
        False,
        ",",
    ),
    "internal_bath": (
        "Sample,Cell type,Temp (°C),Vrest (mV),K internal (mM),K bath (mM),"
        "Na internal (mM),Na bath (mM),Cl internal (mM),Cl bath (mM)",
        False,
        False,
        ",",
    ),
    "names_and_side_words": (
        "Sample,Cell type,Temp (°C),Vm (mV),potassium intracellular (mM),"
        "potassium extracellular (mM),sodium intra (mM),sodium extra (mM),"
        "chloride internal (mM),chloride external (mM)",
        False,
        False,
        ",",
    ),
    "semicolon_decimal_comma_brackets": (
        "Sample;Cell type;Temp (°C);Vm (mV);[K+]i (mM);[K+]o (mM);[Na+]i (mM);"
        "[Na+]o (mM);[Cl-]i (mM);[Cl-]o (mM)",
        False,
        False,
        ";",
    ),
    "mixed_forms_one_file": (
        "Sample,Cell type,Temp (°C),Vm (mV),Ki (mM),[K+]o (mM),Na+ inside (mM),"
        "c(Na+) out [mM],Cl_i_mM,extracellular Cl- (mM)",
        False,
        False,
        ",",
    ),
}


def _cells(kelvin: bool, micromolar: bool, sep: str) -> list[list[str]]:
    out = []
    for row in ROWS:
        cells = list(row)
        if kelvin:
            cells[2] = "310.15"
        if micromolar:
            cells[4:] = [f"{float(c) * 1000:g}" for c in cells[4:]]
        if sep == ";":
            cells = [c.replace(".", ",") for c in cells]
        out.append(cells)
    return out


def _write(path: Path, header: str, rows: list[list[str]], sep: str = ",") -> Path:
    lines = [header] + [sep.join(r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _table(path: Path) -> pd.DataFrame:
    return read_table(path, dataset="d").drop(columns="source_file")


@pytest.fixture(scope="module")
def canonical(tmp_path_factory) -> pd.DataFrame:
    path = tmp_path_factory.mktemp("canonical") / "canonical.csv"
    return _table(_write(path, CANONICAL, ROWS))


def test_the_corpus_has_at_least_ten_layouts():
    assert len(LAYOUTS) >= 10


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_layout_reads_as_the_canonical_table(layout, canonical, tmp_path):
    header, kelvin, micromolar, sep = LAYOUTS[layout]
    rows = _cells(kelvin, micromolar, sep)
    path = _write(tmp_path / f"{layout}.csv", header, rows, sep)
    result = validate_file(path, dataset="d")  # strict
    assert result.ok, result.report["failures"]
    assert result.report["warnings"] == 0  # no column ignored
    pd.testing.assert_frame_equal(
        _table(path), canonical, check_exact=False, rtol=1e-12, atol=0
    )


def test_the_issues_file_validates_strictly_and_equals_the_canonical_file(
    canonical, tmp_path
):
    header = (
        "Sample,Cell type,Temp (°C),[K+]i (mM),[K+]o (mM),[Na+]i (mM),[Na+]o (mM),"
        "[Cl-]i (mM),[Cl-]o (mM)"
    )
    rows = [r[:3] + r[4:] for r in ROWS]
    path = _write(tmp_path / "issue.csv", header, rows)
    assert validate_file(path, dataset="d").ok
    plain = CANONICAL.replace(",vm_mV", "")
    expected = _table(_write(tmp_path / "plain.csv", plain, rows))
    pd.testing.assert_frame_equal(_table(path), expected, check_exact=True)


# ------------------------------------------------------------- one header at a time
@pytest.mark.parametrize(
    ("header", "ion", "side", "unit", "form"),
    [
        ("[K+]i", "K+", "in", None, "[ion]side"),
        ("[K+]o", "K+", "out", None, "[ion]side"),
        ("[K]in", "K+", "in", None, "[ion]side"),
        ("[Cl-]out", "Cl-", "out", None, "[ion]side"),
        ("[Ca2+]i (uM)", "Ca2+", "in", "uM", "[ion]side"),
        ("[Ca2+]i [nM]", "Ca2+", "in", "nM", "[ion]side"),
        ("[K+]_o", "K+", "out", None, "[ion]side"),
        ("Ki", "K+", "in", None, "symbol + i/o"),
        ("Ko", "K+", "out", None, "symbol + i/o"),
        ("Nai", "Na+", "in", None, "symbol + i/o"),
        ("Cao", "Ca2+", "out", None, "symbol + i/o"),
        ("Cai", "Ca2+", "in", None, "symbol + i/o"),
        ("Clo", "Cl-", "out", None, "symbol + i/o"),
        ("Mgi (mM)", "Mg2+", "in", "mM", "symbol + i/o"),
        ("K_i", "K+", "in", None, "ion, side"),
        ("K_o", "K+", "out", None, "ion, side"),
        ("K+ in (mM)", "K+", "in", "mM", "ion, side"),
        ("K+ intracellular", "K+", "in", None, "ion, side"),
        ("K+ extracellular", "K+", "out", None, "ion, side"),
        ("Na+ inside", "Na+", "in", None, "ion, side"),
        ("Na+ outside", "Na+", "out", None, "ion, side"),
        ("c(K+) in", "K+", "in", None, "c(ion) side"),
        ("c(K) out (mM)", "K+", "out", "mM", "c(ion) side"),
        ("bath Na+", "Na+", "out", None, "side ion"),
        # typeset charges and sides, as a word processor or a formula writes them
        ("[K⁺]i (mM)", "K+", "in", "mM", "[ion]side"),
        ("[Ca²⁺]o (mM)", "Ca2+", "out", "mM", "[ion]side"),
        ("Cl⁻ in (mM)", "Cl-", "in", "mM", "ion, side"),
        ("Cl− out (mM)", "Cl-", "out", "mM", "ion, side"),  # U+2212 minus sign
        ("[K+]ᵢ", "K+", "in", None, "[ion]side"),
        ("K+ in (µM)", "K+", "in", "µM", "ion, side"),
    ],
)
def test_ion_header_forms(header, ion, side, unit, form):
    role, failure = classify(header, None)
    assert failure is None
    assert (role.role, role.name, role.comp, role.unit, role.form) == (
        "wide", ion, side, unit, form,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("header", "field", "unit"),
    [
        ("Temp (°C)", "temperature", "°C"),
        ("T [K]", "temperature", "K"),
        ("Temperature/°C", "temperature", "°C"),
        ("temp_C", "temperature", "C"),
        ("Vm (mV)", "vm", "mV"),
        ("Vrest", "vm", None),
        ("V rest (mV)", "vm", "mV"),
        ("RMP (mV)", "vm", "mV"),
        ("Sample", "sample_id", None),
        ("Cell type", "cell_type", None),
    ],
)
def test_field_header_forms(header, field, unit):
    role, failure = classify(header, None)
    assert failure is None
    assert (role.role, role.name, role.unit) == ("field", field, unit)


@pytest.mark.parametrize(
    "header",
    # a knockout flag, lone letters, other aliases, i/o after a non-ion, words,
    # neutral solutes (no potential: a glucose column alone is no ion column)
    [
        "KO",
        "ko",
        "K",
        "I",
        "A",
        "protein",
        "Hi",
        "Io",
        "Co",
        "Ci",
        "Kinase",
        "Nain",
        "Glucose",
        "sucrose (mM)",
    ],
)
def test_headers_that_are_no_ion_stay_ignored(header):
    role, failure = classify(header, None)
    assert (role.role, failure) == ("ignored", None)


@pytest.mark.parametrize("header", ["[Xq]i (mM)", "[foo]o (mM)", "i (mM)", "o"])
def test_a_lone_side_letter_is_no_iodide(header):
    # an unknown bracket is taken off as a unit: the 'i' left is no ion
    assert classify(header, None)[0].role == "ignored"


def test_no_field_name_is_also_an_ion():
    # a field name with an ion reading as well would turn a good header ambiguous
    for aliases in _FIELD_ALIASES.values():
        for alias in aliases:
            base, unit = split_header(alias)
            assert len(readings(alias, base, unit)) == 1, alias


@pytest.mark.parametrize(
    ("header", "split"),
    [
        ("[K+]i (mM)", ("[K+]i", "mM")),  # a leading ion is the name
        ("[K]in", ("[K]in", None)),  # K: potassium here, not kelvin
        ("[mM] K_in", ("K_in", "mM")),  # a leading unit is the unit, as before
        ("c(K+) in", ("c(K+) in", None)),
        ("c (mM) in", ("c in", "mM")),  # c with a unit: the c_in field, as before
        ("Temperature/°C", ("Temperature", "°C")),
        ("K_in/mmol/kg", ("K_in", "mmol/kg")),
        ("Na+/K+ ratio", ("Na+/K+ ratio", None)),
    ],
)
def test_split_header_keeps_the_name_and_takes_the_unit(header, split):
    assert split_header(header) == split


def test_every_compact_ion_is_in_the_registry():
    symbols = {ion.symbol.rstrip("+-2") for ion in all_ions()}
    assert set(COMPACT_IONS) <= symbols


def test_every_form_reads_its_own_examples():
    for form in ION_FORMS:
        for example in form.examples.split(", "):
            base, _ = split_header(example)
            assert form.match(base), (form.name, example)


# --------------------------------------------------------------- ambiguous headers
@pytest.mark.parametrize(
    ("header", "readings_named"),
    [
        ("Cl", ["Cl- inside", "Cl- outside"]),
        ("Ca", ["Ca2+ inside", "Ca2+ outside"]),
        ("Cl (mM)", ["Cl- inside", "Cl- outside"]),
        ("Na+", ["Na+ inside", "Na+ outside"]),
        ("[K+] (mM)", ["K+ inside", "K+ outside"]),
        ("c(Ca2+) [uM]", ["Ca2+ inside", "Ca2+ outside"]),
        ("chloride", ["Cl- inside", "Cl- outside"]),
    ],
)
def test_a_header_with_two_readings_is_an_error_listing_them(
    header, readings_named, tmp_path
):
    text = "Sample,Cell type,Temp (°C),Ki (mM),Ko (mM)," + header
    path = _write(tmp_path / "t.csv", text, [["s1", "a", "37", "140", "5", "1"]])
    result = validate_file(path, mode="lenient")
    assert not result.ok
    assert result.report["rows_accepted"] == 0
    (hit,) = [f for f in result.report["failures"] if f["rule"] == "ambiguous_header"]
    assert (hit["row"], hit["column"], hit["severity"]) == (1, header, "error")
    assert f"column 6 (F): the header {header!r}" in hit["message"]
    for reading in readings_named:
        assert reading in hit["message"]
    assert "columns:" in hit["message"]  # says how to state what it means


def test_ambiguous_header_in_a_semicolon_file_names_its_column(tmp_path):
    text = "Sample;Cell type;Temp (°C);Cl;Ki (mM);Ko (mM)"
    path = _write(tmp_path / "t.csv", text, [["s1", "a", "37", "1", "140", "5"]], ";")
    (hit,) = [
        f
        for f in validate_file(path).report["failures"]
        if f["rule"] == "ambiguous_header"
    ]
    assert hit["column"] == "Cl"
    assert "column 4 (D)" in hit["message"]


def test_two_headers_giving_the_same_ion_and_side_are_a_duplicate(tmp_path):
    text = "Sample,Cell type,Temp (°C),Ki (mM),Ko (mM),K_out_mM"
    path = _write(tmp_path / "t.csv", text, [["s1", "a", "37", "140", "5", "5"]])
    hits = [
        f
        for f in validate_file(path).report["failures"]
        if f["rule"] == "duplicate_column"
    ]
    assert [h["column"] for h in hits] == ["K_out_mM"]
    assert "K+ out" in hits[0]["message"]


def test_a_knockout_column_is_not_potassium(tmp_path):
    text = "Sample,Cell type,Temp (°C),KO,Ki (mM),Ko (mM)"
    path = _write(tmp_path / "t.csv", text, [["s1", "a", "37", "yes", "140", "5"]])
    result = validate_file(path, mode="lenient")
    assert result.ok
    assert result.report["input"]["ignored_columns"] == ["KO"]


# ------------------------------------------------------------ the config's mapping
#: A lab's own headers, which no grammar reads, and the mapping that says them.
OWN_HEADERS = (
    "Probe,Zelltyp,Temperatur,Membranpotential,Kalium innen,Kalium aussen,"
    "Natrium innen,Natrium aussen,Chlorid innen,Chlorid aussen,Notiz"
)
OWN_MAPPING = {
    "Probe": {"column": "sample_id"},
    "Zelltyp": {"column": "cell_type"},
    "Temperatur": {"column": "temperature", "unit": "degC"},
    "Membranpotential": {"column": "vm", "unit": "mV"},
    "Kalium innen": {"ion": "K+", "side": "in", "unit": "mM"},
    "Kalium aussen": {"ion": "potassium", "side": "out", "unit": "mM"},
    "Natrium innen": {"ion": "Na", "side": "inside", "unit": "mM"},
    "Natrium aussen": {"ion": "Na+", "side": "o", "unit": "mM"},
    "Chlorid innen": {"ion": "Cl-", "side": "intracellular", "unit": "mM"},
    "Chlorid aussen": {"ion": "Cl-", "side": "bath", "unit": "mM"},
    "Notiz": "ignore",
}


def test_a_mapping_reads_headers_no_grammar_knows(canonical, tmp_path):
    rows = [[*r, "ok"] for r in ROWS]
    path = _write(tmp_path / "own.csv", OWN_HEADERS, rows)
    options = {"columns": OWN_MAPPING}
    result = validate_file(path, dataset="d", options=options)
    assert result.ok, result.report["failures"]
    assert result.report["warnings"] == 0  # Notiz: ignored as stated, no warning
    table = read_table(path, dataset="d", options=options)
    pd.testing.assert_frame_equal(table.drop(columns="source_file"), canonical)


def test_without_the_mapping_the_same_file_has_no_columns(tmp_path):
    path = _write(tmp_path / "own.csv", OWN_HEADERS, [[*r, "ok"] for r in ROWS])
    rules = {f["rule"] for f in validate_file(path).report["failures"]}
    assert {"ignored_column", "required_column"} <= rules


def test_the_mapping_used_is_in_validation_json(tmp_path):
    path = _write(tmp_path / "own.csv", OWN_HEADERS, [[*r, "ok"] for r in ROWS])
    result = validate_file(path, dataset="d", options={"columns": OWN_MAPPING})
    record = result.report["input"]["columns"]
    assert record["Kalium aussen"] == {
        "role": "wide", "ion": "K+", "side": "out", "unit": "mM",
        "form": "config columns", "in_file": True,
    }  # fmt: skip
    assert record["Zelltyp"]["column"] == "cell_type"
    assert record["Notiz"]["role"] == "ignored"


def test_a_mapped_header_overrides_the_grammar(tmp_path):
    # 'Cl (mM)' alone is ambiguous; 'Ko' would be K+ outside; the mapping decides
    text = "Sample,Cell type,Temp (°C),Ki (mM),Ko,Cl (mM)"
    path = _write(tmp_path / "t.csv", text, [["s1", "a", "37", "140", "5", "150"]])
    mapping = {
        "Cl (mM)": {"ion": "Cl-", "side": "out"},  # the unit from the header
        "Ko": {"ion": "K+", "side": "out", "unit": "uM"},
    }
    table = read_table(path, dataset="d", options={"columns": mapping})
    pairs = zip(table["c_in_mM"], table["c_out_mM"], strict=True)
    got = dict(zip(table["ion"], pairs, strict=True))
    assert got["K+"] == (140.0, 0.005)
    assert got["Cl-"][1] == 150.0


def test_a_mapped_header_the_file_lacks_names_the_files_headers(tmp_path):
    text = "Sample,Cell type,Temp (°C),Ki (mM),Ko (mM)"
    path = _write(tmp_path / "t.csv", text, [["s1", "a", "37", "140", "5"]])
    mapping = {"Celltype": {"column": "cell_type"}}
    result = validate_file(path, options={"columns": mapping})
    assert not result.ok
    (hit,) = [
        f for f in result.report["failures"] if f["rule"] == "mapped_header_absent"
    ]
    assert (hit["row"], hit["column"], hit["severity"]) == (1, "Celltype", "error")
    assert "the file's headers, closest first: 'Cell type', " in hit["message"]
    assert "'Ki (mM)'" in hit["message"]


def test_a_mapping_that_need_not_be_there_is_no_error(tmp_path):
    text = "Sample,Cell type,Temp (°C),Ki (mM),Ko (mM)"
    path = _write(tmp_path / "t.csv", text, [["s1", "a", "37", "140", "5"]])
    mapping = {"Vrest [mV]": {"column": "vm", "required": False}, "junk": "ignore"}
    result = validate_file(path, options={"columns": mapping})
    assert result.ok
    assert result.report["input"]["columns"]["junk"]["in_file"] is False


@pytest.mark.parametrize(
    ("entry", "said"),
    [
        (
            {"column": "cel_type"},
            "unknown contract column 'cel_type'; did you mean cell_type?",
        ),
        (
            {"column": "Temp"},
            "'Temp' is a header spelling; the contract column is temperature",
        ),
        ({"ion": "Kalium", "side": "in"}, "unknown ion 'Kalium'"),
        ({"ion": "Pottasium", "side": "in"}, "did you mean K+"),
        ({"ion": "K+", "side": "insde"}, "unknown side 'insde'; did you mean inside"),
        ({"ion": "K+"}, "K+ on which side? add side: in or side: out"),
        ({"ion": "K+", "side": "in", "unit": "mmol"}, "unknown concentration unit"),
        ({"column": "temperature", "unit": "F"}, "unknown temperature unit 'F'"),
        ({"column": "vm", "unit": "V"}, "potentials are given in mV"),
        ({"column": "cell_type", "unit": "mM"}, "the cell_type column takes no unit"),
        ({"colum": "cell_type"}, "unknown key 'colum'; did you mean column?"),
        ({"column": "sample_id", "ion": "K+"}, "either column"),
        ("ignored", "is no meaning: write ignore"),
        ({"column": "vm", "required": "no"}, "required must be true or false"),
    ],
)
def test_an_unusable_mapping_says_what_is_wrong(entry, said, tmp_path):
    path = _write(tmp_path / "t.csv", CANONICAL, ROWS)
    with pytest.raises(MappingError) as err:
        validate_file(path, options={"columns": {"My header": entry}})
    ((header, message),) = err.value.problems
    assert header == "My header"
    assert said in message
    assert "'My header'" in str(err.value)


def test_header_errors_in_a_workbook_name_the_sheet_and_cell(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Data"
    sheet.append(["Lab export 3"])  # a title above the header: header on row 2
    sheet.append(["Sample", "Cell type", "Temp (°C)", "Ki (mM)", "Ko (mM)", "Cl (mM)"])
    sheet.append(["s1", "neuron", 37, 140, 5, 150])
    book.save(tmp_path / "book.xlsx")
    path = tmp_path / "book.xlsx"
    (hit,) = validate_file(path).report["failures"]
    assert (hit["rule"], hit["row"], hit["cell"]) == ("ambiguous_header", 2, "Data!F2")
    assert "the header 'Cl (mM)'" in hit["message"]
    mapping = {
        "Cl (mM)": {"ion": "Cl-", "side": "out"},
        "Cell": {"column": "cell_type"},
    }
    (hit,) = validate_file(path, options={"columns": mapping}).report["failures"]
    assert (hit["rule"], hit["row"], hit["column"]) == (
        "mapped_header_absent",
        2,
        "Cell",
    )
    assert "closest first: 'Cell type'" in hit["message"]


def test_the_header_below_a_title_is_found_by_its_mapped_headers(canonical, tmp_path):
    # no header of the file is known to the grammar: the mapping makes them known
    rows = [[*r, "ok"] for r in ROWS]
    path = _write(tmp_path / "own.csv", "Versuch 12, Messungen\n" + OWN_HEADERS, rows)
    options = {"columns": OWN_MAPPING}
    result = validate_file(path, dataset="d", options=options)
    assert result.ok, result.report["failures"]
    assert result.report["reading"]["header_row"] == 2
    table = read_table(path, dataset="d", options=options)
    assert table["source_row"].tolist() == [3, 3, 3, 4, 4, 4]  # the file's lines
    pd.testing.assert_frame_equal(
        table.drop(columns=["source_file", "source_row"]),
        canonical.drop(columns="source_row"),
    )


def test_a_mapped_header_without_a_unit_is_told_to_give_it_in_the_mapping(tmp_path):
    text = "Probe,Zelltyp,Temperatur,Kalium innen,Kalium aussen\ns1,n,37,140,5\n"
    path = tmp_path / "t.csv"
    path.write_text(text, encoding="utf-8")
    mapping = {
        **{k: OWN_MAPPING[k] for k in ("Probe", "Zelltyp", "Kalium aussen")},
        "Temperatur": {"column": "temperature"},
        "Kalium innen": {"ion": "K+", "side": "in"},
    }
    failures = validate_file(path, options={"columns": mapping}).report["failures"]
    said = {f["column"]: f["message"] for f in failures if f["rule"] == "missing_unit"}
    assert "unit: degC" in said["Temperatur"]
    assert "unit: mM" in said["Kalium innen"]
    assert "columns mapping" in said["Kalium innen"]
