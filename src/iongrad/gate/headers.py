"""The header grammar: what each column of a lab's file holds.

A header names a field of the measurement contract under one of its accepted
spellings (``sample``, ``Temp``, ``c_out``, ``bath``, ``Vrest``...), or one ion on
one side of the membrane in a wide file, in one of the forms :data:`ION_FORMS`
lists (``K_in_mM``, ``Na+ [mM] in``, ``[K+]i (mM)``, ``c(K+) in``, ``Ki``,
``K+ intracellular``); any other header is ignored with a warning. A unit may follow
the name after ``_`` or ``/`` or stand in brackets (``c_in_mM``, ``Temperature/°C``,
``temperature [degC]``); round brackets holding a charge belong to the ion's name
(``Ca(2+)_in``), as does a bracket opening the header (``[K+]i``). Parquet field
metadata may give the unit instead.

A header with more than one reading (``Cl (mM)``: chloride inside, or outside?) is
an error listing the readings: it is never guessed. A dataset's config may state
what any header means (``columns``, :func:`plan_headers`), which overrides the
grammar.

Examples
--------
>>> split_header("Na+ [mM] in")
('Na+ in', 'mM')
>>> split_header("K_in_mM")
('K_in', 'mM')
>>> role, failure = classify("c_out [uM]", None)
>>> (role.role, role.name, role.unit, failure)
('field', 'c_out', 'uM', None)
>>> role = classify("[Ca2+]i (uM)", None)[0]
>>> (role.role, role.name, role.comp, role.unit, role.form)
('wide', 'Ca2+', 'in', 'uM', '[ion]side')
>>> classify("Cl (mM)", None)[1].rule
'ambiguous_header'
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache
from typing import Any

from iongrad.gate.failures import Failure
from iongrad.gate.numbers import temperature_offset
from iongrad.ions import Ion, UnknownIonError, lookup
from iongrad.units import UnitError, unit_factor

__all__ = [
    "FIELD_FORM",
    "ION_FORMS",
    "MAPPED_FORM",
    "HeaderForm",
    "HeaderPlan",
    "HeaderRole",
    "MappedHeader",
    "MappingError",
    "classify",
    "column_position",
    "mapping_record",
    "plan_headers",
    "read_columns",
    "readings",
    "role_record",
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
    "vm": [
        "vm",
        "v_m",
        "membrane_potential",
        "resting_potential",
        "vrest",
        "v_rest",
        "rmp",
        "resting_membrane_potential",
    ],
    "erev": ["erev", "e_rev", "reversal_potential"],
    "permeability": ["permeability", "p_rel", "relative_permeability"],
    "ljp": ["ljp", "liquid_junction_potential"],
    "ljp_corrected": ["ljp_corrected"],
    "pipette_solution": ["pipette_solution", "pipette", "internal_solution"],
    "bath_solution": ["bath_solution", "external_solution"],
}
_ALIAS = {alias: name for name, aliases in _FIELD_ALIASES.items() for alias in aliases}
_TEMPERATURE_WORDS = {"c", "degc", "°c", "ºc", "celsius", "k", "kelvin"}
#: Words for the two sides of the membrane in an ion's header (any case).
SIDE_WORDS = {
    "in": ("in", "i", "inside", "intracellular", "intra", "internal"),
    "out": ("out", "o", "outside", "extracellular", "extra", "external", "bath"),
}
_SIDE_OF = {word: side for side, words in SIDE_WORDS.items() for word in words}
#: Typeset characters read as typed ones: charges and digits set as superscripts
#: (``K⁺``, ``Ca²⁺``), subscript sides (``[K+]ᵢ``) and the minus sign (``Cl−``).
_TYPESET = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻₀₁₂₃₄₅₆₇₈₉₊₋ᵢₒ−", "0123456789+-0123456789+-io-")
#: Ions written as their symbol and a lower-case i or o (``Ki``, ``Nao``, ``Cai``).
#: Case counts: ``KO`` or ``ko`` (a knockout) is not K+ outside. One-letter
#: anions and H+ are left out: ``Hi``, ``Io``, ``Fo`` say too little.
COMPACT_IONS = ("K", "Na", "Ca", "Cl", "Mg", "Li", "Rb", "Cs", "Sr", "Ba", "Zn", "Mn")
_BRACKETS = re.compile(r"\s*(\[([^\]]*)\]|\(([^)]*)\))\s*")
_CHARGE = re.compile(r"^\d*[+-]+\d*$")
#: Unit spellings without a slash (a header cannot hold one) -> the unit.
_SLASHLESS = {"mmolkg": "mmol/kg", "molkg": "mol/kg", "umolkg": "umol/kg"}
#: Characters that look like a separator in a one-column CSV header.
_OTHER_SEPARATORS = "|: "
#: Fields every file needs (a long file also needs ``ion`` and a concentration).
_REQUIRED = ["sample_id", "cell_type", "temperature"]


@dataclass(frozen=True)
class HeaderForm:
    """One way of writing an ion and its side in a header.

    ``pattern`` is matched against the whole header once its unit is taken off
    (:func:`split_header`); its group ``ion`` is read with :func:`iongrad.ions.lookup`
    and its group ``side`` with :data:`SIDE_WORDS` (a form without a side names an
    ion on either side: two readings).
    """

    name: str
    examples: str
    pattern: str
    case_sensitive: bool = False

    def match(self, base: str) -> re.Match | None:
        """The form's match of ``base`` (the header without its unit), or None."""
        return _compiled(self).fullmatch(base)


