r"""Liquid junction potentials (LJP) between a pipette solution and a bath.

Sign convention (the one of JPCalc and LJPcalc), stated once for all of iongrad:
``ljp_mV`` is the potential of the bath with respect to the pipette at zero current,

.. math:: V_L = \phi_{bath} - \phi_{pipette}.

The amplifier is zeroed with the pipette in the bath, so in a whole-cell recording the
junction potential is inside every later reading and the membrane potential is
``Vm = Vm_measured - ljp_mV`` (:func:`corrected_vm`). A K-gluconate pipette against an
ACSF-like bath gives about +16 mV: a reading of -60 mV is a membrane at -76 mV.

Two methods, both for ideal solutions (concentrations, no activity coefficients;
``activity_model`` drives the Nernst-Planck fluxes by activity gradients instead,
:mod:`iongrad.physics.ljp_activity`):

``nernst-planck`` (default)
    The stationary Nernst-Planck equations with local electroneutrality and zero
    current (Planck 1890), the model of JLJP and LJPcalc (Marino et al. 2014). Solved
    here exactly, without discretising the junction, by the reduction in
    :func:`nernst_planck_ljp`: all junctions at once by Newton's method on one
    unknown per valence class plus the potential.
``henderson``
    The generalised Henderson equation (Barry & Lynch 1991), which assumes that each
    ion's concentration varies linearly across the junction. It is what JPCalc and
    pClamp compute. It equals the Nernst-Planck result for a single salt and differs
    from it by 0-0.5 mV for common pipette solutions (0.45 mV for K-gluconate
    against ACSF), more with polyvalent ions and large concentration differences.

Mobilities (:func:`ion_mobility_table`) are diffusion coefficients at 25 degC from
``iongrad/data/ion_mobilities.csv``: the CRC Handbook's limiting values for inorganic
ions and Barry's relative mobilities (JPCalc's library: Barry & Lynch 1991, Ng & Barry
1995) for organic ions, one source per row. Only mobility *ratios* enter either
method. Temperature enters through RT/F, and through the mobilities by Walden's rule
(:func:`walden_factor`: :math:`\lambda\eta` constant, so
:math:`D \propto T/\eta(T)`, with the IAPWS 2008 viscosity of water); the rule scales
every ion by the same factor, so the reported diffusion coefficients change with
temperature but the junction potential does not.

Validation (``tests/physics/test_ljp.py``): Henderson reproduces JPCalc's published
outputs and Nernst-Planck reproduces LJPcalc's and JLJP's within 0.05 mV; with the
default mobilities both match the measured junction potentials of Ng & Barry (1995)
and the values of Harper (1985, Table I) within 0.5 mV.

References
----------
.. [1] P. H. Barry and J. W. Lynch, "Liquid junction potentials and small cell effects
   in patch-clamp analysis", J. Membr. Biol. 121, 101-117 (1991).
.. [2] P. H. Barry, "JPCalc, a software package for calculating liquid junction
   potential corrections in patch-clamp, intracellular, epithelial and bilayer
   measurements and for correcting junction potential measurements", J. Neurosci.
   Methods 51, 107-116 (1994).
.. [3] M. Marino et al., "A new open source software for the calculation of the
   liquid junction potential between two solutions according to the stationary
   Nernst-Planck equation", arXiv:1403.3640 (2014).
.. [4] M. Planck, "Ueber die Potentialdifferenz zwischen zwei verduennten Loesungen
   binaerer Electrolyte", Ann. Phys. 276, 561-576 (1890).
"""

from __future__ import annotations

import csv
import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np

from iongrad.constants import MV_PER_V, ZERO_CELSIUS_K, F, R
from iongrad.ions import lookup
from iongrad.physics.ljp_activity import (
    ln_gamma_of_ionic_strength,
    nernst_planck_activity_ljp,
)
from iongrad.physics.water import water_viscosity_Pa_s

__all__ = [
    "CHARGE_TOLERANCE",
    "DEFAULT_METHOD",
    "METHODS",
    "REFERENCE_TEMPERATURE_K",
    "SIGN_CONVENTION",
    "TEMPERATURE_RANGE_K",
    "ElectroneutralityError",
    "IonMobility",
    "LJPResult",
    "MobilityError",
    "NernstPlanckSolution",
    "binary_salt_ljp",
    "corrected_vm",
    "henderson_ljp",
    "ion_mobility_table",
    "liquid_junction_potential",
    "mobility",
    "nernst_planck_ljp",
    "walden_factor",
]

#: The sign convention of every ``ljp_mV`` in iongrad.
SIGN_CONVENTION = (
    "ljp_mV = phi_bath - phi_pipette (JPCalc/LJPcalc); Vm = Vm_measured - ljp_mV"
)
#: Methods by name; the first is the default.
METHODS: tuple[str, ...] = ("nernst-planck", "henderson")
#: Default method: the exact solution of the model Henderson approximates.
DEFAULT_METHOD = "nernst-planck"
#: Temperature of the tabulated mobilities, [K] (25 degC).
REFERENCE_TEMPERATURE_K: float = ZERO_CELSIUS_K + 25.0
#: Liquid water at 1 atm, where the viscosity correlation is used, [K] (0-100 degC).
TEMPERATURE_RANGE_K: tuple[float, float] = (ZERO_CELSIUS_K, ZERO_CELSIUS_K + 100.0)
#: Largest net charge |sum z c| accepted as electroneutral, relative to the total
#: charge sum |z| c of the solution: rounding only. Anything larger is an error
#: unless an ion is named to adjust.
CHARGE_TOLERANCE: float = 1e-9

_MV_PER_KELVIN = R / F * MV_PER_V  # RT/F per kelvin, [mV K^-1]
_E_SCALE = 1e-9  # the table's diffusion coefficients are in 1e-9 m^2/s


class MobilityError(KeyError):
    """An ion without a tabulated mobility; ``suggestions`` lists close names."""

    def __init__(self, name: str, suggestions: list[str]):
        self.name = name
        self.suggestions = suggestions
        hint = ""
        if suggestions:
            hint = f"; close names with mobilities: {', '.join(suggestions)}"
        super().__init__(
            f"no liquid-junction mobility for {name!r} in ion_mobilities.csv{hint}; "
            "give one with mobilities={ion: mobility relative to K+}"
        )

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return self.args[0]


class ElectroneutralityError(ValueError):
    """A solution whose net charge is not zero, and no ion named to adjust.

    Attributes
    ----------
    solution : str
        ``"pipette"`` or ``"bath"``.
    imbalance_mM : numpy.ndarray
        Net charge :math:`\\sum z_i c_i` of each offending junction, [mM of charge].
    junctions : numpy.ndarray
        Indices of the offending junctions.
    """

    def __init__(self, solution, imbalance_mM, junctions, cations_mM, anions_mM):
        self.solution = solution
        self.imbalance_mM = np.asarray(imbalance_mM)
        self.junctions = np.asarray(junctions)
        first = int(self.junctions[0])
        where = (
            ""
            if self.junctions.size == 1 and first == 0
            else (f" in {self.junctions.size} junction(s), first #{first}")
        )
        super().__init__(
            f"{solution} is not electroneutral{where}: net charge "
            f"{float(self.imbalance_mM[0]):+.6g} mM (cations "
            f"{float(cations_mM):.6g} mM, anions {float(anions_mM):.6g} mM of "
            "charge); correct the composition or name an ion to adjust"
        )


