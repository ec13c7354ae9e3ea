r"""Physical constants and temperature conversions, defined once for all of iongrad.

Every formula in :mod:`iongrad` takes its constants from this module. The gas constant
and the Faraday constant are exact since the 2019 redefinition of the SI (they are
products of the exact constants :math:`N_A`, :math:`k` and :math:`e`); they are taken
from :mod:`scipy.constants` and checked against those products at import time.

References
----------
.. [1] BIPM, *The International System of Units (SI)*, 9th ed., 2019, Table 1.
.. [2] E. Tiesinga et al., "CODATA recommended values of the fundamental physical
   constants: 2018", Rev. Mod. Phys. 93, 025010 (2021). doi:10.1103/RevModPhys.93.025010
"""

from __future__ import annotations

import numpy as np
import scipy
import scipy.constants as _sc

__all__ = [
    "CODATA_SOURCE",
    "MV_PER_V",
    "ZERO_CELSIUS_K",
    "F",
    "R",
    "celsius_to_kelvin",
    "constants_record",
    "kelvin_to_celsius",
    "thermal_voltage_mV",
]

#: Molar gas constant R = N_A k, [J mol^-1 K^-1] (exact, SI 2019).
R: float = float(_sc.R)
#: Faraday constant F = N_A e, [C mol^-1] (exact, SI 2019).
F: float = float(_sc.physical_constants["Faraday constant"][0])
#: 0 degC expressed in kelvin, [K] (exact by definition).
ZERO_CELSIUS_K: float = float(_sc.zero_Celsius)
#: Millivolts per volt.
MV_PER_V: float = 1000.0
#: Which constants set the values come from.
CODATA_SOURCE: str = f"SI 2019 exact (R = N_A k, F = N_A e), scipy {scipy.__version__}"

# Guard against a SciPy that rounds the exact products (both must hold to the last bit).
if not np.isclose(R, _sc.N_A * _sc.k, rtol=1e-15, atol=0.0):  # pragma: no cover
    raise RuntimeError(f"scipy.constants.R={R!r} is not N_A*k={_sc.N_A * _sc.k!r}")
if not np.isclose(F, _sc.N_A * _sc.e, rtol=1e-15, atol=0.0):  # pragma: no cover
    raise RuntimeError(f"Faraday constant {F!r} is not N_A*e={_sc.N_A * _sc.e!r}")


def celsius_to_kelvin(t_C):
    r"""Convert a Celsius temperature to kelvin.

    Parameters
    ----------
    t_C : float or array_like
        Temperature, [degC].

    Returns
    -------
    float or numpy.ndarray
        Absolute temperature :math:`T = t + 273.15`, [K].

    Examples
    --------
    >>> float(celsius_to_kelvin(37.0))
    310.15
    """
    return np.asarray(t_C, dtype=float) + ZERO_CELSIUS_K


def kelvin_to_celsius(T_K):
    r"""Convert an absolute temperature to degrees Celsius.

    Parameters
    ----------
    T_K : float or array_like
        Absolute temperature, [K].

    Returns
    -------
    float or numpy.ndarray
        Temperature :math:`t = T - 273.15`, [degC].

    Examples
    --------
    >>> float(kelvin_to_celsius(273.15))
    0.0
    """
    return np.asarray(T_K, dtype=float) - ZERO_CELSIUS_K


def thermal_voltage_mV(T_K):
    r"""Thermal voltage RT/F in millivolts.

    Parameters
    ----------
    T_K : float or array_like
        Absolute temperature, [K].

    Returns
    -------
    float or numpy.ndarray
        :math:`V_T = 1000\,RT/F`, [mV] (25.69 mV at 298.15 K).

    Examples
    --------
    >>> round(float(thermal_voltage_mV(298.15)), 4)
    25.6926
    """
    return np.asarray(T_K, dtype=float) * (R / F * MV_PER_V)


def constants_record() -> dict[str, float | str]:
    """Return the constants in force, for provenance records and reports."""
    return {
        "R_J_per_mol_K": R,
        "F_C_per_mol": F,
        "zero_celsius_K": ZERO_CELSIUS_K,
        "source": CODATA_SOURCE,
    }