_ANY_SIDE = "|".join(sorted(_SIDE_OF, key=len, reverse=True))
_WORD_SIDE = "|".join(w for w in sorted(_SIDE_OF, key=len, reverse=True) if len(w) > 3)
#: The header grammar of ion columns: every form a header is read by. A header
#: with exactly one reading (over these forms and the field names) is read; one
#: with several is an error listing them; one with none is ignored.
ION_FORMS = (
    HeaderForm(
        "ion, side",
        "K_in, Na+ inside, K+ in (mM), K+ intracellular, Cl- (uM) out",
        rf"(?P<ion>.+?)[\s_]+(?P<side>{_ANY_SIDE})",
    ),
    HeaderForm(
        "[ion]side",
        "[K+]i, [K+]o, [K]in, [Cl-]out, [Ca2+]i (uM)",
        rf"\[(?P<ion>[^\[\]]+)\][\s_]*(?P<side>{_ANY_SIDE})?",
    ),
    HeaderForm(
        "c(ion) side",
        "c(K+) in, c(Na+)_out",
        rf"c\s*\((?P<ion>[^()]+)\)[\s_]*(?P<side>{_ANY_SIDE})?",
    ),
    HeaderForm(
        "side ion",
        "intracellular K+, extracellular Na+, bath Cl-",
        rf"(?P<side>{_WORD_SIDE})[\s_]+(?P<ion>.+)",
    ),
    HeaderForm(
        "symbol + i/o",
        "Ki, Ko, Nai, Nao, Cai, Cao, Cli, Clo",
        rf"(?P<ion>{'|'.join(COMPACT_IONS)})(?P<side>[io])",
        case_sensitive=True,
    ),
    HeaderForm(
        "ion without side",
        "Cl, Ca2+, Na+ (mM), chloride",
        r"(?P<ion>[^\[\]()]+)",
    ),
)
#: The name of the reading by a contract field's name (``sample``, ``Temp``).
FIELD_FORM = "field name"


@cache
def _compiled(form: HeaderForm) -> re.Pattern:
    return re.compile(form.pattern, 0 if form.case_sensitive else re.I)


