"""How each ion looks, on every page and in every plot: one colour and one marker.

An ion's colour and marker depend on its symbol only (never on which other ions a
page shows), so K+ is the same blue circle in a dataset's ladder, its tables and
the cross-dataset index. Colours come from colour-blind-safe palettes (Okabe & Ito
2008, "Color Universal Design"; Tol 2021, "Colour Schemes", SRON/EPS/TN/09-002), and
every ion also has its own marker shape so a grey print still tells them apart.
Ions are listed in physiological order (:data:`ION_ORDER`), then alphabetically.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from functools import cache

from markupsafe import Markup

from iongrad.ions import all_ions

__all__ = [
    "DONNAN",
    "GHK",
    "ION_ORDER",
    "PALETTE",
    "VM",
    "IonStyle",
    "LineStyle",
    "ion_order",
    "ion_sort_key",
    "ion_style",
    "is_known",
]

#: Ions in the order physiologists list them; every other ion follows, A to Z.
ION_ORDER = ("K+", "Na+", "Cl-", "Ca2+", "Mg2+", "HCO3-", "H+")

#: Okabe-Ito colours (black and yellow left out: black is the measured Vm, yellow
#: is unreadable on white), then Tol's "muted" colours.
PALETTE = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#E69F00",  # orange
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#332288",  # indigo
    "#117733",  # green
    "#44AA99",  # teal
    "#88CCEE",  # cyan
    "#999933",  # olive
    "#AA4499",  # purple
    "#882255",  # wine
    "#CC6677",  # rose
    "#DDCC77",  # sand
)
#: matplotlib marker codes, in the order they are handed out.
MARKERS = ("o", "s", "^", "D", "v", "p", "h", "<", ">", "*", "P", "X")

#: The main ions' looks, fixed: K+ blue circle, Na+ vermillion square, ...
_FIXED = {ion: (PALETTE[k], MARKERS[k]) for k, ion in enumerate(ION_ORDER)}


@dataclass(frozen=True)
class IonStyle:
    """An ion's colour (hex) and matplotlib marker."""

    colour: str
    marker: str

    def swatch(self) -> Markup:
        """The marker as a small inline SVG, for tables and legends in HTML."""
        return _swatch(self.colour, self.marker)


@dataclass(frozen=True)
class LineStyle:
    """A potential drawn as a line across a plot (Vm and the model predictions):
    its label in legends, a short label beside the line, colour, line and marker."""

    label: str
    short: str
    colour: str
    linestyle: str
    marker: str


#: Measured membrane potential: black, solid (black is no ion's colour).
VM = LineStyle("Vm measured", "Vm", "#000000", "-", "o")
#: Goldman-Hodgkin-Katz prediction: dark grey, dashed.
GHK = LineStyle("V_GHK", "V_GHK", "#555555", "--", "d")
#: Donnan prediction: mid grey, dash-dotted.
DONNAN = LineStyle("V_Donnan", "V_Donnan", "#8c8c8c", "-.", "s")


def ion_sort_key(ion: str) -> tuple[int, str]:
    """Sort key: physiological order first, then case-insensitive A to Z."""
    try:
        return (ION_ORDER.index(ion), "")
    except ValueError:
        return (len(ION_ORDER), str(ion).casefold())


def ion_order(ions) -> list[str]:
    """The distinct ions of ``ions`` in physiological order, then alphabetical.

    >>> ion_order(["Zn2+", "Cl-", "K+", "Br-", "Na+"])
    ['K+', 'Na+', 'Cl-', 'Br-', 'Zn2+']
    """
    return sorted(dict.fromkeys(str(i) for i in ions), key=ion_sort_key)