# ----------------------------------------------------------------- mobilities
@dataclass(frozen=True)
class IonMobility:
    """One row of the mobility table.

    Attributes
    ----------
    ion : str
        Canonical registry symbol.
    valence : int
        Charge number z, [-].
    diffusion_25C_m2_per_s : float
        Diffusion coefficient at infinite dilution and 25 degC, [m^2/s]
        (:math:`D = RT\\lambda/(|z|F^2)` with :math:`\\lambda` the limiting molar
        conductivity per unit charge).
    mobility_rel_K : float
        :math:`D/D_{K^+}`: Barry's relative (generalised) mobility, [-].
    source : str
        Where the value comes from.
    """

    ion: str
    valence: int
    diffusion_25C_m2_per_s: float
    mobility_rel_K: float
    source: str


@cache
def ion_mobility_table() -> dict[str, IonMobility]:
    """Return the mobility table, keyed by canonical ion symbol.

    Rows give either the CRC diffusion coefficient (``D_25C_1e-9_m2_per_s``) or a
    mobility relative to K+ (``mobility_rel_K``); the latter is converted with the
    table's own K+ diffusion coefficient, so both kinds share one scale.

    Examples
    --------
    >>> t = ion_mobility_table()
    >>> round(t["Na+"].mobility_rel_K, 3), t["gluconate-"].mobility_rel_K
    (0.682, 0.33)
    """
    path = resources.files("iongrad") / "data" / "ion_mobilities.csv"
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    d_k = next(float(r["D_25C_1e-9_m2_per_s"]) for r in rows if r["ion"] == "K+")
    table: dict[str, IonMobility] = {}
    for row in rows:
        ion = lookup(row["ion"])
        if ion.symbol != row["ion"] or ion.valence != int(row["charge"]):
            raise ValueError(  # pragma: no cover - guards the data file
                f"ion_mobilities.csv row {row['ion']!r} disagrees with the registry"
            )
        d_text, u_text = row["D_25C_1e-9_m2_per_s"], row["mobility_rel_K"]
        if bool(d_text.strip()) == bool(u_text.strip()) or not row["source"].strip():
            raise ValueError(  # pragma: no cover - guards the data file
                f"ion_mobilities.csv row {row['ion']!r} needs one value and a source"
            )
        d = float(d_text) if d_text.strip() else float(u_text) * d_k
        table[ion.symbol] = IonMobility(
            ion=ion.symbol,
            valence=ion.valence,
            diffusion_25C_m2_per_s=d * _E_SCALE,
            mobility_rel_K=d / d_k,
            source=row["source"],
        )
    return table


def mobility(name: str) -> IonMobility:
    """Return the table entry for any registry spelling of an ion.

    Raises
    ------
    iongrad.ions.UnknownIonError
        For a name the registry does not know (with close matches).
    MobilityError
        For a registry ion without a tabulated mobility (with close matches).

    Examples
    --------
    >>> mobility("HEPES").mobility_rel_K
    0.3
    """
    symbol = lookup(name).symbol
    table = ion_mobility_table()
    if symbol not in table:
        close = difflib.get_close_matches(symbol, list(table), n=3, cutoff=0.5)
        raise MobilityError(symbol, close)
    return table[symbol]


def walden_factor(temperature_K):
    r"""Ratio :math:`D(T)/D(25\,^\circ C)` of an ion's diffusion coefficient.

    Parameters
    ----------
    temperature_K : float or array_like
        Absolute temperature, [K].

    Returns
    -------
    float or numpy.ndarray
        :math:`\frac{T}{298.15\,K}\,\frac{\eta(298.15\,K)}{\eta(T)}`, [-].

    Notes
    -----
    Walden's rule, :math:`\lambda^\infty\eta = \text{const}`, with the Nernst-Einstein
    relation :math:`D = RT\lambda/(|z|F^2)` gives :math:`D\eta/T` constant (the
    Stokes-Einstein scaling). The water viscosity :math:`\eta(T)` is the IAPWS 2008
    formulation (:func:`iongrad.physics.water.water_viscosity_Pa_s`). The factor is the
    same for every ion, which is an approximation (H+ and OH- move partly by proton
    hopping); since both junction-potential methods depend only on mobility ratios,
    it changes the reported diffusion coefficients but never the junction potential.

    References
    ----------
    .. [1] R. A. Robinson and R. H. Stokes, *Electrolyte Solutions*, 2nd rev. ed.,
       Butterworths, 1959 (Walden's rule; the Nernst-Einstein relation).
    .. [2] P. Vanysek, "Ionic conductivity and diffusion at infinite dilution", in
       *CRC Handbook of Chemistry and Physics*, 87th ed., CRC Press, 2006
       (:math:`D = (RT/F^2)(\lambda/|z|)`; "lambda and D increase by 2 to 3 % per
       degree" above 25 degC).

    Examples
    --------
    2-3 % per kelvin, as the CRC table states for typical ions:

    >>> round(float(walden_factor(298.15)), 6), round(float(walden_factor(310.15)), 3)
    (1.0, 1.339)
    """
    T = np.asarray(temperature_K, dtype=float)
    T0 = REFERENCE_TEMPERATURE_K
    return (T / T0) * (water_viscosity_Pa_s(T0) / water_viscosity_Pa_s(T))


# ----------------------------------------------------------------- formulas
def _rt_over_f_mV(temperature_K):
    return np.asarray(temperature_K, dtype=float) * _MV_PER_KELVIN


def _log_ratio_over_difference(x_p, x_b):
    """Return ln(x_p/x_b)/(x_b - x_p), continuous at x_p = x_b (value -1/x)."""
    d = (x_b - x_p) / x_p
    small = np.abs(d) < 1e-6
    d_safe = np.where(small, 1.0, d)
    exact = -np.log1p(d_safe) / (x_p * d_safe)
    series = -(1.0 - d / 2.0 + d * d / 3.0) / x_p
    return np.where(small, series, exact)


