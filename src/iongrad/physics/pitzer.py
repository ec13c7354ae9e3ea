r"""Pitzer ion-interaction model in the Harvie-Moller-Weare (HMW) mixture form.

Activity coefficients of every ion in a multicomponent solution from binary
cation-anion parameters (:math:`\beta^{(0)}, \beta^{(1)}, \beta^{(2)}, C^\phi`),
like-charge mixing parameters :math:`\theta` (with the unsymmetrical
higher-order electrostatic term :math:`{}^E\theta`) and triplet parameters
:math:`\psi`. Vectorized over solutions: the inputs are an ``(n, k)`` molality
matrix for ``k`` ions; the only Python loops run over ion pairs, never over rows.

The parameter tables ship as ``iongrad/data/pitzer_binary.csv``,
``pitzer_theta.csv`` and ``pitzer_psi.csv``; every row carries its reference. A
parameter at temperature :math:`T` is :math:`P(T) = P(25\,^\circ C) +
(\partial P/\partial T)(T - 298.15\,K)` where a first derivative is published
(NaCl and KCl, Silvester & Pitzer 1979); elsewhere the 25 degC value is used and
:func:`iongrad.physics.activity.activity_coefficients` notes which pairs rely on such
constant parameters. NaCl and KCl use the 25 degC terms of PHREEQC's ``pitzer.dat``
(they reproduce Robinson & Stokes' gamma_pm at 1 mol/kg to 0.001, and PHREEQC to
0.002 over 20-40 degC); the other salts use Pitzer & Mayorga (1973) / Harvie, Moller
& Weare (1984).

Single-ion activity coefficients from these equations are *unscaled*; the MacInnes
convention is applied on top by :mod:`iongrad.physics.activity`.

References
----------
.. [1] C. E. Harvie, N. Moller and J. H. Weare, "The prediction of mineral
   solubilities in natural waters: the Na-K-Mg-Ca-H-Cl-SO4-OH-HCO3-CO3-CO2-H2O system
   to high ionic strengths at 25 C", Geochim. Cosmochim. Acta 48, 723-751 (1984),
   eqs. A1-A8. doi:10.1016/0016-7037(84)90098-X
.. [2] K. S. Pitzer, "Ion interaction approach: theory and data correlation", in
   *Activity Coefficients in Electrolyte Solutions*, 2nd ed., CRC Press, 1991, ch. 3.
.. [3] K. S. Pitzer, "Thermodynamics of electrolytes. V. Effects of higher-order
   electrostatic terms", J. Solution Chem. 4, 249-265 (1975); J0 by Harvie's
   Chebyshev method as given in [2], pp. 124-125, Table B-1.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np

from iongrad.ions import lookup
from iongrad.physics.water import debye_huckel_A_phi

__all__ = [
    "PITZER_B",
    "PITZER_MAX_IONIC_STRENGTH",
    "PITZER_TEMPERATURE_RANGE_K",
    "T_REF_K",
    "PitzerCoverage",
    "binary_pairs",
    "pitzer_coverage",
    "pitzer_ions",
    "pitzer_ln_gamma",
    "pitzer_mean_activity_coefficient",
    "pitzer_salt_range",
]

#: Universal Pitzer parameter b, [kg^1/2 mol^-1/2] (Pitzer 1991, ch. 3).
PITZER_B: float = 1.2
#: Reference temperature of the parameter tables, [K].
T_REF_K: float = 298.15
#: Stated ionic-strength range of the HMW84 parameter set, [mol/kg]: the model was
#: fitted "to high ionic strengths" up to about 6 mol/kg (Harvie et al. 1984).
PITZER_MAX_IONIC_STRENGTH: float = 6.0
#: Temperature range iongrad states for the Pitzer model, [K]: 25 degC parameters
#: with first derivatives used within +/-25 K of 25 degC (0-50 degC).
PITZER_TEMPERATURE_RANGE_K: tuple[float, float] = (273.15, 323.15)

_BINARY_FIELDS = ("beta0", "beta1", "beta2", "C_phi")


def _num(text: str) -> float:
    return float(text) if text.strip() else 0.0


@cache
def _tables():
    """Load the three parameter tables (cached): binary, theta, psi dicts."""
    base = resources.files("iongrad") / "data"
    binary: dict[tuple[str, str], dict[str, float]] = {}
    with (base / "pitzer_binary.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            key = (lookup(row["cation"]).symbol, lookup(row["anion"]).symbol)
            entry = {f: _num(row[f]) for f in _BINARY_FIELDS}
            entry.update({f"d{f}_dT": _num(row[f"d{f}_dT"]) for f in _BINARY_FIELDS})
            entry["has_dT"] = any(row[f"d{f}_dT"].strip() for f in _BINARY_FIELDS)
            entry["alpha1"] = _num(row["alpha1"])
            entry["alpha2"] = _num(row["alpha2"])
            entry["max_molality"] = _num(row["max_molality"])
            binary[key] = entry
    theta: dict[frozenset, tuple[float, float]] = {}
    with (base / "pitzer_theta.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            a, b = lookup(row["ion_1"]).symbol, lookup(row["ion_2"]).symbol
            theta[frozenset((a, b))] = (_num(row["theta"]), _num(row["dtheta_dT"]))
    psi: dict[tuple[frozenset, str], tuple[float, float]] = {}
    with (base / "pitzer_psi.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            a, b = lookup(row["ion_1"]).symbol, lookup(row["ion_2"]).symbol
            common = lookup(row["common_ion"]).symbol
            psi[(frozenset((a, b)), common)] = (_num(row["psi"]), _num(row["dpsi_dT"]))
    return binary, theta, psi


def binary_pairs() -> list[tuple[str, str]]:
    """Return the (cation, anion) pairs with binary parameters, in file order."""
    return list(_tables()[0])


def pitzer_ions() -> list[str]:
    """Return every ion that has at least one binary Pitzer parameter set."""
    ions: dict[str, None] = {}
    for cation, anion in binary_pairs():
        ions[cation] = None
        ions[anion] = None
    return list(ions)


@dataclass(frozen=True)
class PitzerCoverage:
    """Which ions and pairs of a composition the parameter tables cover.

    Attributes
    ----------
    unknown_ions : tuple of str
        Charged ions with no binary parameters at all (their gamma is undefined).
    missing_pairs : tuple of (str, str)
        Cation-anion pairs among covered ions without binary parameters (their
        interaction is zero in the model).
    constant_T_pairs : tuple of (str, str)
        Pairs whose parameters have no published temperature derivative (the
        25 degC values are used at every temperature).
    """

    unknown_ions: tuple[str, ...]
    missing_pairs: tuple[tuple[str, str], ...]
    constant_T_pairs: tuple[tuple[str, str], ...]


def pitzer_coverage(ions) -> PitzerCoverage:
    """Report parameter coverage for a set of canonical ion symbols.

    Examples
    --------
    >>> pitzer_coverage(["Na+", "Cl-", "gluconate-"]).unknown_ions
    ('gluconate-',)
    """
    binary = _tables()[0]
    known = set(pitzer_ions())
    z = {s: lookup(s).valence for s in ions}
    unknown = tuple(s for s in ions if z[s] != 0 and s not in known)
    cations = [s for s in ions if z[s] > 0 and s in known]
    anions = [s for s in ions if z[s] < 0 and s in known]
    missing = tuple((c, a) for c in cations for a in anions if (c, a) not in binary)
    const = tuple(
        (c, a)
        for c in cations
        for a in anions
        if (c, a) in binary and not binary[(c, a)]["has_dT"]
    )
    return PitzerCoverage(unknown, missing, const)


def pitzer_salt_range(molality, ions) -> tuple[np.ndarray, np.ndarray]:
    r"""Whether every salt of each solution is inside its fitted molality range.

    Parameters
    ----------
    molality : array_like, shape (n, k)
        Molality of each ion, [mol/kg].
    ions : sequence of str, length k
        Canonical ion symbols.

    Returns
    -------
    in_range : numpy.ndarray of bool, shape (n,)
        No cation-anion pair with binary parameters exceeds the ``max_molality`` of
        ``pitzer_binary.csv`` (the highest molality of the data the parameters were
        fitted to; a blank limit is no limit).
    notes : numpy.ndarray of str, shape (n,)
        The salts beyond their range, their molality and the limit ('' if none).

    Notes
    -----
    A salt's molality in a mixture is the most of it its ions can form,
    :math:`\min(m_M/\nu_M, m_X/\nu_X)` with the salt's stoichiometry
    (:math:`\nu_M z_M = \nu_X |z_X|`): the molality of a single-salt solution, and
    in a mixture an upper bound on what the salt contributes.

    Examples
    --------
    >>> ok, notes = pitzer_salt_range([[3.0, 3.0]], ["Na+", "HCO3-"])
    >>> bool(ok[0]), str(notes[0]).split(": ")[1]
    (False, 'Na+/HCO3- at 3 mol/kg (max_molality 1 mol/kg)')
    """
    binary = _tables()[0]
    m = np.atleast_2d(np.asarray(molality, dtype=float))
    ions = [lookup(s).symbol for s in ions]
    z = [lookup(s).valence for s in ions]
    over_texts: list[np.ndarray] = []
    in_range = np.ones(m.shape[0], dtype=bool)
    for i, cation in enumerate(ions):
        for j, anion in enumerate(ions):
            p = binary.get((cation, anion)) if z[i] > 0 > z[j] else None
            if p is None or not p["max_molality"] > 0:
                continue
            g = math.gcd(z[i], -z[j])
            salt = np.minimum(m[:, i] / (-z[j] // g), m[:, j] / (z[i] // g))
            over = salt > p["max_molality"]
            in_range &= ~over
            text = np.full(m.shape[0], "", dtype=object)
            if over.any():
                amount = np.array([f"{v:.4g}" for v in salt[over]], dtype=object)
                text[over] = (
                    f"{cation}/{anion} at "
                    + amount
                    + f" mol/kg (max_molality {p['max_molality']:g} mol/kg)"
                )
            over_texts.append(text)
    notes = np.full(m.shape[0], "", dtype=object)
    for text in over_texts:
        notes = np.where(
            text == "", notes, np.where(notes == "", text, notes + ", " + text)
        )
    head = "Pitzer parameters used beyond the molality they were fitted to: "
    return in_range, np.where(notes == "", "", head + notes).astype(object)


def _g(x):
    r"""Pitzer's :math:`g(x) = 2[1 - (1 + x)e^{-x}]/x^2` (callers avoid x = 0)."""
    return 2.0 * (1.0 - (1.0 + x) * np.exp(-x)) / (x * x)