@dataclass(frozen=True)
class HeaderRole:
    """What one column holds.

    ``role`` is ``"field"`` (``name`` is the contract field), ``"wide"`` (``name`` is
    the ion's symbol, ``comp`` its compartment, ``in`` or ``out``) or ``"ignored"``;
    ``unit`` is the unit from the header or the field metadata; ``form`` names the
    grammar form (or :data:`FIELD_FORM`, or the config mapping) it was read by, and
    ``readings`` the readings of an ``ambiguous`` header.
    """

    header: str
    role: str
    name: str = ""
    comp: str = ""
    unit: str | None = None
    form: str = ""
    readings: tuple[str, ...] = ()


@dataclass(frozen=True)
class HeaderPlan:
    """The columns of one file by role, and its layout (``long`` or ``wide``).

    ``columns`` holds every column's role in file order, for a person to read
    (``iongrad inspect``): besides ``field``, ``wide`` and ``ignored`` a role may
    be ``ambiguous`` (``readings`` lists them) or ``unreadable`` (a repeated
    header, a control character).
    """

    fields: dict[str, HeaderRole]
    wide: list[HeaderRole]
    layout: str
    ignored: list[str]
    columns: list[HeaderRole] = field(default_factory=list)


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
    """Split ``'Na+ [mM] in'`` into ``('Na+ in', 'mM')`` and ``'K_in_mM'`` alike.

    The unit is the last bracketed text (``(mM)``, ``[degC]``), else a unit after
    the last ``_`` or after a ``/`` (``Temperature/°C``). Brackets that belong to
    the name stay: a charge (``Ca(2+)``), a bracket opening the header (the ion of
    ``[K+]i``) and the ion of ``c(K+) in``.
    """
    unit = None

    def take(match: re.Match) -> str:
        nonlocal unit
        inner = match.group(2) if match.group(2) is not None else match.group(3)
        if _names_quantity(header, match, inner.strip()):
            return match.group(0)
        unit = inner.strip()
        return " "

    base = _BRACKETS.sub(take, header).strip()
    if unit is None and "_" in base:
        head, _, tail = base.rpartition("_")
        if head and _is_unit_token(tail):
            base, unit = head, tail
    if unit is None and "/" in base:
        for at in (i for i, ch in enumerate(base) if ch == "/"):
            head, tail = base[:at].strip(), base[at + 1 :].strip()
            if head and _is_unit_token(tail):
                base, unit = head, tail
                break
    return base, unit


def _names_quantity(header: str, match: re.Match, inner: str) -> bool:
    """Whether a bracketed part of ``header`` is part of its name, not its unit."""
    opening = match.group(0).strip()[0]
    if opening == "(" and _CHARGE.match(inner):
        return True  # Ca(2+): the ion's charge
    before = header[: match.start()]
    if opening == "[" and not before.strip():  # [K+]i, [K]in: bracket notation
        return _ion_named(inner) is not None  # an ion ([mM] K_in: a unit)
    if re.fullmatch(r"\s*c\s*", before, re.I):  # c(K+) in: the ion, unless a unit
        try:
            unit_factor(unit_text(inner))
        except UnitError:
            return True
    return False


def _norm(text: str) -> str:
    return re.sub(r"[\s\-.]+", "_", text.strip().lower()).strip("_")


def classify(
    header: str, meta_unit: str | None, position: int | None = None
) -> tuple[HeaderRole, Failure | None]:
    """Return the column's role and a failure of the whole file (or None).

    ``meta_unit`` is the parquet field's unit metadata, if any; ``position`` the
    column's place in the file (0-based), named in an ambiguous header's error.
    """
    base, unit = split_header(header.translate(_TYPESET))
    unit, conflict = _header_unit(header, unit, meta_unit)
    if conflict is not None:
        return HeaderRole(header, "ignored"), conflict
    found = readings(header, base, unit)
    if len(found) == 1:
        return found[0], None
    if found:
        return _ambiguous(header, found, position)
    return HeaderRole(header, "ignored"), _unknown_ion(header, base, unit)