def henderson_ljp(*, c_pipette, c_bath, valence, mobility, temperature_K):
    r"""Generalised Henderson liquid junction potential (Barry & Lynch 1991).

    Parameters
    ----------
    c_pipette, c_bath : array_like, shape (..., k)
        Concentrations of k ions in the pipette and the bath (any one unit), 0 where
        an ion is absent.
    valence : array_like of int, shape (k,) or (..., k)
        Charge numbers z, [-].
    mobility : array_like, shape (k,) or (..., k)
        Mobilities in any one unit (only ratios enter): relative to K+, or
        diffusion coefficients.
    temperature_K : float or array_like, shape (...)
        Absolute temperature, [K].

    Returns
    -------
    numpy.ndarray, shape (...)
        :math:`V_L = \phi_{bath} - \phi_{pipette}`, [mV]; NaN where a solution has no
        ions.

    Notes
    -----
    .. math::
        V_L = \frac{RT}{F}\,S_F\,
        \ln\frac{\sum_i z_i^2 u_i c_i^P}{\sum_i z_i^2 u_i c_i^B},\qquad
        S_F = \frac{\sum_i z_i u_i (c_i^B - c_i^P)}{\sum_i z_i^2 u_i (c_i^B - c_i^P)}

    evaluated in the form :math:`\frac{RT}{F}\sum_i z_i u_i(c_i^B - c_i^P)
    \,\ln(X^P/X^B)/(X^B - X^P)` with :math:`X = \sum z_i^2 u_i c_i`, which stays
    finite when :math:`X^B = X^P`. The formula is a formula: it does not check
    electroneutrality (:func:`liquid_junction_potential` does). For one salt of
    valences :math:`z_+, z_-` it reduces to :func:`binary_salt_ljp`.

    References
    ----------
    .. [1] P. H. Barry and J. W. Lynch, J. Membr. Biol. 121, 101-117 (1991).
    .. [2] P. Henderson, "Zur Thermodynamik der Fluessigkeitsketten", Z. Phys. Chem.
       59, 118-127 (1907).

    Examples
    --------
    The JPCalcW example shown in its window (Zn 9 / 0.0284, K 0 / 3, Cl 18 / 3.057,
    JPCalc's mobilities, 20 degC) reads -19.5 mV:

    >>> v = henderson_ljp(c_pipette=[9, 0, 18], c_bath=[0.0284, 3, 3.057],
    ...                   valence=[2, 1, -1], mobility=[0.359, 1, 1.0388],
    ...                   temperature_K=293.15)
    >>> round(float(v), 2)
    -19.54
    """
    cp = np.asarray(c_pipette, dtype=float)
    cb = np.asarray(c_bath, dtype=float)
    z = np.asarray(valence, dtype=float)
    u = np.asarray(mobility, dtype=float)
    zu = z * u
    z2u = z * zu
    n_flux = (zu * (cb - cp)).sum(axis=-1)
    x_p = (z2u * cp).sum(axis=-1)
    x_b = (z2u * cb).sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        psi = n_flux * _log_ratio_over_difference(x_p, x_b)
        psi = np.where((x_p > 0) & (x_b > 0), psi, np.nan)
    return _rt_over_f_mV(temperature_K) * psi


def binary_salt_ljp(
    *, c_pipette, c_bath, mobility_cation, mobility_anion, valence_cation=1,
    valence_anion=-1, temperature_K,
):  # fmt: skip
    r"""Junction potential of one salt at two concentrations (Planck, Henderson).

    Parameters
    ----------
    c_pipette, c_bath : array_like
        Salt concentrations (any one unit) in the pipette and the bath.
    mobility_cation, mobility_anion : array_like
        Mobilities (any one unit; only the ratio enters).
    valence_cation, valence_anion : int
        :math:`z_+ > 0` and :math:`z_- < 0`.
    temperature_K : float or array_like
        Absolute temperature, [K].

    Returns
    -------
    numpy.ndarray
        :math:`V_L = \phi_{bath} - \phi_{pipette}`, [mV].

    Notes
    -----
    .. math::
        V_L = \frac{RT}{F}\,\frac{u_+ - u_-}{z_+u_+ - z_-u_-}\,
        \ln\frac{c^P}{c^B}

    which for a 1:1 salt is :math:`\frac{RT}{F}\frac{u_+-u_-}{u_++u_-}\ln(c^P/c^B)`.
    Derivation: both ions share the salt's concentration profile, which is linear in
    the stationary state; zero current then fixes the field. The faster ion runs
    ahead down its gradient, so with :math:`c^P > c^B` and a faster cation the bath
    side turns positive: :math:`V_L > 0`. The Henderson and the Nernst-Planck methods
    both reduce to this expression exactly.

    References
    ----------
    .. [1] M. Planck, Ann. Phys. 276, 561-576 (1890).

    Examples
    --------
    0.1 M HCl against 3.45 mM HCl (CRC diffusion coefficients) at 25 degC:

    >>> round(float(binary_salt_ljp(c_pipette=100, c_bath=3.45,
    ...     mobility_cation=9.311, mobility_anion=2.032, temperature_K=298.15)), 2)
    55.51
    """
    up = np.asarray(mobility_cation, dtype=float)
    um = np.asarray(mobility_anion, dtype=float)
    zp, zm = float(valence_cation), float(valence_anion)
    ratio = np.log(np.asarray(c_pipette, dtype=float) / np.asarray(c_bath, float))
    return _rt_over_f_mV(temperature_K) * (up - um) / (zp * up - zm * um) * ratio


# ----------------------------------------------------------------- Nernst-Planck
#: Taylor coefficients 1/j! of exp, j = 0..15.
_TAYLOR = np.array([1.0 / math.factorial(j) for j in range(16)])


def _expm(a: np.ndarray) -> np.ndarray:
    r"""Matrix exponential of a stack of small matrices, shape (..., k, k).

    Scaling and squaring: each matrix is divided by :math:`2^s` so that its 1-norm is
    at most 1/2, where the degree-15 Taylor polynomial's truncation error is below
    :math:`2^{-16}/16! \approx 7\times10^{-19}` (relative), evaluated by the
    Paterson-Stockmeyer scheme (six matrix products, no linear solve), and the
    result is squared :math:`s` times (per matrix). Batched numpy, no Python loop
    over matrices.

    References
    ----------
    .. [1] C. Moler and C. Van Loan, "Nineteen dubious ways to compute the
       exponential of a matrix, twenty-five years later", SIAM Rev. 45, 3-49 (2003).
    .. [2] M. S. Paterson and L. J. Stockmeyer, "On the number of nonscalar
       multiplications necessary to evaluate polynomials", SIAM J. Comput. 2, 60-66
       (1973).

    Examples
    --------
    >>> from scipy.linalg import expm
    >>> a = np.array([[[0.3, -2.0], [1.5, -0.7]], [[4.0, 1.0], [0.0, -3.0]]])
    >>> bool(np.allclose(_expm(a), np.stack([expm(x) for x in a]), rtol=1e-13))
    True
    """
    norm = np.abs(a).sum(axis=-2).max(axis=-1)
    s = np.ceil(np.log2(np.maximum(2.0 * norm, 1.0))).astype(np.int64)
    a = a / np.ldexp(1.0, s)[..., None, None]
    c = _TAYLOR
    ident = np.broadcast_to(np.eye(a.shape[-1]), a.shape)
    a2 = a @ a
    a3 = a2 @ a
    a4 = a2 @ a2
    e = c[12] * ident + c[13] * a + c[14] * a2 + c[15] * a3
    for j in (8, 4, 0):
        e = a4 @ e + c[j] * ident + c[j + 1] * a + c[j + 2] * a2 + c[j + 3] * a3
    for j in range(int(s.max(initial=0))):
        e = np.where((s > j)[..., None, None], e @ e, e)
    return e


def _expm1_over_x(x):
    """(e^x - 1)/x, continuous at 0."""
    small = np.abs(x) < 1e-8
    return np.where(small, 1.0 + x / 2.0, np.expm1(x) / np.where(small, 1.0, x))


def _t_exp_integral(x):
    """Integral of t e^(x t) over [0, 1], continuous at 0."""
    small = np.abs(x) < 1e-3
    xs = np.where(small, 1.0, x)
    exact = (np.exp(xs) * (xs - 1.0) + 1.0) / (xs * xs)
    series = 0.5 + x / 3.0 + x * x / 8.0 + x**3 / 30.0
    return np.where(small, series, exact)