def _g_prime(x):
    r""":math:`g'(x) = -2[1 - (1 + x + x^2/2)e^{-x}]/x^2`."""
    return -2.0 * (1.0 - (1.0 + x + 0.5 * x * x) * np.exp(-x)) / (x * x)


_J_C = (4.581, 0.7237, 0.0120, 0.528)

# Chebyshev coefficients of Harvie's method, Pitzer (1991) ch. 3, Table B-1 (as
# transcribed in pytzer's unsymmetrical.py): akI for x <= 1, akII for x > 1.
_HARVIE_AK_I = (
    1.925154014814667, -0.060076477753119, -0.029779077456514, -0.007299499690937,
    0.000388260636404, 0.000636874599598, 0.000036583601823, -0.000045036975204,
    -0.000004537895710, 0.000002937706971, 0.000000396566462, -0.000000202099617,
    -0.000000025267769, 0.000000013522610, 0.000000001229405, -0.000000000821969,
    -0.000000000050847, 0.000000000046333, 0.000000000001943, -0.000000000002563,
    -0.000000000010991,
)  # fmt: skip
_HARVIE_AK_II = (
    0.628023320520852, 0.462762985338493, 0.150044637187895, -0.028796057604906,
    -0.036552745910311, -0.001668087945272, 0.006519840398744, 0.001130378079086,
    -0.000887171310131, -0.000242107641309, 0.000087294451594, 0.000034682122751,
    -0.000004583768938, -0.000003548684306, -0.000000250453880, 0.000000216991779,
    0.000000080779570, 0.000000004558555, -0.000000006944757, -0.000000002849257,
    0.000000000237816,
)  # fmt: skip