def _header_unit(
    header: str, unit: str | None, meta_unit: str | None
) -> tuple[str | None, Failure | None]:
    """The column's unit: the parquet field metadata's, else the header's."""
    if meta_unit is None:
        return unit, None
    # The canonical c_in_mM / c_out_mM keep mmol/kg values under their name
    # (the contract's concentration_scale): metadata mmol/kg is no conflict.
    molal = header in {"c_in_mM", "c_out_mM"} and meta_unit == "mmol/kg"
    if not molal and unit is not None and unit_text(unit) != unit_text(meta_unit):
        return unit, Failure(
            rule="unit_conflict",
            message="the header unit and the parquet field metadata disagree",
            column=header,
            value=f"header {unit!r}, metadata {meta_unit!r}",
        )
    return meta_unit, None


def readings(header: str, base: str, unit: str | None) -> list[HeaderRole]:
    """Every reading of a header (``base`` and ``unit`` as :func:`split_header`
    splits it): by a field's name, and by each form of :data:`ION_FORMS` whose
    ion is known. A form without a side gives two readings, inside and outside."""
    found = []
    key = _norm(base)
    if key in _ALIAS:
        role = HeaderRole(header, "field", _ALIAS[key], unit=unit, form=FIELD_FORM)
        found.append(role)
    for form in ION_FORMS:
        match = form.match(base)
        if match is None:
            continue
        ion = _ion_named(match["ion"].strip())
        if ion is None:
            continue
        side = match.groupdict().get("side")
        if side is None and not _clearly_an_ion(form, match["ion"].strip(), ion, unit):
            continue
        for comp in (_SIDE_OF[side.lower()],) if side else ("in", "out"):
            role = HeaderRole(header, "wide", ion.symbol, comp, unit, form.name)
            if not any((r.name, r.comp) == (role.name, comp) for r in found):
                found.append(role)
    return found


@lru_cache(maxsize=4096)
def _ion_named(text: str) -> Ion | None:
    """The ion ``text`` names, or None (no suggestions: most headers and the
    cells searched for a header are no ion, and suggesting costs a millisecond)."""
    if not text[:1].isalpha():
        return None  # a number, a date: no ion starts otherwise
    try:
        return lookup(text)
    except UnknownIonError:
        return None


def _clearly_an_ion(form: HeaderForm, text: str, ion: Ion, unit: str | None) -> bool:
    """Whether a header without a side is unmistakably an ion's concentration.

    Brackets say so (``[K+]``, ``c(K+)``), and so do a charge (``Cl-``), a
    concentration unit (``Cl (mM)``) or the ion's symbol or name as written
    (``Cl``, ``Ca``, ``chloride``). A lone letter (``K``, ``I``, ``A``), another
    alias (``protein``) or a neutral solute's name (``Glucose``: it has no
    potential to compute) is left ignored: it may name something else.
    """
    if form is not ION_FORMS[-1] or re.search(r"[+-]\)?$", text):
        return True
    if ion.valence == 0:
        return False
    bare = ion.symbol.rstrip("+-")
    if abs(ion.valence) > 1:
        bare = bare.removesuffix(str(abs(ion.valence)))
    if len(text) == 1 and text != bare:
        return False  # 'i' left of '[X]i (mM)' is no iodide
    if unit is not None:
        try:
            unit_factor(unit_text(unit))
            return True
        except UnitError:
            pass
    return len(text) > 1 and (text == bare.strip() or text.lower() == ion.name)


def _reading_text(role: HeaderRole) -> str:
    """One reading of a header, for a person."""
    if role.role == "field":
        return f"the {role.name} column (by its name)"
    side = "inside" if role.comp == "in" else "outside"
    return f"{role.name} {side} (form {role.form!r})"


