"""The ion registry: canonical symbols, aliases, valences and per-ion parameters.

The registry is the single place where an ion's name is decided. Lab tables write
``K``, ``K+``, ``potassium`` or ``K(+)``; calcium arrives as ``Ca2+``, ``Ca++``,
``Ca(2+)`` or ``calcium``. :func:`lookup` maps every spelling to one :class:`Ion` and
an unknown name is a :class:`UnknownIonError` that suggests the closest matches.

The data live in ``iongrad/data/ions.csv`` (one row per ion, with its references):
valence, Kielland's (1937) effective ion size *a* for the extended Debye-Hueckel law,
and the Truesdell-Jones (1974) *a* and *b* parameters as used by PHREEQC.
"""

from __future__ import annotations

import csv
import difflib
import math
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np

__all__ = ["Ion", "UnknownIonError", "all_ions", "lookup", "normalize", "valences"]


class UnknownIonError(KeyError):
    """An ion name the registry does not know; ``suggestions`` lists close names."""

    def __init__(self, name: str, suggestions: list[str]):
        self.name = name
        self.suggestions = suggestions
        hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"unknown ion {name!r}{hint}")

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return self.args[0]


@dataclass(frozen=True)
class Ion:
    """One ionic (or neutral) species of the registry.

    Attributes
    ----------
    symbol : str
        Canonical symbol, e.g. ``"K+"``, ``"Ca2+"``, ``"SO4 2-"``.
    name : str
        English name, e.g. ``"potassium"``.
    valence : int
        Charge number z, [-].
    aliases : tuple of str
        Other accepted spellings.
    kielland_a_angstrom : float
        Kielland (1937) effective hydrated ion size, [angstrom]; NaN when unpublished.
    truesdell_jones_a_angstrom, truesdell_jones_b_kg_per_mol : float
        Truesdell-Jones (1974) ion size [angstrom] and b [kg/mol]; NaN when unpublished.
    reference : str
        Where the parameters come from.
    """

    symbol: str
    name: str
    valence: int
    aliases: tuple[str, ...]
    kielland_a_angstrom: float
    truesdell_jones_a_angstrom: float
    truesdell_jones_b_kg_per_mol: float
    reference: str


def _key(text: str) -> str:
    """Case- and space-insensitive lookup key (``'Ca 2+'`` and ``'ca2+'`` agree)."""
    return re.sub(r"\s+", "", str(text)).casefold()


#: A charge written after the species: ``+``, ``++``, ``2+``, ``+2``, ``(2+)``,
#: ``(+2)``, ``^2+`` or `` 2-``.
_CHARGE = re.compile(
    r"^(?P<base>.+?)[\s^]*\(?(?:(?P<n1>\d+)(?P<s1>[+-])|(?P<s2>[+-])(?P<n2>\d+)"
    r"|(?P<s3>\++|-+))\)?$"
)


def _charge_key(text: str) -> str | None:
    """The lookup key of ``text`` with its charge written as ``<n><sign>``.

    One grammar for every ion: ``K+1``, ``K(+)``, ``Ca+2``, ``Ca++``, ``Ca^2+``,
    ``SO4-2`` and ``HPO4 2-`` all name a species by its base and charge, so they are
    read the same way for every ion instead of through per-ion alias lists. A charge
    of 1 is written without the digit (``K+``).
    """
    match = _CHARGE.match(re.sub(r"\s+", " ", str(text)).strip())
    if match is None:
        return None
    if match["s3"]:
        sign, n = match["s3"][0], len(match["s3"])
    else:
        sign = match["s1"] or match["s2"]
        n = int(match["n1"] or match["n2"])
    if n == 0:
        return None
    return _key(f"{match['base']}{n if n > 1 else ''}{sign}")


def _float(text: str) -> float:
    return float(text) if text.strip() else math.nan


@cache
def _registry() -> tuple[dict[str, Ion], dict[str, str]]:
    ions: dict[str, Ion] = {}
    index: dict[str, str] = {}
    path = resources.files("iongrad") / "data" / "ions.csv"
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            aliases = tuple(a.strip() for a in row["aliases"].split(";") if a.strip())
            ion = Ion(
                symbol=row["symbol"],
                name=row["name"],
                valence=int(row["valence"]),
                aliases=aliases,
                kielland_a_angstrom=_float(row["kielland_a_angstrom"]),
                truesdell_jones_a_angstrom=_float(row["truesdell_jones_a_angstrom"]),
                truesdell_jones_b_kg_per_mol=_float(
                    row["truesdell_jones_b_kg_per_mol"]
                ),
                reference=row["reference"],
            )
            ions[ion.symbol] = ion
            for spelling in (ion.symbol, ion.name, *aliases):
                key = _key(spelling)
                if index.get(key, ion.symbol) != ion.symbol:  # pragma: no cover
                    raise ValueError(f"ambiguous ion alias {spelling!r} in ions.csv")
                index[key] = ion.symbol
    return ions, index


def lookup(name: str) -> Ion:
    """Return the registry entry for any accepted spelling of an ion.

    Parameters
    ----------
    name : str
        Symbol, name or alias (``"K"``, ``"K+"``, ``"potassium"``, ``"Ca(2+)"``).

    Raises
    ------
    UnknownIonError
        When no entry matches; the message suggests the closest known spellings.

    Examples
    --------
    >>> lookup("Ca++").symbol, lookup("potassium").valence
    ('Ca2+', 1)
    """
    ions, index = _registry()
    symbol = index.get(_key(name))
    if symbol is None:
        symbol = index.get(_charge_key(name) or "")
    if symbol is None:
        close = difflib.get_close_matches(_key(name), list(index), n=6, cutoff=0.5)
        suggestions = list(dict.fromkeys(index[c] for c in close))[:3]
        raise UnknownIonError(str(name), suggestions)
    return ions[symbol]


def normalize(name: str) -> str:
    """Return the canonical symbol for any accepted spelling (see :func:`lookup`)."""
    return lookup(name).symbol


def all_ions() -> list[Ion]:
    """Return every registry entry, in file order."""
    return list(_registry()[0].values())


def valences(symbols) -> np.ndarray:
    """Return the valences of an array of canonical symbols as ``int64``.

    Vectorized over unique symbols, so a million-row column costs one lookup per ion.
    """
    symbols = np.asarray(symbols, dtype=object)
    uniques, inverse = np.unique(symbols, return_inverse=True)
    table = np.array([lookup(s).valence for s in uniques], dtype=np.int64)
    return table[inverse].reshape(symbols.shape)