def _J0_J1_P75(x):
    r"""Pitzer (1975) eq. 47 fit of :math:`J_0(x)` and :math:`J_1 = dJ_0/dx`.

    .. math:: J_0(x) = \frac{x}{4 + C_1 x^{-C_2}\exp(-C_3 x^{C_4})}

    with C = (4.581, 0.7237, 0.0120, 0.528); accurate to about 1 % of J0 (x > 0).
    Kept as an independent cross-check of :func:`_J0_J1`.
    """
    c1, c2, c3, c4 = _J_C
    lx = np.log(x)
    x_c4 = np.exp(c4 * lx)
    e = c1 * np.exp(-c2 * lx - c3 * x_c4)
    d = 4.0 + e
    j0 = x / d
    j1 = (4.0 + e * (1.0 + c2 + c3 * c4 * x_c4)) / (d * d)
    return j0, j1


def _J0_J1(x):
    r"""Unsymmetrical-mixing integral :math:`J_0(x)` and :math:`J_1 = dJ_0/dx`.

    Harvie's Chebyshev method (Pitzer 1991, ch. 3, pp. 124-125, eqs. B-21 to B-30),
    as in PHREEQC: for :math:`x \le 1`, :math:`z = 4x^{1/5} - 2`; otherwise
    :math:`z = (40/9)x^{-1/10} - 22/9`; Clenshaw recursion
    :math:`b_k = z b_{k+1} - b_{k+2} + a_k`, :math:`d_k = b_{k+1} + z d_{k+1} -
    d_{k+2}`; :math:`J_0 = x/4 - 1 + (b_0 - b_2)/2`,
    :math:`J_1 = 1/4 + (dz/dx)(d_0 - d_2)/2`. Vectorized (the loop runs over the
    21 coefficients); x > 0 required.
    """
    x = np.asarray(x, dtype=float)
    low = x <= 1.0
    z = np.where(low, 4.0 * x**0.2 - 2.0, 40.0 / 9.0 * x**-0.1 - 22.0 / 9.0)
    dz = np.where(low, 0.8 * x**-0.8, -4.0 / 9.0 * x**-1.1)
    b0 = b1 = b2 = d0 = d1 = d2 = np.zeros_like(x)
    for a_lo, a_hi in zip(reversed(_HARVIE_AK_I), reversed(_HARVIE_AK_II), strict=True):
        b2, b1 = b1, b0
        d2, d1 = d1, d0
        b0 = z * b1 - b2 + np.where(low, a_lo, a_hi)
        d0 = b1 + z * d1 - d2
    j0 = 0.25 * x - 1.0 + 0.5 * (b0 - b2)
    j1 = 0.25 + 0.5 * dz * (d0 - d2)
    return j0, j1