class _Junctions:
    """One block of junctions in the reduced Nernst-Planck form.

    Unknowns per junction: u = (dpsi, ln K_1, ..., ln K_m), one K per valence class.
    The concentrations are expected scaled to an ionic strength of order 1.
    """

    def __init__(self, cp, cb, z, d):
        self.cp, self.cb, self.d = cp, cb, d
        self.z = z.astype(float)
        self.z_abs = np.abs(self.z)
        self.classes = np.unique(z)
        self.v = self.classes.astype(float)
        self.q = self.v * self.v
        self.cls = np.searchsorted(self.classes, z)
        self.onehot = (self.cls[:, None] == np.arange(self.v.size)).astype(float)
        self.t_p = cp @ self.onehot  # valence-class totals in the pipette

    def guess(self):
        """Henderson's potential and the K_v of Henderson's profile.

        Henderson's linear mixing c(x) = c^P + (c^B - c^P) x gives, with
        X = sum z^2 D c and rho = X^B/X^P, t = psi/dpsi = ln(X(x)/X^P)/ln(rho), so
        S(t) = S^P + (S^B - S^P)(rho^t - 1)/(rho - 1) and K_v has a closed form.
        This is the exact solution for a single salt, and close for mixtures.
        """
        z2d = self.z * self.z * self.d
        x_p = (z2d * self.cp).sum(-1)
        x_b = (z2d * self.cb).sum(-1)
        n_flux = (self.z * self.d * (self.cb - self.cp)).sum(-1)
        dpsi = n_flux * _log_ratio_over_difference(x_p, x_b)
        s_p = self.t_p @ self.q
        ds = (self.cb @ self.onehot) @ self.q - s_p
        x = dpsi[:, None] * self.v[None, :]
        log_rho = np.log(x_b / x_p)[:, None]
        flat = np.abs(log_rho) < 1e-6
        lr = np.where(flat, 1.0, log_rho)
        curved = (_expm1_over_x(x + lr) - _expm1_over_x(x)) / np.expm1(lr)
        shape = np.where(flat, _t_exp_integral(x), curved)
        k = s_p[:, None] * _expm1_over_x(x) + ds[:, None] * shape
        return np.column_stack([dpsi, np.log(k)])

    def residual(self, u, rows=slice(None)):
        r"""Zero current, and ln(K_v / \int e^{v dpsi t} S dt) for each class."""
        cp, cb, d = self.cp[rows], self.cb[rows], self.d[rows]
        dpsi = u[:, 0]
        kk = np.exp(u[:, 1:])
        k_ion = kk[:, self.cls]
        e_b = cb * np.exp(self.z * dpsi[:, None])
        a = (e_b - cp) / k_ion  # a_i = (c_i^B e^{z_i dpsi} - c_i^P) / K_{z_i}
        current = (self.z * d * a).sum(-1) / (
            (self.z_abs * d * (e_b + cp) / k_ion).sum(-1)
        )
        m = self.v.size
        big = np.zeros((dpsi.size, m, m + 1, m + 1))
        # N + dpsi v_u I for every class u (N = -dpsi V + A q^T), augmented with the
        # pipette's class totals (Van Loan): the last column of exp() is then
        # \int_0^1 e^{(N + dpsi v_u) t} T^P dt, and q^T of it is K_u.
        big[:, :, :m, :m] = ((a @ self.onehot)[:, :, None] * self.q)[:, None]
        idx = np.arange(m)
        shift = dpsi[:, None] * self.v  # (n, m): dpsi v
        big[:, :, idx, idx] += shift[:, :, None] - shift[:, None, :]
        big[:, :, :m, m] = self.t_p[rows][:, None, :]
        k_calc = _expm(big)[:, :, :m, m] @ self.q
        ratio = k_calc / kk
        mismatch = np.log(np.where(ratio > 0, ratio, np.nan))
        return np.column_stack([current, mismatch])

    def physical(self, u, rows=slice(None), points: int = 16):
        """Whether every concentration stays >= 0 across the junction.

        The end conditions alone also admit roots whose profile dips below zero
        inside the junction (where the change of variable to t is invalid). Each
        ion's c_i(t) = e^{-z_i dpsi t} (c_i^P + a_i K_{z_i}(t)) is evaluated at
        ``points`` + 1 places, K(t) by stepping the augmented exponential.
        """
        cp, cb = self.cp[rows], self.cb[rows]
        dpsi = u[:, 0]
        kk = np.exp(u[:, 1:])
        a = (cb * np.exp(self.z * dpsi[:, None]) - cp) / kk[:, self.cls]
        m, n = self.v.size, dpsi.size
        big = np.zeros((n, m, m + 1, m + 1))
        big[:, :, :m, :m] = ((a @ self.onehot)[:, :, None] * self.q)[:, None]
        idx = np.arange(m)
        shift = dpsi[:, None] * self.v
        big[:, :, idx, idx] += shift[:, :, None] - shift[:, None, :]
        big[:, :, :m, m] = self.t_p[rows][:, None, :]
        step = _expm(big / points)
        y = np.zeros((n, m, m + 1))
        y[:, :, m] = 1.0
        low = np.zeros(n)
        scale = (cp + cb).max(axis=1)
        for j in range(1, points + 1):
            y = np.einsum("nuij,nuj->nui", step, y)
            k_t = y[:, :, :m] @ self.q  # K_u(t_j), (n, m)
            t = j / points
            c = np.exp(-self.z * dpsi[:, None] * t) * (cp + a * k_t[:, self.cls])
            low = np.minimum(low, c.min(axis=1) / scale)
        return low > -1e-9


#: Residual accepted when rounding, not the iteration, limits the solution.
_ROUNDING_TOL = 1e-9
#: Residual accepted on the way (not at the end) of a continuation.
_STEP_TOL = 1e-6


def _jacobian(block: _Junctions, u, r, rows, central: bool = False):
    """Finite-difference Jacobian of the residual at u (rows of the block).

    Forward differences by default; central differences (twice the cost, error
    O(h^2) instead of O(h)) where the system is ill-conditioned.
    """
    p = u.shape[1]
    jac = np.empty((rows.size, p, p))
    for j in range(p):
        h = (1e-5 if central else 1e-7) * np.maximum(1.0, np.abs(u[:, j]))
        up = u.copy()
        up[:, j] += h
        if central:
            um = u.copy()
            um[:, j] -= h
            diff = block.residual(up, rows) - block.residual(um, rows)
            jac[:, :, j] = diff / (2.0 * h[:, None])
        else:
            jac[:, :, j] = (block.residual(up, rows) - r) / h[:, None]
    return jac


def _newton_step(jac, r):
    try:
        du = np.linalg.solve(jac, -r[..., None])[..., 0]
    except np.linalg.LinAlgError:
        du = np.einsum("nij,nj->ni", np.linalg.pinv(jac), -r)
    return np.where(np.isfinite(du), du, 0.0)


