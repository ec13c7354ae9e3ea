r"""Osmotic pressure of an osmolality difference (van 't Hoff, ideal dilute solution).

A Donnan equilibrium leaves more osmotically active particles on the side of the
impermeant species; :func:`osmotic_pressure_kPa` turns that imbalance into the
hydrostatic pressure that would balance it. One formula, used by
:mod:`iongrad.physics.donnan` and anything else that reports an osmotic imbalance.
Per sample of a measurement table (:mod:`iongrad.tables.donnan`) the imbalance is
taken at the Donnan equilibrium and needs what that needs (``osmotic_status``).
"""

from __future__ import annotations

import numpy as np

from iongrad.constants import R

__all__ = ["WATER_KG_PER_L", "osmotic_imbalance_mOsm_kg", "osmotic_pressure_kPa"]

#: Mass of water per litre assumed when an osmolality (per kg of water) stands in for
#: an osmolarity (per litre of solution) in the dilute limit, [kg L^-1].
WATER_KG_PER_L: float = 1.0


def osmotic_pressure_kPa(delta_osmolality_mOsm_kg, temperature_K):
    r"""Van 't Hoff osmotic pressure of an osmolality difference.

    Parameters
    ----------
    delta_osmolality_mOsm_kg : array_like
        Difference in total solute particle concentration between two compartments,
        [mOsm kg^-1] (mmol of particles per kg of water). Positive means the first
        compartment is hyperosmotic and water would flow into it.
    temperature_K : array_like
        Absolute temperature, [K].

    Returns
    -------
    numpy.ndarray
        Osmotic pressure difference, [kPa]; same sign as the input.

    Notes
    -----
    .. math:: \Delta\Pi = R\,T\,\rho_w\,\Delta m

    with :math:`\Delta m` in mol kg^-1, :math:`\rho_w` = :data:`WATER_KG_PER_L`
    (1 kg L^-1 = 1000 kg m^-3) and R the exact SI 2019 gas constant. This is the ideal
    dilute-solution limit (osmotic coefficient 1, osmolality taken equal to
    osmolarity): at physiological strength the osmotic coefficient of NaCl is about
    0.93 and water's density 0.993-1.000 kg/L, so the result is an upper estimate
    good to about 7 %. No log is involved. 1 mOsm/kg at 37 degC is 2.58 kPa
    (19.3 mmHg).

    References
    ----------
    .. [1] J. H. van 't Hoff, "Die Rolle des osmotischen Druckes in der Analogie
       zwischen Lösungen und Gasen", Z. Phys. Chem. 1, 481-508 (1887).
    .. [2] W. F. Boron and E. L. Boulpaep, *Medical Physiology*, 3rd ed., Elsevier,
       2017, ch. 5 ("Osmotic pressure", eq. 5-17).

    Examples
    --------
    >>> round(float(osmotic_pressure_kPa(1.0, 310.15)), 3)
    2.579
    """
    delta = np.asarray(delta_osmolality_mOsm_kg, dtype=float)
    T = np.asarray(temperature_K, dtype=float)
    # mOsm/kg * kg/L = mmol/L = mol/m^3; R T [J/mol] * mol/m^3 = Pa; /1000 -> kPa.
    with np.errstate(over="ignore", invalid="ignore"):  # inf/NaN: callers' status
        return R * T * (delta * WATER_KG_PER_L) / 1000.0


def osmotic_imbalance_mOsm_kg(*, c_in, c_out, impermeant_in=0.0, impermeant_out=0.0):
    r"""Ideal osmolality difference inside minus outside, summed over species.

    Parameters
    ----------
    c_in, c_out : array_like, shape (..., k)
        Concentrations of the permeant species on each side, [mM] (read as mmol/kg
        in the dilute limit) or [mmol/kg]; NaN counts as 0 (absent).
    impermeant_in, impermeant_out : array_like, shape (...)
        Particle concentration of impermeant species on each side (not their
        charge), [mM] or [mmol/kg].

    Returns
    -------
    numpy.ndarray, shape (...)
        :math:`\Delta = (\sum_i c_{in,i} + c_{A,in}) - (\sum_i c_{out,i} +
        c_{A,out})`, [mOsm/kg]; positive when the inside is hyperosmotic.

    Notes
    -----
    Ideal solution: every dissolved particle counts once (osmotic coefficient 1, no
    ion pairing). Use :func:`osmotic_pressure_kPa` for the pressure.

    Examples
    --------
    KCl Donnan example: 161.8 K+ and 61.8 Cl- with 100 impermeant anions inside,
    100/100 outside:

    >>> d = osmotic_imbalance_mOsm_kg(c_in=[161.8, 61.8], c_out=[100.0, 100.0],
    ...                               impermeant_in=100.0)
    >>> round(float(d), 6)
    123.6
    """
    # Sums beyond float range give inf or NaN (inf - inf), not a warning: the
    # callers report a non-finite imbalance in their status.
    with np.errstate(over="ignore", invalid="ignore"):
        inside = np.nansum(np.asarray(c_in, dtype=float), axis=-1)
        outside = np.nansum(np.asarray(c_out, dtype=float), axis=-1)
        return (inside + np.asarray(impermeant_in, dtype=float)) - (
            outside + np.asarray(impermeant_out, dtype=float)
        )