def _at_T(value: float, deriv: float, dT):
    """Parameter at temperature: P25 + dP/dT (T - 298.15); a scalar when constant."""
    return value + deriv * dT if deriv else value


def pitzer_ln_gamma(molality, ions, temperature_K):
    r"""Natural-log single-ion activity coefficients from the HMW Pitzer equations.

    Parameters
    ----------
    molality : array_like, shape (n, k)
        Molality of each ion in each solution, [mol/kg water]. Zero is allowed (the
        trace activity coefficient of that ion is returned).
    ions : sequence of str, length k
        Canonical ion symbols (:func:`iongrad.ions.lookup`), one per column.
    temperature_K : float or array_like, shape (n,)
        Absolute temperature, [K].

    Returns
    -------
    ln_gamma : numpy.ndarray, shape (n, k)
        :math:`\ln\gamma_i` on the molal scale, unscaled convention, [-] (natural
        log). Columns of ions without any binary parameter are NaN (see
        :func:`pitzer_coverage`); neutral species (z = 0) get 0.
    ionic_strength : numpy.ndarray, shape (n,)
        :math:`I = \tfrac12\sum_i m_i z_i^2`, [mol/kg].

    Notes
    -----
    For a cation M (anions X by exchanging the roles of cations c and anions a):

    .. math::
        \ln\gamma_M = z_M^2 F + \sum_a m_a (2B_{Ma} + Z C_{Ma})
        + \sum_c m_c \Big(2\Phi_{Mc} + \sum_a m_a \psi_{Mca}\Big)
        + \sum_{a<a'} m_a m_{a'} \psi_{Maa'}
        + |z_M| \sum_c\sum_a m_c m_a C_{ca}

    .. math::
        F = -A_\phi\Big[\frac{\sqrt I}{1 + b\sqrt I} + \frac2b \ln(1 + b\sqrt I)\Big]
        + \sum_c\sum_a m_c m_a B'_{ca}
        + \sum_{c<c'} m_c m_{c'} \Phi'_{cc'} + \sum_{a<a'} m_a m_{a'} \Phi'_{aa'}

    with :math:`Z = \sum_i m_i|z_i|`, :math:`b = 1.2`,
    :math:`B = \beta^{(0)} + \beta^{(1)} g(\alpha_1\sqrt I) + \beta^{(2)}
    g(\alpha_2\sqrt I)`, :math:`B' = [\beta^{(1)} g'(\alpha_1\sqrt I) + \beta^{(2)}
    g'(\alpha_2\sqrt I)]/I`, :math:`C = C^\phi / (2\sqrt{|z_c z_a|})`,
    :math:`\Phi = \theta + {}^E\theta(I)`, :math:`\Phi' = {}^E\theta'(I)` (Pitzer
    1975, with :math:`J_0` by Harvie's Chebyshev method), and :math:`A_\phi` from
    :func:`iongrad.physics.water.debye_huckel_A_phi`. Valid up to
    :data:`PITZER_MAX_IONIC_STRENGTH`; at I = 0 every ln gamma is 0.

    References
    ----------
    .. [1] Harvie, Moller & Weare 1984, Geochim. Cosmochim. Acta 48:723, eqs. A1-A8.
    .. [2] Pitzer 1991, *Activity Coefficients in Electrolyte Solutions*, ch. 3.

    Examples
    --------
    1 mol/kg NaCl at 25 degC (published mean activity coefficient 0.657, Robinson &
    Stokes 1959, App. 8.10):

    >>> import numpy as np
    >>> lg, I = pitzer_ln_gamma([[1.0, 1.0]], ["Na+", "Cl-"], 298.15)
    >>> round(float(np.exp(lg.mean())), 4), float(I[0])
    (0.6565, 1.0)
    """
    ions = [lookup(s).symbol for s in ions]
    m = np.atleast_2d(np.asarray(molality, dtype=float))
    k = m.shape[1]
    if k != len(ions):
        raise ValueError(f"molality has {k} columns but {len(ions)} ions were given")
    # Far beyond the parameters' range (molalities ~ 1e27) the terms overflow: ln
    # gamma comes out inf or NaN, which the callers report (activity_valid, the
    # Nernst status); numpy's warnings would only repeat it.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return _ln_gamma(m, ions, temperature_K)


