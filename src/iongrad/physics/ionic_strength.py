r"""Ionic strength and the molar-to-molal conversion used by the activity models.

Activity models work on the molal scale (mol per kg of water). Lab tables give
millimolar (mmol per litre of solution) more often than mmol/kg; the conversion
here uses the documented *dilute-solution assumption*: one litre of solution holds
:math:`\rho_w(T)` kilograms of water, i.e. the solutes' own volume is neglected.
For 150 mM NaCl the neglected solute volume is about 2.5 mL per litre, so molality
is underestimated by about 0.25 % (ionic strength alike); the effect on
log gamma is about 0.1 % of its value and on an activity-corrected Nernst potential
well below 0.01 mV, because the same factor applies to both compartments.
"""

from __future__ import annotations

import numpy as np

from iongrad.physics.water import water_density_kg_m3

__all__ = [
    "DILUTE_ASSUMPTION",
    "ionic_strength",
    "ionic_strength_grouped",
    "molar_to_molal",
]

#: One-line statement of the molar -> molal assumption, for outputs and reports.
DILUTE_ASSUMPTION = (
    "molal = molar / rho_water(T): dilute-solution assumption "
    "(solute volume neglected; Kell 1975 water density)"
)


def molar_to_molal(c_mM, T_K):
    r"""Convert millimolar to molal under the dilute-solution assumption.

    Parameters
    ----------
    c_mM : array_like
        Concentration, [mmol L^-1 of solution] (= mol m^-3).
    T_K : array_like
        Absolute temperature, [K].

    Returns
    -------
    numpy.ndarray
        Molality :math:`m = c / \rho_w(T)`, [mol kg^-1 of water].

    Notes
    -----
    .. math:: m\,[\mathrm{mol\,kg^{-1}}] = \frac{c\,[\mathrm{mol\,m^{-3}}]}
        {\rho_w(T)\,[\mathrm{kg\,m^{-3}}]}

    with :math:`\rho_w` from :func:`iongrad.physics.water.water_density_kg_m3` (Kell
    1975).
    Exact for infinitely dilute solutions; underestimates m by roughly the solute
    volume fraction (0.25 % for 150 mM NaCl).

    Examples
    --------
    >>> round(float(molar_to_molal(150.0, 310.15)), 5)
    0.15101
    """
    return np.asarray(c_mM, dtype=float) / water_density_kg_m3(T_K)


def ionic_strength(molality, valence):
    r"""Ionic strength of solutions given as a molality matrix.

    Parameters
    ----------
    molality : array_like, shape (..., k)
        Molality of each of k species, [mol/kg].
    valence : array_like of int, shape (k,)
        Charge numbers, [-]; neutral species (z = 0) do not contribute.

    Returns
    -------
    numpy.ndarray
        :math:`I = \tfrac12 \sum_i m_i z_i^2`, [mol/kg], shape (...).

    References
    ----------
    .. [1] G. N. Lewis and M. Randall, J. Am. Chem. Soc. 43, 1112-1154 (1921).

    Examples
    --------
    >>> round(float(ionic_strength([0.1, 0.2], [2, -1])), 12)
    0.3
    """
    z = np.asarray(valence, dtype=float)
    return 0.5 * (np.asarray(molality, dtype=float) @ (z * z))


def ionic_strength_grouped(group, molality, valence, n_groups=None):
    r"""Ionic strength per group from long-format rows (one row per species).

    Parameters
    ----------
    group : array_like of int, shape (r,)
        Group code per row in ``0..n_groups-1`` (a solution: sample x compartment).
    molality : array_like, shape (r,)
        Molality of the row's species, [mol/kg]. NaN rows are skipped (not
        measured); callers flag them.
    valence : array_like of int, shape (r,)
        Charge number of the row's species, [-].
    n_groups : int, optional
        Number of groups (default: ``max(group) + 1``).

    Returns
    -------
    numpy.ndarray
        :math:`I_g = \tfrac12\sum_{i \in g} m_i z_i^2`, [mol/kg], shape (n_groups,).

    Examples
    --------
    >>> ionic_strength_grouped([0, 0, 1], [0.1, 0.1, 0.05], [1, -1, 2]).tolist()
    [0.1, 0.1]
    """
    group = np.asarray(group, dtype=np.int64)
    m = np.asarray(molality, dtype=float)
    z = np.asarray(valence, dtype=float)
    weights = np.where(np.isnan(m), 0.0, 0.5 * m * z * z)
    return np.bincount(group, weights=weights, minlength=n_groups or 0)