def _newton(
    block: _Junctions, u, tol: float, max_iter: int, broyden: bool, central=False
):
    """Damped (quasi-)Newton on every junction of a block at once.

    The step is halved until the sum of squared residuals falls (Armijo). With
    ``broyden``, a finite-difference Jacobian starts each junction and is refreshed
    only where a step fails or gains little; in between Broyden's rank-one update
    keeps it current at one residual per iteration. Without, every iteration gets a
    fresh finite-difference Jacobian.

    Returns u, converged, iterations, largest residual.
    """
    u = u.copy()
    n = u.shape[0]
    r = block.residual(u)
    norm = np.abs(r).max(axis=1)
    merit = (r * r).sum(axis=1)
    bad = ~np.isfinite(merit)
    norm[bad], merit[bad] = np.inf, np.inf
    jac = np.zeros((n, u.shape[1], u.shape[1]))
    fresh = np.zeros(n, dtype=bool)  # jac is a finite-difference Jacobian at u
    refresh = np.ones(n, dtype=bool)
    iters = np.zeros(n, dtype=np.int64)
    stalled = bad.copy()
    for _ in range(max_iter):
        active = (norm > tol) & ~stalled
        redo = np.flatnonzero(active & (refresh | (not broyden)))
        if redo.size:
            jac[redo] = _jacobian(block, u[redo], r[redo], redo, central)
            fresh[redo], refresh[redo] = True, False
        rows = np.flatnonzero(active)
        if rows.size == 0:
            break
        ur, rr = u[rows], r[rows]
        du = _newton_step(jac[rows], rr)
        iters[rows] += 1
        step = np.ones(rows.size)
        todo = np.arange(rows.size)
        for _ in range(30):
            sub = rows[todo]
            trial = ur[todo] + step[todo, None] * du[todo]
            rt = block.residual(trial, sub)
            ft = (rt * rt).sum(axis=1)
            ok = np.isfinite(ft) & (ft <= (1.0 - 1e-4 * step[todo]) * merit[sub])
            good, g = sub[ok], todo[ok]
            if broyden:
                s_vec = trial[ok] - ur[g]
                js = np.einsum("nij,nj->ni", jac[good], s_vec)
                ss = np.einsum("ni,ni->n", s_vec, s_vec)
                ss = np.where(ss > 0, ss, 1.0)
                jac[good] += (rt[ok] - rr[g] - js)[:, :, None] * (s_vec / ss[:, None])[
                    :, None, :
                ]
                slow = ft[ok] > 0.25 * merit[good]
                refresh[good[slow & ~fresh[good]]] = True
            fresh[good] = False
            u[good], r[good], merit[good] = trial[ok], rt[ok], ft[ok]
            norm[good] = np.abs(rt[ok]).max(axis=1)
            todo = todo[~ok]
            if todo.size == 0:
                break
            step[todo] *= 0.5
        failed = rows[todo]
        stalled[failed[fresh[failed]]] = True  # no descent even from a fresh Jacobian
        refresh[failed] = True
    # Where rounding stops progress (exponentials of large z * dpsi lose relative
    # accuracy), a residual up to _ROUNDING_TOL is accepted and reported.
    done = (norm <= tol) | ((norm <= _ROUNDING_TOL) & (stalled | (iters >= max_iter)))
    return u, done, iters, norm


def _continuation(cp, cb, z, d, tol: float, max_steps: int = 600):
    """Solve hard junctions by walking the bath from the pipette's composition.

    The bath is the mixture ``(1 - w) c^P/S^P + w c^B/S^B`` (compositions at unit
    ionic strength, electroneutral for every w) scaled to the ionic strength
    ``S^P**(1 - w) * S^B**w``, so large concentration ratios are crossed in equal
    logarithmic steps. At w = 0 the solution is exact (no potential, K_v = S^P);
    each step starts Newton from the previous solution and is kept only if it
    converges (to a looser tolerance short of w = 1) to a physical profile
    (:meth:`_Junctions.physical`); the step in w doubles after a success (to at most
    1/8) and shrinks fourfold after a failure.
    """
    n = cp.shape[0]
    z2 = (z * z).astype(float)
    s_p, s_b = cp @ z2, cb @ z2
    hat_p, hat_b = cp / s_p[:, None], cb / s_b[:, None]
    w = np.zeros(n)
    dw = np.full(n, 1.0 / 32.0)
    classes = np.unique(z)
    u = np.column_stack([np.zeros(n), np.repeat(np.log(s_p)[:, None], classes.size, 1)])
    done = np.zeros(n, dtype=bool)
    failed = np.zeros(n, dtype=bool)
    iters = np.zeros(n, dtype=np.int64)
    norm = np.full(n, np.inf)
    for _ in range(max_steps):
        rows = np.flatnonzero(~done & ~failed)
        if rows.size == 0:
            break
        wn = np.minimum(1.0, w[rows] + dw[rows])
        size = s_p[rows] ** (1.0 - wn) * s_b[rows] ** wn
        mix = (1.0 - wn)[:, None] * hat_p[rows] + wn[:, None] * hat_b[rows]
        bath = np.where((wn >= 1.0)[:, None], cb[rows], mix * size[:, None])
        block = _Junctions(cp[rows], bath, z, d[rows])
        un, ok, it, nm = _newton(block, u[rows], tol, 12, broyden=False, central=True)
        iters[rows] += it
        # A step short of the end only seeds the next one: moderate accuracy will do.
        ok |= (wn < 1.0) & (nm <= _STEP_TOL)
        ok[ok] = block.physical(un[ok], np.flatnonzero(ok))
        go, stay = rows[ok], rows[~ok]
        u[go], w[go], norm[go] = un[ok], wn[ok], nm[ok]
        dw[go] = np.minimum(2.0 * dw[go], 0.125)
        done[go[w[go] >= 1.0]] = True
        dw[stay] *= 0.25
        failed[stay[dw[stay] < 1e-9]] = True
    return u, done, iters, norm


@dataclass(frozen=True)
class NernstPlanckSolution:
    """Junction potentials from :func:`nernst_planck_ljp`.

    Attributes
    ----------
    ljp_mV : numpy.ndarray, shape (n,)
        :math:`\\phi_{bath} - \\phi_{pipette}`, [mV]; the last iterate where not
        converged, NaN where a solution has no ions.
    converged : numpy.ndarray of bool, shape (n,)
        Residual below the tolerance.
    iterations : numpy.ndarray of int, shape (n,)
        Newton iterations used.
    residual : numpy.ndarray, shape (n,)
        Largest scaled residual (zero current, class integrals), [-].
    """

    ljp_mV: np.ndarray
    converged: np.ndarray
    iterations: np.ndarray
    residual: np.ndarray