def _ln_gamma(m, ions, temperature_K):
    """The body of :func:`pitzer_ln_gamma` (canonical ``ions``, 2-D ``m``)."""
    binary, theta_tab, psi_tab = _tables()
    n, k = m.shape
    T = np.broadcast_to(np.asarray(temperature_K, dtype=float), (n,)).astype(float)
    dT = T - T_REF_K
    z = np.array([lookup(s).valence for s in ions], dtype=float)

    I = 0.5 * (m @ (z * z))  # noqa: E741
    Z = m @ np.abs(z)
    pos = I > 0
    Is = np.where(pos, I, 1.0)  # safe denominators; zero-I rows are reset below
    sI = np.sqrt(Is)
    A_phi = debye_huckel_A_phi(T)

    # Pair and triplet terms accumulate column by column (each an (n,) vector op);
    # the Python loops run over ion pairs and triplets only, never over rows.
    cols = [np.ascontiguousarray(m[:, i]) for i in range(k)]
    ln_cols = [np.zeros(n) for _ in range(k)]
    F_extra = np.zeros(n)  # sum m_c m_a B'_ca + sum m_i m_j Phi'_ij
    sum_mmC = np.zeros(n)  # sum_c sum_a m_c m_a C_ca
    g_cache: dict[float, tuple[np.ndarray, np.ndarray]] = {}

    def g_pair(alpha: float):
        if alpha not in g_cache:
            x = alpha * sI
            g_cache[alpha] = (_g(x), _g_prime(x) / Is)
        return g_cache[alpha]

    j_cache: dict[float, tuple[np.ndarray, np.ndarray]] = {}

    def j_of(zz: float):
        if zz not in j_cache:
            x = 6.0 * zz * A_phi * sI
            j0, j1 = _J0_J1(x)
            j_cache[zz] = (j0, x * j1)
        return j_cache[zz]

    for i in range(k):
        for j in range(i + 1, k):
            zi, zj = z[i], z[j]
            if zi * zj < 0:  # cation-anion pair
                c, a = (i, j) if zi > 0 else (j, i)
                p = binary.get((ions[c], ions[a]))
                if p is None:
                    continue
                b0 = _at_T(p["beta0"], p["dbeta0_dT"], dT)
                b1 = _at_T(p["beta1"], p["dbeta1_dT"], dT)
                cphi = _at_T(p["C_phi"], p["dC_phi_dT"], dT)
                g1, g1p = g_pair(p["alpha1"])
                bij = b0 + b1 * g1
                bpij = b1 * g1p
                if p["beta2"] or p["dbeta2_dT"]:
                    b2 = _at_T(p["beta2"], p["dbeta2_dT"], dT)
                    g2, g2p = g_pair(p["alpha2"])
                    bij = bij + b2 * g2
                    bpij = bpij + b2 * g2p
                cij = cphi / (2.0 * math.sqrt(abs(zi * zj)))
                mm = cols[c] * cols[a]
                F_extra += mm * bpij
                sum_mmC += mm * cij
                term = 2.0 * bij + Z * cij
                ln_cols[c] += cols[a] * term
                ln_cols[a] += cols[c] * term
            elif zi * zj > 0:  # like-sign pair: mixing terms
                th, dth = theta_tab.get(frozenset((ions[i], ions[j])), (0.0, 0.0))
                phi = _at_T(th, dth, dT)
                if zi != zj:
                    jij, xj1ij = j_of(zi * zj)
                    jii, xj1ii = j_of(zi * zi)
                    jjj, xj1jj = j_of(zj * zj)
                    zz = zi * zj
                    e_theta = zz / (4.0 * Is) * (jij - 0.5 * jii - 0.5 * jjj)
                    e_theta_p = -e_theta / Is + zz / (8.0 * Is * Is) * (
                        xj1ij - 0.5 * xj1ii - 0.5 * xj1jj
                    )
                    phi = phi + e_theta
                    F_extra += cols[i] * cols[j] * e_theta_p
                elif not (th or dth):
                    continue
                ln_cols[i] += 2.0 * cols[j] * phi
                ln_cols[j] += 2.0 * cols[i] * phi

    # Triplets (i, j like-sign; c the common ion of the other sign):
    # psi_ijc adds m_j m_c to ln g_i, m_i m_c to ln g_j and m_i m_j to ln g_c.
    index = {s: idx for idx, s in enumerate(ions)}
    for (pair, common), (value, deriv) in psi_tab.items():
        a, b = tuple(pair)
        if a in index and b in index and common in index and (value or deriv):
            ia, ib, ic = index[a], index[b], index[common]
            psi = _at_T(value, deriv, dT)
            ln_cols[ia] += cols[ib] * cols[ic] * psi
            ln_cols[ib] += cols[ia] * cols[ic] * psi
            ln_cols[ic] += cols[ia] * cols[ib] * psi

    bsI = PITZER_B * sI
    f_gamma = -A_phi * (sI / (1.0 + bsI) + 2.0 / PITZER_B * np.log1p(bsI))
    F = f_gamma + F_extra
    ln_g = np.empty((n, k))
    for i in range(k):
        ln_g[:, i] = ln_cols[i] + z[i] * z[i] * F + abs(z[i]) * sum_mmC
    ln_g[~pos] = 0.0
    ln_g[:, z == 0] = 0.0
    known = set(pitzer_ions())
    for idx, s in enumerate(ions):
        if z[idx] != 0 and s not in known:
            ln_g[:, idx] = np.nan
    return ln_g, I