def _ambiguous(
    header: str, found: list[HeaderRole], position: int | None
) -> tuple[HeaderRole, Failure]:
    """The error of a header with more than one reading, listing them."""
    texts = tuple(_reading_text(r) for r in found)
    first = found[0]
    example = (
        f"{{ion: {first.name}, side: {first.comp}}}"
        if first.role == "wide"
        else f"{{column: {first.name}}}"
    )
    where = "" if position is None else f"column {column_position(position)}: "
    message = (
        f"{where}the header {header!r} can be read {len(texts)} ways: "
        + "; ".join(texts)
        + ". iongrad does not guess: write the header so it says one of them "
        f"(e.g. '[{first.name}]{first.comp[:1] or 'i'}'), or state what it means "
        f"under the dataset's `columns` in the config "
        f"(columns: {{{header!r}: {example}}})"
    )
    role = HeaderRole(header, "ambiguous", readings=texts, unit=first.unit)
    return role, Failure(
        rule="ambiguous_header", message=message, column=header, value=header
    )


def _unknown_ion(header: str, base: str, unit: str | None) -> Failure | None:
    """A header written as an ion and a side whose ion is unknown (``Xq_in_mM``).

    A long name (``membrane potential in``) or one without a unit is no such
    header: it is ignored, as any header nobody can read.
    """
    for form in ION_FORMS[:-1]:
        match = form.match(base)
        if match is None:
            continue
        text = match["ion"].strip()
        try:
            lookup(text)
        except UnknownIonError as err:
            if len(match["ion"]) <= 12 and unit is not None and _is_unit_token(unit):
                return Failure(
                    rule="unknown_ion_column", message=str(err), column=header,
                    value=text,
                )  # fmt: skip
    return None


# ------------------------------------------------------------ the config's mapping
#: The form of a header whose meaning the dataset's config states (``columns``).
MAPPED_FORM = "config columns"
#: The keys of one entry of a ``columns`` mapping.
MAPPING_KEYS = ("column", "ion", "side", "unit", "required")
#: The fields whose unit a mapping may state, by kind.
_POTENTIAL_FIELDS = {"vm", "erev", "ljp"}
_CONCENTRATION_FIELDS = {"c_in", "c_out"}


@dataclass(frozen=True)
class MappedHeader:
    """What a dataset's config says one header means.

    ``role`` is the header's role (its ``form`` :data:`MAPPED_FORM`); ``required``
    says whether the file must have the header (False for ``ignore`` and for a
    mapping that holds for every dataset).
    """

    role: HeaderRole
    required: bool = True