def nernst_planck_ljp(
    *, c_pipette, c_bath, valence, mobility, temperature_K, tol=1e-12, max_iter=40,
    block_size=1024,
):  # fmt: skip
    r"""Stationary Nernst-Planck liquid junction potentials for many junctions.

    Parameters
    ----------
    c_pipette, c_bath : array_like, shape (n, k) or (k,)
        Concentrations of k ions (any one unit), 0 where an ion is absent. Each
        solution must be electroneutral, :math:`\sum_i z_i c_i = 0`.
    valence : array_like of int, shape (k,)
        Charge numbers, nonzero, [-].
    mobility : array_like, shape (k,) or (n, k)
        Mobilities or diffusion coefficients in any one unit (only ratios enter).
    temperature_K : float or array_like, shape (n,)
        Absolute temperature, [K].
    tol : float
        Largest scaled residual accepted as converged.
    max_iter : int
        Quasi-Newton iterations at most from Henderson's guess; junctions not
        converged by then (or converged to a profile that dips below zero) are
        solved again by continuation from identical solutions.
    block_size : int
        Junctions solved together (1024: the batched small-matrix algebra stays in
        cache).

    Returns
    -------
    NernstPlanckSolution

    Notes
    -----
    In a junction :math:`0 \le x \le 1` from the pipette (0) to the bath (1), with
    :math:`\psi = F\phi/RT`, the stationary state with local electroneutrality and
    zero current is

    .. math::
        J_i = -D_i\,(c_i' + z_i c_i\psi') = \text{const},\qquad
        \sum_i z_i c_i = 0,\qquad \sum_i z_i J_i = 0,

    and :math:`V_L = (RT/F)[\psi(1) - \psi(0)]`. Electroneutrality gives
    :math:`\psi' = -G/S` with :math:`g_i = J_i/D_i`, :math:`G = \sum z_i g_i` and
    :math:`S = \sum z_i^2 c_i`. In the variable :math:`s = \int dx/S` the equations
    become *linear with constant coefficients*, :math:`dc/ds = (GZ - g\,w^T)\,c`,
    :math:`d\psi/ds = -G` (:math:`Z = \mathrm{diag}(z)`, :math:`w_i = z_i^2`).
    Rescaled to :math:`t \in [0, 1]` with :math:`a_i = -g_i s_L` and
    :math:`\Delta\psi = \sum_i z_i a_i`:

    .. math::
        \frac{dc_i}{dt} = -z_i\Delta\psi\,c_i + a_i S(t)
        \;\Rightarrow\;
        c_i^B e^{z_i\Delta\psi} = c_i^P + a_i K_{z_i},\qquad
        K_v = \int_0^1 e^{v\Delta\psi t} S(t)\,dt .

    :math:`K_v` is shared by all ions of valence :math:`v`, and :math:`S(t)` depends
    only on the valence-class totals :math:`T_v`, which obey the small linear system
    :math:`dT/dt = (-\Delta\psi V + A q^T)\,T` (:math:`A_v = \sum_{i \in v} a_i`,
    :math:`q_v = v^2`). So each junction is :math:`m + 1` equations in
    :math:`(\Delta\psi, \ln K_1 \ldots \ln K_m)`, m = number of valences (e.g. 4 for
    +-1, +-2, whatever the number of ions): zero current
    :math:`\sum_i z_i D_i a_i = 0`, and each :math:`K_v` equal to its integral,
    computed exactly as one column of a matrix exponential (Van Loan 1978). No
    discretisation of the junction is involved. Newton's method (finite-difference
    Jacobian, step halving) runs on all junctions of a block at once, from
    Henderson's potential as the first guess.

    References
    ----------
    .. [1] M. Marino et al., arXiv:1403.3640 (2014).
    .. [2] C. F. Van Loan, "Computing integrals involving the matrix exponential",
       IEEE Trans. Autom. Control 23, 395-404 (1978).

    Examples
    --------
    JLJP's example (9 mM ZnCl2 against 3 mM KCl, CRC-type conductivities Zn 52.8, K
    73.48, Cl 76.31 per unit charge, 25 degC; JLJP shows -20.82 mV):

    >>> sol = nernst_planck_ljp(c_pipette=[9, 0, 18], c_bath=[0.0284, 3, 3.0568],
    ...     valence=[2, 1, -1], mobility=[52.8 / 2, 73.48, 76.31],
    ...     temperature_K=298.15)
    >>> round(float(sol.ljp_mV[0]), 3), bool(sol.converged[0])
    (-20.813, True)
    """
    cp = np.atleast_2d(np.asarray(c_pipette, dtype=float))
    cb = np.atleast_2d(np.asarray(c_bath, dtype=float))
    cp, cb = np.broadcast_arrays(cp, cb)
    n, k = cp.shape
    z = np.asarray(valence).astype(np.int64).reshape(k)
    if np.any(z == 0):
        raise ValueError("nernst_planck_ljp: every valence must be nonzero")
    d = np.broadcast_to(np.asarray(mobility, dtype=float), (n, k))
    T = np.broadcast_to(np.asarray(temperature_K, dtype=float), (n,))
    present = (cp.sum(-1) > 0) & (cb.sum(-1) > 0)
    psi = np.full(n, np.nan)
    converged = np.zeros(n, dtype=bool)
    iterations = np.zeros(n, dtype=np.int64)
    residual = np.full(n, np.nan)
    # The equations are homogeneous in the concentrations: scaling both solutions
    # to a mean ionic strength of 1 keeps every matrix norm of order 1.
    z2 = (z * z).astype(float)
    total = cp @ z2 + cb @ z2
    scale = 2.0 / np.where(total > 0, total, 1.0)
    cp, cb = cp * scale[:, None], cb * scale[:, None]
    ok = np.flatnonzero(present)
    for start in range(0, ok.size, block_size):
        rows = ok[start : start + block_size]
        block = _Junctions(cp[rows], cb[rows], z, d[rows])
        with np.errstate(all="ignore"):
            u, conv, it, res = _newton(block, block.guess(), tol, max_iter, True)
            conv[conv] = block.physical(u[conv], np.flatnonzero(conv))
            hard = np.flatnonzero(~conv)
            if hard.size:
                sub = rows[hard]
                uh, ch, ih, rh = _continuation(cp[sub], cb[sub], z, d[sub], tol)
                u[hard[ch]], conv[hard], res[hard] = uh[ch], ch, rh
                it[hard] += ih
        psi[rows], converged[rows] = u[:, 0], conv
        iterations[rows], residual[rows] = it, res
    return NernstPlanckSolution(
        ljp_mV=_rt_over_f_mV(T) * psi,
        converged=converged,
        iterations=iterations,
        residual=residual,
    )


# ----------------------------------------------------------------- the full call
@dataclass(frozen=True)
class LJPResult:
    """Liquid junction potentials of n junctions and what they were computed from.

    Attributes
    ----------
    ljp_mV : numpy.ndarray, shape (n,)
        :math:`\\phi_{bath} - \\phi_{pipette}`, [mV]; NaN where Nernst-Planck did
        not converge (see ``converged``).
    method : str
        ``"nernst-planck"`` or ``"henderson"``.
    temperature_K : numpy.ndarray, shape (n,)
        Absolute temperature, [K].
    ions : tuple of str
        Charged ions used, one per column (canonical symbols).
    valence : numpy.ndarray of int, shape (k,)
        Charge numbers, [-].
    pipette_mM, bath_mM : numpy.ndarray, shape (n, k)
        Concentrations used, after any adjustment (unit as given: mM or mmol/kg).
    mobility_rel_K : numpy.ndarray, shape (k,)
        Mobilities relative to K+ (all the potential depends on), [-].
    diffusion_m2_per_s : numpy.ndarray, shape (n, k)
        Diffusion coefficients at each junction's temperature (Walden's rule), [m^2/s].
    mobility_sources : dict
        Symbol -> source of its mobility.
    adjusted_ion : str or None
        Ion whose concentration was changed to make the solutions electroneutral.
    pipette_adjustment_mM, bath_adjustment_mM : numpy.ndarray, shape (n,)
        Concentration added to ``adjusted_ion`` (negative: removed); 0 where none.
    ignored : tuple of str
        Neutral solutes given, which carry no charge and do not enter.
    converged, iterations, residual : numpy.ndarray, shape (n,)
        Solver report (Henderson: all converged, 0 iterations, residual 0).
    sign_convention : str
        :data:`SIGN_CONVENTION`.
    activity_model : str or None
        Activity model of an activity-corrected Nernst-Planck result; None: ideal.
    """

    ljp_mV: np.ndarray
    method: str
    temperature_K: np.ndarray
    ions: tuple[str, ...]
    valence: np.ndarray
    pipette_mM: np.ndarray
    bath_mM: np.ndarray
    mobility_rel_K: np.ndarray
    diffusion_m2_per_s: np.ndarray
    mobility_sources: dict[str, str]
    adjusted_ion: str | None
    pipette_adjustment_mM: np.ndarray
    bath_adjustment_mM: np.ndarray
    ignored: tuple[str, ...]
    converged: np.ndarray
    iterations: np.ndarray
    residual: np.ndarray
    sign_convention: str = SIGN_CONVENTION
    activity_model: str | None = None

    def corrected_vm(self, vm_measured_mV):
        """Return ``vm_measured_mV - ljp_mV`` (see :func:`corrected_vm`)."""
        return corrected_vm(vm_measured_mV, self.ljp_mV)