def pitzer_mean_activity_coefficient(cation, anion, molality, temperature_K):
    r"""Mean activity coefficient :math:`\gamma_\pm` of one salt from the Pitzer model.

    Parameters
    ----------
    cation, anion : str
        Ion names (any registry spelling).
    molality : float or array_like
        Molality of the salt, [mol/kg]; the ions are at :math:`\nu_M m` and
        :math:`\nu_X m` with :math:`\nu_M z_M = \nu_X |z_X|` the smallest integers.
    temperature_K : float or array_like
        Absolute temperature, [K].

    Returns
    -------
    numpy.ndarray
        :math:`\gamma_\pm = (\gamma_M^{\nu_M}\gamma_X^{\nu_X})^{1/\nu}`, [-]
        (convention-independent).

    Examples
    --------
    >>> g = pitzer_mean_activity_coefficient("K+", "Cl-", 1.0, 298.15)
    >>> round(float(g[0]), 3)  # published 0.604 (Robinson & Stokes 1959)
    0.604
    """
    zc, za = lookup(cation).valence, lookup(anion).valence
    gcd = math.gcd(zc, -za)
    nu_c, nu_a = -za // gcd, zc // gcd
    mol = np.atleast_1d(np.asarray(molality, dtype=float))
    mat = np.column_stack([nu_c * mol, nu_a * mol])
    ln_g, _ = pitzer_ln_gamma(mat, [cation, anion], temperature_K)
    return np.exp((nu_c * ln_g[:, 0] + nu_a * ln_g[:, 1]) / (nu_c + nu_a))