class MappingError(ValueError):
    """A ``columns`` mapping that cannot be used; ``problems`` lists
    ``(header, what is wrong)``, one per entry."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"columns: {h!r}: {p}" for h, p in problems))


def _did_you_mean(word: str, choices) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=3, cutoff=0.5)
    return f"; did you mean {' or '.join(close)}?" if close else ""


def read_columns(columns: Mapping[str, Any] | None) -> dict[str, MappedHeader]:
    """A ``columns`` mapping (the user's header -> its meaning), checked.

    An entry is ``ignore``, ``{column: FIELD}`` (a contract field: ``cell_type``,
    ``temperature``...) or ``{ion: ION, side: in|out}``, either with an optional
    ``unit`` and ``required: false`` (the file need not have the header).

    Raises
    ------
    MappingError
        Naming every unusable entry, with the closest field, ion or side.

    >>> mapped = read_columns({"[K+]i (mM)": {"ion": "K", "side": "inside"}})
    >>> role = mapped["[K+]i (mM)"].role
    >>> (role.role, role.name, role.comp, role.form)
    ('wide', 'K+', 'in', 'config columns')
    >>> try:
    ...     read_columns({"Cell": {"column": "cel_type"}})
    ... except MappingError as err:
    ...     print(err.problems)
    [('Cell', "unknown contract column 'cel_type'; did you mean cell_type?")]
    """
    out: dict[str, MappedHeader] = {}
    problems = []
    for header, entry in (columns or {}).items():
        try:
            out[str(header)] = _mapped(str(header), entry)
        except ValueError as err:
            problems.append((str(header), str(err)))
    if problems:
        raise MappingError(problems)
    return out


def _mapped(header: str, entry: Any) -> MappedHeader:
    """One entry of a ``columns`` mapping, or a ValueError saying what is wrong."""
    if entry == "ignore":
        return MappedHeader(HeaderRole(header, "ignored", form=MAPPED_FORM), False)
    if not isinstance(entry, Mapping):
        raise ValueError(
            f"{entry!r} is no meaning: write ignore, {{column: FIELD}} or "
            "{ion: ION, side: in} (a unit may follow: unit: mM)"
        )
    for key in entry:
        if key not in MAPPING_KEYS:
            hint = _did_you_mean(key, MAPPING_KEYS)
            raise ValueError(f"unknown key {key!r}{hint} (keys: {MAPPING_KEYS})")
    if ("column" in entry) == ("ion" in entry):
        raise ValueError("give either column (a contract column) or ion and side")
    unit = entry.get("unit")
    if unit is not None and not isinstance(unit, str):
        raise ValueError(f"unit {unit!r} must be text (mM, uM, degC, mV)")
    required = entry.get("required", True)
    if not isinstance(required, bool):
        raise ValueError(f"required must be true or false, not {required!r}")
    if "column" in entry:
        role = _mapped_field(header, entry["column"], unit)
    else:
        role = _mapped_ion(header, entry["ion"], entry.get("side"), unit)
    return MappedHeader(role, required)


def _mapped_field(header: str, column: Any, unit: str | None) -> HeaderRole:
    name = str(column)
    if name not in _FIELD_ALIASES:
        alias = _ALIAS.get(_norm(name))
        if alias is not None:
            raise ValueError(
                f"{name!r} is a header spelling; the contract column is {alias}"
            )
        hint = _did_you_mean(name, _FIELD_ALIASES)
        raise ValueError(f"unknown contract column {name!r}{hint}")
    if unit is not None:
        _check_unit(name, unit)
    return HeaderRole(header, "field", name, unit=unit, form=MAPPED_FORM)


def _check_unit(name: str, unit: str) -> None:
    """A ValueError unless ``unit`` is a unit of field ``name``."""
    if name == "temperature":
        if temperature_offset(unit) is None:
            raise ValueError(f"unknown temperature unit {unit!r}; use degC or K")
    elif name in _CONCENTRATION_FIELDS:
        unit_factor(unit_text(unit))  # a UnitError (a ValueError) names the units
    elif name in _POTENTIAL_FIELDS:
        if unit != "mV":
            raise ValueError(f"potentials are given in mV, not {unit!r}")
    else:
        raise ValueError(f"the {name} column takes no unit")


def _mapped_ion(header: str, ion: Any, side: Any, unit: str | None) -> HeaderRole:
    try:
        symbol = lookup(str(ion)).symbol
    except UnknownIonError as err:
        raise ValueError(str(err)) from None
    if side is None:
        raise ValueError(f"{symbol} on which side? add side: in or side: out")
    comp = _SIDE_OF.get(str(side).lower())
    if comp is None:
        hint = _did_you_mean(str(side).lower(), _SIDE_OF)
        raise ValueError(f"unknown side {side!r}{hint} (in or out)")
    if unit is not None:
        unit_factor(unit_text(unit))
    return HeaderRole(header, "wide", symbol, comp, unit, MAPPED_FORM)


def _apply_mapping(
    mapped: MappedHeader, name: str, meta_unit: str | None
) -> tuple[HeaderRole, Failure | None]:
    """A mapped header's role in the file: the mapping's, under the cells' name;
    its unit the mapping's, else the header's or the field metadata's."""
    role = replace(mapped.role, header=name)
    if role.role == "ignored" or role.unit is not None:
        return role, None
    unit, conflict = _header_unit(name, split_header(name)[1], meta_unit)
    return replace(role, unit=unit), conflict


def _absent_mapped(
    headers: list[str], columns: Mapping[str, MappedHeader]
) -> list[Failure]:
    """An error per required mapped header the file does not have."""
    failures = []
    for header, mapped in columns.items():
        if not mapped.required or header in headers:
            continue
        named = [h for h in headers if h.strip()]
        close = difflib.get_close_matches(header, named, n=len(named), cutoff=0.4)
        listing = ", ".join(
            repr(h) for h in close + [h for h in named if h not in close]
        )
        failures.append(
            Failure(
                rule="mapped_header_absent",
                message=f"the config's columns map the header {header!r}, but the "
                f"file has no such header (a mapping names a header exactly as the "
                f"file writes it); the file's headers, closest first: {listing}",
                column=header,
                value=header,
            )
        )
    return failures


def role_record(role: HeaderRole) -> dict[str, Any]:
    """A column's role as JSON can hold it: what it is read as, its unit and why.

    >>> role_record(classify("[K+]o (mM)", None)[0])
    {'role': 'wide', 'ion': 'K+', 'side': 'out', 'unit': 'mM', 'form': '[ion]side'}
    """
    out: dict[str, Any] = {"role": role.role}
    if role.role == "field":
        out["column"] = role.name
    elif role.role == "wide":
        out["ion"], out["side"] = role.name, role.comp
    elif role.role == "ambiguous":
        out["readings"] = list(role.readings)
    return {**out, "unit": role.unit, "form": role.form}


def mapping_record(
    mapping: Mapping[str, MappedHeader], headers: list[str]
) -> dict[str, dict[str, Any]]:
    """A ``columns`` mapping as applied to a file whose headers are ``headers``:
    each mapped header's meaning, and whether the file has it."""
    return {
        header: {**role_record(mapped.role), "in_file": header in headers}
        for header, mapped in mapping.items()
    }


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
    mapping: Mapping[str, MappedHeader] | None = None,
) -> tuple[HeaderPlan, list[Failure]]:
    """Classify every header; return the plan and the failures of the whole file.

    ``headers`` are the file's, ``names`` the unique names its cells are held
    under (default: the headers). ``mapping`` (:func:`read_columns`) states what
    some headers mean, as the file writes them; it overrides the grammar. The
    failures come in the order a reader checks them: headers that cannot be read
    (repeated, control characters), mapped headers the file lacks, each header's
    own problem (unit conflict, unknown ion, ambiguous, a field given twice), the
    ignored columns (warnings; not those the mapping ignores), both layouts at
    once, then each missing required column.
    """
    fields: dict[str, HeaderRole] = {}
    wide: list[HeaderRole] = []
    ignored: list[str] = []
    columns: list[HeaderRole] = []
    mapping = mapping or {}
    skip, failures = _header_failures(headers)
    failures += _absent_mapped(headers, mapping)
    for i, (header, name) in enumerate(zip(headers, names or headers, strict=True)):
        if i in skip:
            columns.append(HeaderRole(name, "unreadable"))
            continue
        if header in mapping:
            role, failure = _apply_mapping(mapping[header], name, field_units.get(name))
        else:
            role, failure = classify(name, field_units.get(name), i)
        columns.append(role)
        if failure:
            failures.append(failure)
        if role.role in ("field", "wide"):
            twice = _given_twice(role, header, fields, wide)
            failures += [twice] if twice else []
            if role.role == "field":
                fields[role.name] = role
            else:
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
        if name in ignored and header not in mapping
    ]
    layout = "wide" if wide else "long"
    failures += _layout_failures(headers, fields, wide, separator)
    return HeaderPlan(fields, wide, layout, ignored, columns), failures


def _given_twice(
    role: HeaderRole, header: str, fields: dict[str, HeaderRole], wide: list
) -> Failure | None:
    """A field, or an ion on one side, that an earlier column gives already."""
    if role.role == "field":
        if role.name not in fields:
            return None
        return Failure(
            rule="duplicate_column",
            message=f"two columns give {role.name}",
            column=header,
            value=f"{fields[role.name].header!r} and {header!r}",
        )
    same = [w for w in wide if (w.name, w.comp) == (role.name, role.comp)]
    if not same:
        return None
    return Failure(
        rule="duplicate_column",
        message=f"two columns give {role.name} {role.comp}: "
        f"{same[0].header!r} and {header!r}",
        column=header,
        value=header,
    )


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