def corrected_vm(vm_measured_mV, ljp_mV):
    """Membrane potential corrected for the liquid junction potential, [mV].

    Parameters
    ----------
    vm_measured_mV : float or array_like
        Potential read with the amplifier zeroed in the bath (whole-cell), [mV].
    ljp_mV : float or array_like
        :math:`\\phi_{bath} - \\phi_{pipette}` (:data:`SIGN_CONVENTION`), [mV].

    Returns
    -------
    numpy.ndarray
        :math:`V_m = V_{measured} - V_L`, [mV].

    Examples
    --------
    >>> float(corrected_vm(-60.0, 15.9))
    -75.9
    """
    return np.asarray(vm_measured_mV, dtype=float) - np.asarray(ljp_mV, dtype=float)


def _columns(pipette, bath, ions):
    """Return (symbols, pipette (n, k), bath (n, k)) from mappings or arrays."""
    if isinstance(pipette, Mapping) != isinstance(bath, Mapping):
        raise TypeError("give pipette and bath both as mappings or both as arrays")
    if isinstance(pipette, Mapping):
        if ions is not None:
            raise TypeError("ions= is only for array input")
        sides = []
        for what, comp in (("pipette", pipette), ("bath", bath)):
            named: dict[str, object] = {}
            for name, value in comp.items():
                symbol = lookup(name).symbol
                if symbol in named:
                    raise ValueError(f"{symbol} appears twice in the {what}")
                named[symbol] = value
            sides.append(named)
        symbols = list(dict.fromkeys([*sides[0], *sides[1]]))
        cols = [
            [np.asarray(side.get(s, 0.0), dtype=float) for s in symbols]
            for side in sides
        ]
        shape = np.broadcast_shapes(*(c.shape for c in cols[0] + cols[1]))
        if len(shape) > 1:
            raise ValueError("mapping values must be numbers or 1-D arrays")
        n = shape[0] if shape else 1
        cp = np.column_stack([np.broadcast_to(c, (n,)) for c in cols[0]])
        cb = np.column_stack([np.broadcast_to(c, (n,)) for c in cols[1]])
        return symbols, cp, cb
    if ions is None:
        raise TypeError("array input needs ions=[...] naming its columns")
    symbols = [lookup(name).symbol for name in ions]
    dupes = sorted({s for s in symbols if symbols.count(s) > 1})
    if dupes:
        raise ValueError(f"ions repeated: {', '.join(dupes)}")
    cp = np.atleast_2d(np.asarray(pipette, dtype=float))
    cb = np.atleast_2d(np.asarray(bath, dtype=float))
    if cp.shape[-1] != len(symbols) or cb.shape[-1] != len(symbols):
        raise ValueError(
            f"pipette and bath need {len(symbols)} columns (one per ion), got "
            f"{cp.shape[-1]} and {cb.shape[-1]}"
        )
    cp, cb = np.broadcast_arrays(cp, cb)
    return symbols, cp.copy(), cb.copy()


def _neutralise(what, c, z, adjust_col, adjust_name):
    """Check electroneutrality; adjust one column if allowed. Returns the change."""
    charge = c @ z
    total = c @ np.abs(z)
    bad = np.abs(charge) > CHARGE_TOLERANCE * total + 1e-12
    delta = np.zeros(c.shape[0])
    if not bad.any():
        return delta
    rows = np.flatnonzero(bad)
    if adjust_col is None:
        first = rows[0]
        cations = c[first] @ np.where(z > 0, z, 0.0)
        raise ElectroneutralityError(
            what, charge[rows], rows, cations, cations - charge[first]
        )
    delta[rows] = -charge[rows] / z[adjust_col]
    new = c[rows, adjust_col] + delta[rows]
    if np.any(new < 0):
        first = rows[np.argmax(new < 0)]
        where = "" if c.shape[0] == 1 else f" (junction #{first})"
        raise ValueError(
            f"{what}{where} cannot be made electroneutral by adjusting "
            f"{adjust_name}: its net charge {charge[first]:+.6g} mM would need "
            f"{adjust_name} = {c[first, adjust_col] + delta[first]:.6g} mM"
        )
    c[rows, adjust_col] = new
    return delta


