"""The header grammar: what each column of a lab's file holds.

A header names a field of the measurement contract under one of its accepted
spellings (``sample``, ``Temp``, ``c_out``, ``bath``...), or one ion in one
compartment of a wide file (``K_in_mM``, ``Na+ [mM] in``, ``Cl- (uM) out``); any
other header is ignored with a warning. A unit may follow the name after ``_`` or
stand in brackets anywhere (``c_in_mM``, ``temperature [degC]``); round brackets
holding a charge belong to the ion's name (``Ca(2+)_in``). Parquet field metadata
may give the unit instead.

Examples
--------
>>> split_header("Na+ [mM] in")
('Na+ in', 'mM')
>>> split_header("K_in_mM")
('K_in', 'mM')
>>> role, failure = classify("c_out [uM]", None)
>>> (role.role, role.name, role.unit, failure)
('field', 'c_out', 'uM', None)
>>> classify("Cl- (uM) out", None)[0]
HeaderRole(header='Cl- (uM) out', role='wide', name='Cl-', comp='out', unit='uM')
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from iongrad.gate.failures import Failure
from iongrad.ions import UnknownIonError, lookup
from iongrad.units import UnitError, unit_factor

__all__ = [
    "HeaderPlan",
    "HeaderRole",
    "classify",
    "column_position",
    "plan_headers",
    "separator_failure",
    "split_header",
    "unit_text",
]

# Accepted spellings of each field (lower case, spaces/dashes as "_").
_FIELD_ALIASES = {
    "dataset": ["dataset"],
    "sample_id": ["sample_id", "sample", "sampleid", "sample_name"],
    "cell_type": ["cell_type", "celltype", "cell", "preparation"],
    "temperature": ["temperature", "temp", "t"],
    "temperature_unit": ["temperature_unit", "temp_unit", "t_unit"],
    "ion": ["ion", "species"],
    "valence": ["valence", "z", "charge"],
    "c_in": ["c_in", "conc_in", "c_i", "intracellular", "inside"],
    "c_out": ["c_out", "conc_out", "c_o", "extracellular", "outside", "bath"],
    "unit": ["unit", "units", "concentration_unit", "c_unit"],
    "c_in_unit": ["c_in_unit"],
    "c_out_unit": ["c_out_unit"],
    "gamma_in": ["gamma_in"],
    "gamma_out": ["gamma_out"],
    "permeant": ["permeant"],
    "vm": ["vm", "v_m", "membrane_potential", "resting_potential"],
    "erev": ["erev", "e_rev", "reversal_potential"],
    "permeability": ["permeability", "p_rel", "relative_permeability"],
    "ljp": ["ljp", "liquid_junction_potential"],
    "ljp_corrected": ["ljp_corrected"],
    "pipette_solution": ["pipette_solution", "pipette", "internal_solution"],
    "bath_solution": ["bath_solution", "external_solution"],
}
_ALIAS = {alias: name for name, aliases in _FIELD_ALIASES.items() for alias in aliases}
_TEMPERATURE_WORDS = {"c", "degc", "°c", "ºc", "celsius", "k", "kelvin"}
_COMPARTMENTS = {"in": "in", "i": "in", "inside": "in", "out": "out", "o": "out"}
_WIDE = re.compile(r"^(?P<ion>.+?)[\s_]+(?P<comp>in|out|inside|outside|i|o)$", re.I)
_BRACKETS = re.compile(r"\s*(\[([^\]]*)\]|\(([^)]*)\))\s*")
_CHARGE = re.compile(r"^\d*[+-]+\d*$")
#: Unit spellings without a slash (a header cannot hold one) -> the unit.
_SLASHLESS = {"mmolkg": "mmol/kg", "molkg": "mol/kg", "umolkg": "umol/kg"}
#: Characters that look like a separator in a one-column CSV header.
_OTHER_SEPARATORS = "|: "
#: Fields every file needs (a long file also needs ``ion`` and a concentration).
_REQUIRED = ["sample_id", "cell_type", "temperature"]


@dataclass(frozen=True)
class HeaderRole:
    """What one column holds.

    ``role`` is ``"field"`` (``name`` is the contract field), ``"wide"`` (``name`` is
    the ion's symbol, ``comp`` its compartment, ``in`` or ``out``) or ``"ignored"``;
    ``unit`` is the unit from the header or the field metadata.
    """

    header: str
    role: str
    name: str = ""
    comp: str = ""
    unit: str | None = None


@dataclass(frozen=True)
class HeaderPlan:
    """The columns of one file by role, and its layout (``long`` or ``wide``)."""

    fields: dict[str, HeaderRole]
    wide: list[HeaderRole]
    layout: str
    ignored: list[str]


def unit_text(token: str) -> str:
    """A unit token as :func:`iongrad.units.unit_factor` reads it."""
    t = token.strip()
    return _SLASHLESS.get(t, t)


def _is_unit_token(token: str) -> bool:
    t = token.strip()
    if t.lower() in _TEMPERATURE_WORDS or t == "mV":
        return True
    try:
        unit_factor(unit_text(t))
    except UnitError:
        return False
    return True


def split_header(header: str) -> tuple[str, str | None]:
    """Split ``'Na+ [mM] in'`` into ``('Na+ in', 'mM')`` and ``'K_in_mM'`` alike."""
    unit = None

    def take(match: re.Match) -> str:
        nonlocal unit
        inner = match.group(2) if match.group(2) is not None else match.group(3)
        if match.group(0).strip().startswith("(") and _CHARGE.match(inner.strip()):
            return match.group(0)  # Ca(2+): part of the ion name
        unit = inner.strip()
        return " "

    base = _BRACKETS.sub(take, header).strip()
    if unit is None and "_" in base:
        head, _, tail = base.rpartition("_")
        if head and _is_unit_token(tail):
            base, unit = head, tail
    return base, unit


def _norm(text: str) -> str:
    return re.sub(r"[\s\-.]+", "_", text.strip().lower()).strip("_")


def classify(header: str, meta_unit: str | None) -> tuple[HeaderRole, Failure | None]:
    """Return the column's role and a failure of the whole file (or None).

    ``meta_unit`` is the parquet field's unit metadata, if any.
    """
    base, unit = split_header(header)
    if meta_unit is not None:
        # The canonical c_in_mM / c_out_mM keep mmol/kg values under their name
        # (the contract's concentration_scale): metadata mmol/kg is no conflict.
        molal = header in {"c_in_mM", "c_out_mM"} and meta_unit == "mmol/kg"
        if not molal and unit is not None and unit_text(unit) != unit_text(meta_unit):
            return HeaderRole(header, "ignored"), Failure(
                rule="unit_conflict",
                message="the header unit and the parquet field metadata disagree",
                column=header,
                value=f"header {unit!r}, metadata {meta_unit!r}",
            )
        unit = meta_unit
    key = _norm(base)
    if key in _ALIAS:
        return HeaderRole(header, "field", _ALIAS[key], unit=unit), None
    match = _WIDE.match(base)
    if match:
        comp = _COMPARTMENTS.get(match.group("comp").lower())
        try:
            ion = lookup(match.group("ion").strip()).symbol
        except UnknownIonError as err:
            short = len(match.group("ion")) <= 12
            if short and unit is not None and _is_unit_token(unit):
                return HeaderRole(header, "ignored"), Failure(
                    rule="unknown_ion_column",
                    message=str(err),
                    column=header,
                    value=match.group("ion").strip(),
                )
        else:
            if comp is not None:
                return HeaderRole(header, "wide", ion, comp, unit), None
    return HeaderRole(header, "ignored"), None


def separator_failure(headers: list[str]) -> Failure | None:
    """A CSV header read as one column that looks separated by another character."""
    if len(headers) != 1:
        return None
    header = str(headers[0])
    other = next((c for c in _OTHER_SEPARATORS if c in header.strip()), None)
    if other is None:
        return None
    return Failure(
        rule="separator",
        message=f"the header has a single column; it looks separated by {other!r}, "
        "but only ',', ';' and tab are accepted",
        column=header,
        value=header,
    )


def column_position(index: int) -> str:
    """Column ``index`` (0-based) as a person finds it: ``6 (F)``, ``28 (AB)``.

    >>> column_position(5), column_position(27)
    ('6 (F)', '28 (AB)')
    """
    letters, k = "", index + 1
    while k:
        k, rest = divmod(k - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return f"{index + 1} ({letters})"


def _positions(indices: list[int]) -> str:
    named = [column_position(i) for i in indices]
    return ", ".join(named[:-1]) + " and " + named[-1]


def _header_failures(headers: list[str]) -> tuple[set[int], list[Failure]]:
    """Headers that cannot be read as written: repeated, or with a control character.

    Returns the positions not to classify (every repeat after the first, every
    header with a control character) and one error per such header.
    """
    skip: set[int] = set()
    failures = []
    where: dict[str, list[int]] = {}
    for i, header in enumerate(headers):
        if any(unicodedata.category(ch) == "Cc" for ch in header):
            skip.add(i)
            failures.append(
                Failure(
                    rule="header_character",
                    message=f"the header {header!r} in column {column_position(i)} "
                    "holds a control character (shown as \\x..), which cannot be "
                    "read as a name; retype the header",
                    column=header,
                    value=header,
                )
            )
        elif header.strip():  # blank headers: ignored columns, by position
            where.setdefault(header, []).append(i)
    for header, at in where.items():
        if len(at) > 1:
            skip.update(at[1:])
            failures.append(
                Failure(
                    rule="duplicate_header",
                    message=f"the header {header!r} appears in columns "
                    f"{_positions(at)}; each header must appear once (which "
                    "column holds the values?)",
                    column=header,
                    value=header,
                )
            )
    return skip, failures


def plan_headers(
    headers: list[str],
    field_units: dict[str, str],
    separator: str,
    names: list[str] | None = None,
) -> tuple[HeaderPlan, list[Failure]]:
    """Classify every header; return the plan and the failures of the whole file.

    ``headers`` are the file's, ``names`` the unique names its cells are held
    under (default: the headers). The failures come in the order a reader checks
    them: headers that cannot be read (repeated, control characters), each
    header's own problem (unit conflict, unknown ion, a field given twice), the
    ignored columns (warnings), both layouts at once, then each missing required
    column.
    """
    fields: dict[str, HeaderRole] = {}
    wide: list[HeaderRole] = []
    ignored: list[str] = []
    skip, failures = _header_failures(headers)
    for i, (header, name) in enumerate(zip(headers, names or headers, strict=True)):
        if i in skip:
            continue
        role, failure = classify(name, field_units.get(name))
        if failure:
            failures.append(failure)
        if role.role == "field":
            if role.name in fields:
                failures.append(
                    Failure(
                        rule="duplicate_column",
                        message=f"two columns give {role.name}",
                        column=header,
                        value=f"{fields[role.name].header!r} and {header!r}",
                    )
                )
            fields[role.name] = role
        elif role.role == "wide":
            if any(w.name == role.name and w.comp == role.comp for w in wide):
                failures.append(
                    Failure(
                        rule="duplicate_column",
                        message=f"two columns give {role.name} {role.comp}",
                        column=header,
                        value=header,
                    )
                )
            wide.append(role)
        elif not failure:
            ignored.append(name)
    failures += [
        Failure(
            rule="ignored_column",
            message="this column is not part of the measurement contract and was "
            "not read (check its spelling if it should be)"
            if header.strip()
            else f"column {column_position(i)} has no header and was not read",
            column=header,
            severity="warning",
        )
        for i, (header, name) in enumerate(zip(headers, names or headers, strict=True))
        if name in ignored
    ]
    layout = "wide" if wide else "long"
    failures += _layout_failures(headers, fields, wide, separator)
    return HeaderPlan(fields, wide, layout, ignored), failures


def _layout_failures(
    headers: list[str],
    fields: dict[str, HeaderRole],
    wide: list[HeaderRole],
    separator: str,
) -> list[Failure]:
    """Both layouts in one file, and the required columns that are missing."""
    failures = []
    if wide and "ion" in fields:
        failures.append(
            Failure(
                rule="layout",
                message="the file has both an ion column and wide <ion>_in/_out "
                "columns",
                column="ion",
                value="ion + " + wide[0].header,
            )
        )
    seen = ", ".join(repr(h) for h in headers)
    missing = [need for need in _REQUIRED if need not in fields]
    if not wide and "ion" not in fields:
        missing.append("ion")
    failures += [
        Failure(
            rule="required_column",
            message=f"no {need} column; columns seen: {seen} (separator {separator!r})",
            column=need,
        )
        for need in missing
    ]
    # Every potential needs both compartments (Nernst, GHK), and a Donnan
    # prediction the bath and the inside's impermeant charge: a table without any
    # value of one compartment gives no number at all. One ion measured on one
    # side only (an impermeant anion inside) is fine.
    for comp, words in (("in", "inside (intracellular)"), ("out", "bath (outside)")):
        given = any(w.comp == comp for w in wide) if wide else f"c_{comp}" in fields
        if not given:
            spelled = f"<ion>_{comp} columns" if wide else f"a c_{comp} column"
            failures.append(
                Failure(
                    rule="required_column",
                    message=f"no {words} concentrations ({spelled}): no potential "
                    f"can be computed from this table; columns seen: {seen}",
                    column=f"c_{comp}",
                )
            )
    return failures