@cache
def _other_looks() -> tuple[list[tuple[str, str]], dict[str, int]]:
    """Colour-marker pairs left for the other ions, and each registry ion's slot."""
    taken = set(_FIXED.values())
    own = [c for c in PALETTE if c not in {c for c, _ in taken}]
    # The main ions' colours come back only once every other colour has been
    # handed out with every marker: a colour alone rarely stands for two ions.
    pairs = [(c, m) for m in MARKERS for c in own]
    pairs += [(c, m) for m in MARKERS for c in PALETTE if c not in own]
    pairs = [p for p in pairs if p not in taken]
    others = sorted(
        (ion.symbol for ion in all_ions() if ion.symbol not in _FIXED),
        key=str.casefold,
    )
    return pairs, {symbol: k for k, symbol in enumerate(others)}


def is_known(ion: str) -> bool:
    """True when ``ion`` is a symbol of the ion registry (tables give only known
    ions a marker: a misspelt name in a rejected row is not an ion)."""
    return ion in _FIXED or ion in _other_looks()[1]


@cache
def ion_style(ion: str) -> IonStyle:
    """The colour and marker of ``ion`` (a function of the symbol alone).

    The ions of :data:`ION_ORDER` have fixed looks; the other registry ions get
    one distinct colour-marker pair each (by their alphabetical place in the
    registry); a symbol the registry does not know gets one from a checksum of its
    text.

    >>> ion_style("K+")
    IonStyle(colour='#0072B2', marker='o')
    """
    if ion in _FIXED:
        return IonStyle(*_FIXED[ion])
    pairs, slots = _other_looks()
    slot = slots.get(ion)
    if slot is None:
        slot = zlib.crc32(str(ion).encode("utf-8"))
    return IonStyle(*pairs[slot % len(pairs)])


def _polygon(n: int, radius: float, turn: float = 0.0) -> list[tuple[float, float]]:
    """Corners of a regular ``n``-gon, the first at the top, turned by ``turn``
    [deg] (SVG coordinates: y grows downwards)."""
    return [
        (
            radius * math.sin(math.radians(turn + 360 * k / n)),
            -radius * math.cos(math.radians(turn + 360 * k / n)),
        )
        for k in range(n)
    ]


def _star() -> list[tuple[float, float]]:
    outer, inner = _polygon(5, 5.0), _polygon(5, 2.1, 36.0)
    return [p for pair in zip(outer, inner, strict=True) for p in pair]


def _plus(turn: float) -> list[tuple[float, float]]:
    a, b = 1.4, 4.3  # half the bar width and half its length
    arm = [(-a, -b), (a, -b), (a, -a), (b, -a), (b, a), (a, a), (a, b), (-a, b)]
    arm += [(-a, a), (-b, a), (-b, -a), (-a, -a)]
    c, s = math.cos(math.radians(turn)), math.sin(math.radians(turn))
    return [(x * c - y * s, x * s + y * c) for x, y in arm]


#: The corners of each marker's swatch shape, in a 10 x 10 box centred on 0.
_SHAPES = {
    "s": [(-3.6, -3.6), (3.6, -3.6), (3.6, 3.6), (-3.6, 3.6)],
    "^": _polygon(3, 4.8),
    "D": _polygon(4, 4.6),
    "v": _polygon(3, 4.8, 180.0),
    "p": _polygon(5, 4.6),
    "h": _polygon(6, 4.5),
    "<": _polygon(3, 4.8, -90.0),
    ">": _polygon(3, 4.8, 90.0),
    "*": _star(),
    "P": _plus(0.0),
    "X": _plus(45.0),
}


@cache
def _swatch(colour: str, marker: str) -> Markup:
    if marker in _SHAPES:
        points = " ".join(f"{x:.2f},{y:.2f}" for x, y in _SHAPES[marker])
        shape = f'<polygon points="{points}" fill="{colour}"/>'
    else:
        shape = f'<circle r="4.2" fill="{colour}"/>'
    return Markup(
        '<svg class="swatch" viewBox="-5 -5 10 10" width="10" height="10" '
        f'aria-hidden="true">{shape}</svg>'
    )