def liquid_junction_potential(
    pipette, bath, temperature_K, *, ions=None, method=DEFAULT_METHOD, adjust=None,
    mobilities=None, activity_model=None,
) -> LJPResult:  # fmt: skip
    r"""Liquid junction potential between pipette and bath solutions.

    Parameters
    ----------
    pipette, bath : mapping or array_like
        Either mappings ion -> concentration (a number, or a 1-D array over
        junctions), e.g. ``{"K+": 145, "gluconate": 145}``; or arrays of shape
        (n, k) (or (k,)) with ``ions`` naming the columns. Concentrations in mM (any
        one unit: only ratios enter), 0 where an ion is absent; an ion missing from
        one mapping is 0 there. Neutral solutes are accepted and ignored.
    temperature_K : float or array_like, shape (n,)
        Absolute temperature, [K], within :data:`TEMPERATURE_RANGE_K`.
    ions : sequence of str, optional
        Column names for array input (any registry spelling).
    method : str
        ``"nernst-planck"`` (default) or ``"henderson"``.
    adjust : str, optional
        Ion whose concentration is changed, in each solution that is not
        electroneutral, by :math:`-\sum_i z_i c_i / z_{adjust}`; the change is
        reported (``pipette_adjustment_mM``, ``bath_adjustment_mM``). Without it a
        solution that is not electroneutral is an :class:`ElectroneutralityError`.
    mobilities : mapping, optional
        Ion -> mobility relative to K+, replacing or adding to the table.
    activity_model : str, optional
        With ``method="nernst-planck"``: ions driven by their activity gradients,
        activity coefficients from this model at the local ionic strength
        (:mod:`iongrad.physics.ljp_activity`: ``davies``, ``debye-huckel``,
        ``extended-debye-huckel``, ``truesdell-jones``). One junction at a time
        (a collocation solve each), so meant for single calculations.

    Returns
    -------
    LJPResult

    Raises
    ------
    iongrad.ions.UnknownIonError
        An ion name the registry does not know (with close matches).
    MobilityError
        An ion without a mobility (with close matches).
    ElectroneutralityError
        A solution with net charge, naming it, and no ``adjust``.
    ValueError
        Negative or non-finite concentrations, a solution without ions, a
        temperature outside :data:`TEMPERATURE_RANGE_K`, an unknown method.

    Examples
    --------
    A K-gluconate pipette (K+ 145, Na+ 13, Cl- 10, gluconate 145, Mg2+ 1, HEPES- 5)
    against an ACSF-like bath (Na+ 145, K+ 2.8, Cl- 148.8, Mg2+ 2, Ca2+ 1, HEPES- 5)
    at 20 degC, the set of the JPCalc example in AxoBits 39 (JPCalc: +15.6 mV):

    >>> pip = {"K+": 145, "Na+": 13, "Cl-": 10, "gluconate": 145, "Mg2+": 1,
    ...        "HEPES": 5}
    >>> bath = {"Na+": 145, "K+": 2.8, "Cl-": 148.8, "Mg2+": 2, "Ca2+": 1,
    ...         "HEPES": 5}
    >>> res = liquid_junction_potential(pip, bath, 293.15)
    >>> round(float(res.ljp_mV[0]), 2), res.method
    (16.05, 'nernst-planck')
    >>> hend = liquid_junction_potential(pip, bath, 293.15, method="henderson")
    >>> round(float(hend.ljp_mV[0]), 2)
    15.61
    >>> float(res.corrected_vm(-60.0)[0]) < -75
    True

    Without HEPES- both solutions carry 5 mM of excess cation charge:

    >>> del pip["HEPES"], bath["HEPES"]
    >>> liquid_junction_potential(pip, bath, 293.15)
    Traceback (most recent call last):
    ...
    iongrad.physics.ljp.ElectroneutralityError: pipette is not electroneutral: ...
    >>> res = liquid_junction_potential(pip, bath, 293.15, adjust="Cl-")
    >>> res.adjusted_ion, float(res.pipette_adjustment_mM[0])
    ('Cl-', 5.0)
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; expected one of {METHODS}")
    if activity_model is not None and method != "nernst-planck":
        raise ValueError(
            "activity_model corrects the nernst-planck method only (the Henderson "
            "equation assumes linear concentration profiles, not activities)"
        )
    symbols, cp, cb = _columns(pipette, bath, ions)
    for what, c in (("pipette", cp), ("bath", cb)):
        if not np.all(np.isfinite(c)) or np.any(c < 0):
            raise ValueError(f"{what} concentrations must be finite and >= 0")
    n = cp.shape[0]
    T = np.broadcast_to(np.asarray(temperature_K, dtype=float), (n,)).copy()
    lo, hi = TEMPERATURE_RANGE_K
    if not np.all((lo <= T) & (hi >= T)):
        raise ValueError(
            f"temperature must be within {lo:.2f}-{hi:.2f} K (liquid water, 0-100 degC)"
        )
    valence = np.array([lookup(s).valence for s in symbols], dtype=np.int64)

    adjusted = None
    if adjust is not None:
        adjusted = lookup(adjust).symbol
        if lookup(adjusted).valence == 0:
            raise ValueError(f"cannot adjust {adjusted}: it carries no charge")
        if adjusted not in symbols:
            symbols.append(adjusted)
            valence = np.append(valence, lookup(adjusted).valence)
            cp = np.column_stack([cp, np.zeros(n)])
            cb = np.column_stack([cb, np.zeros(n)])
    zf = valence.astype(float)
    col = symbols.index(adjusted) if adjusted else None
    d_pip = _neutralise("pipette", cp, zf, col, adjusted)
    d_bath = _neutralise("bath", cb, zf, col, adjusted)

    charged = (valence != 0) & ((cp > 0).any(axis=0) | (cb > 0).any(axis=0))
    ignored = tuple(s for s, z in zip(symbols, valence, strict=True) if z == 0)
    keep = np.flatnonzero(charged)
    symbols = [symbols[j] for j in keep]
    valence, cp, cb = valence[keep], cp[:, keep], cb[:, keep]
    for what, c in (("pipette", cp), ("bath", cb)):
        empty = np.flatnonzero(c.sum(axis=1) <= 0)
        if empty.size:
            raise ValueError(f"{what} of junction #{empty[0]} contains no ions")

    custom = {lookup(k).symbol: float(v) for k, v in (mobilities or {}).items()}
    for name, value in custom.items():
        if not (math.isfinite(value) and value > 0):
            raise ValueError(f"mobility of {name} must be finite and > 0")
    u_rel = np.empty(len(symbols))
    sources: dict[str, str] = {}
    for j, s in enumerate(symbols):
        if s in custom:
            u_rel[j], sources[s] = custom[s], "caller-supplied (relative to K+)"
        else:
            entry = mobility(s)
            u_rel[j], sources[s] = entry.mobility_rel_K, entry.source
    d_k = ion_mobility_table()["K+"].diffusion_25C_m2_per_s
    diffusion = d_k * u_rel[None, :] * walden_factor(T)[:, None]

    if method == "henderson":
        ljp = henderson_ljp(
            c_pipette=cp, c_bath=cb, valence=valence, mobility=u_rel, temperature_K=T
        )
        converged = np.ones(n, dtype=bool)
        iterations = np.zeros(n, dtype=np.int64)
        residual = np.zeros(n)
    else:
        sol = nernst_planck_ljp(
            c_pipette=cp, c_bath=cb, valence=valence, mobility=u_rel, temperature_K=T
        )
        ljp = np.where(sol.converged, sol.ljp_mV, np.nan)
        converged, iterations, residual = sol.converged, sol.iterations, sol.residual
        if activity_model is not None:
            ljp, converged = _with_activities(
                activity_model, symbols, cp, cb, valence, u_rel, T, ljp
            )
    return LJPResult(
        ljp_mV=ljp,
        method=method,
        temperature_K=T,
        ions=tuple(symbols),
        valence=valence,
        pipette_mM=cp,
        bath_mM=cb,
        mobility_rel_K=u_rel,
        diffusion_m2_per_s=diffusion,
        mobility_sources=sources,
        adjusted_ion=adjusted,
        pipette_adjustment_mM=d_pip,
        bath_adjustment_mM=d_bath,
        ignored=ignored,
        converged=converged,
        iterations=iterations,
        residual=residual,
        activity_model=activity_model,
    )


def _with_activities(model, symbols, cp, cb, valence, u_rel, T, ideal):
    """Activity-corrected potentials of each junction (NaN where not converged)."""
    ljp = np.full(len(T), np.nan)
    converged = np.zeros(len(T), dtype=bool)
    for n in range(len(T)):
        if not np.isfinite(ideal[n]):
            continue
        ln_gamma = ln_gamma_of_ionic_strength(model, symbols, float(T[n]))
        ljp[n], converged[n] = nernst_planck_activity_ljp(
            c_pipette=cp[n], c_bath=cb[n], valence=valence, mobility=u_rel,
            temperature_K=float(T[n]), ln_gamma=ln_gamma, ideal_ljp_mV=ideal[n],
        )  # fmt: skip
    return ljp, converged
