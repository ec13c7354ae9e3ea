r"""Properties of liquid water that activity models need, as functions of temperature.

Debye-Hueckel theory needs the relative permittivity (dielectric constant) and the
density of the solvent. Both are taken from closed-form fits to measurements:

* relative permittivity: Malmberg & Maryott (1956), 0-100 degC;
* density: Kell (1975), 0-150 degC at 1 atm.

From them follow the Debye-Hueckel constants :math:`A` (log10 basis), :math:`B`
(per angstrom) and the Pitzer/Debye-Hueckel osmotic constant :math:`A_\phi` (natural
log basis). All functions take absolute temperature in kelvin and are vectorized.
The fundamental constants come from :mod:`iongrad.constants` (R, F) and
:mod:`scipy.constants` (N_A, epsilon_0); the elementary charge and Boltzmann constant
are derived as e = F/N_A and k = R/N_A, so nothing is redefined here.

The stated validity range of the Debye-Hueckel constants here is
:data:`DH_TEMPERATURE_RANGE_K` (0-100 degC, the range of the permittivity fit).
"""

from __future__ import annotations

import numpy as np
import scipy.constants as _sc

from iongrad.constants import ZERO_CELSIUS_K, F, R

__all__ = [
    "DH_TEMPERATURE_RANGE_K",
    "debye_huckel_A",
    "debye_huckel_A_phi",
    "debye_huckel_B",
    "water_density_kg_m3",
    "water_relative_permittivity",
]

#: Temperature range of the Malmberg & Maryott (1956) permittivity fit, [K]
#: (0-100 degC); the Debye-Hueckel constants inherit it.
DH_TEMPERATURE_RANGE_K: tuple[float, float] = (ZERO_CELSIUS_K, ZERO_CELSIUS_K + 100.0)

_N_A = float(_sc.N_A)
_EPS0 = float(_sc.epsilon_0)
_E = F / _N_A  # elementary charge, [C]
_K_B = R / _N_A  # Boltzmann constant, [J/K]


def water_relative_permittivity(T_K):
    r"""Relative permittivity (dielectric constant) of liquid water at 1 atm.

    Parameters
    ----------
    T_K : float or array_like
        Absolute temperature, [K].

    Returns
    -------
    float or numpy.ndarray
        :math:`\varepsilon_r`, [-].

    Notes
    -----
    .. math::
        \varepsilon_r = 87.740 - 0.40008\,t + 9.398\times10^{-4}\,t^2
        - 1.410\times10^{-6}\,t^3

    with :math:`t` in degC. Valid 0-100 degC (the fitted range); outside it the
    polynomial is evaluated anyway and callers flag the temperature.

    References
    ----------
    .. [1] C. G. Malmberg and A. A. Maryott, "Dielectric constant of water from 0 to
       100 C", J. Res. Natl. Bur. Stand. 56, 1-8 (1956), eq. 6.
       doi:10.6028/jres.056.001

    Examples
    --------
    >>> round(float(water_relative_permittivity(298.15)), 2)
    78.3
    """
    t = np.asarray(T_K, dtype=float) - ZERO_CELSIUS_K
    return 87.740 + t * (-0.40008 + t * (9.398e-4 - 1.410e-6 * t))


def water_density_kg_m3(T_K):
    r"""Density of air-free liquid water at 1 atm.

    Parameters
    ----------
    T_K : float or array_like
        Absolute temperature, [K].

    Returns
    -------
    float or numpy.ndarray
        :math:`\rho_w`, [kg m^-3].

    Notes
    -----
    .. math::
        \rho_w = \frac{999.83952 + 16.945176\,t - 7.9870401\times10^{-3}t^2
        - 46.170461\times10^{-6}t^3 + 105.56302\times10^{-9}t^4
        - 280.54253\times10^{-12}t^5}{1 + 16.879850\times10^{-3}\,t}

    with :math:`t` in degC. Valid 0-150 degC.

    References
    ----------
    .. [1] G. S. Kell, "Density, thermal expansivity, and compressibility of liquid
       water from 0 to 150 C", J. Chem. Eng. Data 20, 97-105 (1975), eq. 16.
       doi:10.1021/je60064a005

    Examples
    --------
    >>> round(float(water_density_kg_m3(298.15)), 3)
    997.045
    """
    t = np.asarray(T_K, dtype=float) - ZERO_CELSIUS_K
    num = 999.83952 + t * (
        16.945176
        + t
        * (-7.9870401e-3 + t * (-46.170461e-6 + t * (105.56302e-9 - 280.54253e-12 * t)))
    )
    return num / (1.0 + 16.879850e-3 * t)


def _bjerrum_factor(T_K):
    """Return (e^2 / (4 pi eps0 eps_r k T) [m], rho_w [kg/m^3])."""
    T = np.asarray(T_K, dtype=float)
    eps = water_relative_permittivity(T)
    with np.errstate(divide="ignore", invalid="ignore"):
        length = _E**2 / (4.0 * np.pi * _EPS0 * eps * _K_B * T)
    return length, water_density_kg_m3(T)


def debye_huckel_A_phi(T_K):
    r"""Debye-Hueckel osmotic coefficient constant :math:`A_\phi` (natural-log basis).

    Parameters
    ----------
    T_K : float or array_like
        Absolute temperature, [K].

    Returns
    -------
    float or numpy.ndarray
        :math:`A_\phi`, [kg^1/2 mol^-1/2].

    Notes
    -----
    .. math::
        A_\phi = \frac{1}{3}\sqrt{2\pi N_A \rho_w}
        \left(\frac{e^2}{4\pi\varepsilon_0\varepsilon_r k T}\right)^{3/2}

    with :math:`\rho_w` from :func:`water_density_kg_m3` and :math:`\varepsilon_r`
    from :func:`water_relative_permittivity`. This is the constant of the Pitzer
    equations (0.3921 at 25 degC here; 0.3915 in Archer & Wang 1990, whose
    permittivity differs in the fourth digit). Valid 0-100 degC.

    References
    ----------
    .. [1] K. S. Pitzer, "Ion interaction approach", in *Activity Coefficients in
       Electrolyte Solutions*, 2nd ed., CRC Press, 1991, ch. 3, eq. 3 and Table 1.

    Examples
    --------
    >>> round(float(debye_huckel_A_phi(298.15)), 4)
    0.3921
    """
    length, rho = _bjerrum_factor(T_K)
    return np.sqrt(2.0 * np.pi * _N_A * rho) * length**1.5 / 3.0


def debye_huckel_A(T_K):
    r"""Debye-Hueckel constant :math:`A` for :math:`\log_{10}\gamma` on the molal scale.

    Parameters
    ----------
    T_K : float or array_like
        Absolute temperature, [K].

    Returns
    -------
    float or numpy.ndarray
        :math:`A`, [kg^1/2 mol^-1/2] (log10 basis).

    Notes
    -----
    .. math:: A = \frac{3 A_\phi}{\ln 10}
        = \frac{\sqrt{2\pi N_A \rho_w}}{\ln 10}
        \left(\frac{e^2}{4\pi\varepsilon_0\varepsilon_r k T}\right)^{3/2}

    so that the limiting law reads :math:`\log_{10}\gamma_i = -A z_i^2\sqrt{I}`.
    0.5108 at 25 degC and 0.5215 at 37 degC. Valid 0-100 degC.

    References
    ----------
    .. [1] R. A. Robinson and R. H. Stokes, *Electrolyte Solutions*, 2nd rev. ed.,
       Butterworths, 1959, ch. 4, eq. 4.27 and Appendix 7.1.

    Examples
    --------
    >>> round(float(debye_huckel_A(298.15)), 4), round(float(debye_huckel_A(310.15)), 4)
    (0.5108, 0.5215)
    """
    return 3.0 * debye_huckel_A_phi(T_K) / np.log(10.0)


def debye_huckel_B(T_K):
    r"""Debye-Hueckel constant :math:`B` (inverse Debye length per root ionic strength).

    Parameters
    ----------
    T_K : float or array_like
        Absolute temperature, [K].

    Returns
    -------
    float or numpy.ndarray
        :math:`B`, [angstrom^-1 kg^1/2 mol^-1/2].

    Notes
    -----
    .. math:: B = \sqrt{\frac{2 N_A \rho_w e^2}{\varepsilon_0\varepsilon_r k T}}
        \times 10^{-10}\ \mathrm{m/angstrom}

    so that :math:`\kappa = B\sqrt{I}` and the extended law has :math:`1 + B a \sqrt I`
    with the ion size :math:`a` in angstrom. 0.3287 at 25 degC. Valid 0-100 degC.

    References
    ----------
    .. [1] R. A. Robinson and R. H. Stokes, *Electrolyte Solutions*, 2nd rev. ed.,
       Butterworths, 1959, ch. 4, eq. 4.14 and Appendix 7.1.

    Examples
    --------
    >>> round(float(debye_huckel_B(298.15)), 4)
    0.3287
    """
    T = np.asarray(T_K, dtype=float)
    eps = water_relative_permittivity(T)
    rho = water_density_kg_m3(T)
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa2 = 2.0 * _N_A * rho * _E**2 / (_EPS0 * eps * _K_B * T)
    return np.sqrt(kappa2) * 1e-10


# ----------------------------------------------------------------- viscosity
__all__ += ["water_viscosity_Pa_s"]  # appended with the function below

#: IAPWS 2008 reference constants: T* = 647.096 K, rho* = 322.0 kg/m^3, mu* = 1 uPa s.
_IAPWS_T_STAR = 647.096
_IAPWS_RHO_STAR = 322.0
_IAPWS_MU_STAR = 1.0e-6
#: IAPWS 2008 eq. (11): H_i of the dilute-gas term.
_IAPWS_H0 = np.array([1.67752, 2.20462, 0.6366564, -0.241605])
#: IAPWS 2008 eq. (12): (i, j, H_ij) of the finite-density term, with i the power
#: of (1/T_bar - 1) and j the power of (rho_bar - 1).
_IAPWS_H1 = (
    (0, 0, 5.20094e-1),
    (1, 0, 8.50895e-2),
    (2, 0, -1.08374),
    (3, 0, -2.89555e-1),
    (0, 1, 2.22531e-1),
    (1, 1, 9.99115e-1),
    (2, 1, 1.88797),
    (3, 1, 1.26613),
    (5, 1, 1.20573e-1),
    (0, 2, -2.81378e-1),
    (1, 2, -9.06851e-1),
    (2, 2, -7.72479e-1),
    (3, 2, -4.89837e-1),
    (4, 2, -2.57040e-1),
    (0, 3, 1.61913e-1),
    (1, 3, 2.57399e-1),
    (0, 4, -3.25372e-2),
    (3, 4, 6.98452e-2),
    (4, 5, 8.72102e-3),
    (3, 6, -4.35673e-3),
    (5, 6, -5.93264e-4),
)


def water_viscosity_Pa_s(T_K, density_kg_m3=None):
    r"""Dynamic viscosity of liquid water (IAPWS 2008 formulation).

    Parameters
    ----------
    T_K : float or array_like
        Absolute temperature, [K].
    density_kg_m3 : float or array_like, optional
        Density, [kg m^-3]; default :func:`water_density_kg_m3` (air-free water at
        1 atm, Kell 1975), which makes this the viscosity at atmospheric pressure.

    Returns
    -------
    float or numpy.ndarray
        :math:`\mu`, [Pa s] (0.890 mPa s at 25 degC).

    Notes
    -----
    .. math::
        \bar\mu = \bar\mu_0(\bar T)\,\bar\mu_1(\bar T, \bar\rho), \qquad
        \bar\mu_0 = \frac{100\sqrt{\bar T}}{\sum_{i=0}^{3} H_i/\bar T^{\,i}}, \qquad
        \bar\mu_1 = \exp\Big[\bar\rho \sum_{i,j} H_{ij}
        \big(\tfrac{1}{\bar T} - 1\big)^i (\bar\rho - 1)^j\Big]

    with :math:`\bar T = T/647.096` K, :math:`\bar\rho = \rho/322` kg m^-3 and
    :math:`\mu = 10^{-6}\,\bar\mu` Pa s. The critical-enhancement factor
    (:math:`\bar\mu_2`) is negligible away from the critical point and is omitted,
    which the release allows outside the critical region. Huber et al. give the
    formulation's uncertainty as below 1 % to 7 % depending on the state point.

    References
    ----------
    .. [1] IAPWS, *Release on the IAPWS Formulation 2008 for the Viscosity of Ordinary
       Water Substance* (2008), eqs. (11)-(12); M. L. Huber et al., "New
       international formulation for the viscosity of H2O", J. Phys. Chem. Ref.
       Data (2009). doi:10.1063/1.3088050

    Examples
    --------
    At 298.15 K and 998 kg/m^3 the formulation gives 889.7351 uPa s:

    >>> round(float(water_viscosity_Pa_s(298.15, 998.0)) * 1e6, 6)
    889.7351
    >>> round(float(water_viscosity_Pa_s(293.15)) * 1e3, 4)
    1.0016
    """
    T = np.asarray(T_K, dtype=float)
    rho = water_density_kg_m3(T) if density_kg_m3 is None else density_kg_m3
    tb = T / _IAPWS_T_STAR
    rb = np.asarray(rho, dtype=float) / _IAPWS_RHO_STAR
    mu0 = 100.0 * np.sqrt(tb) / sum(h / tb**i for i, h in enumerate(_IAPWS_H0))
    x, y = 1.0 / tb - 1.0, rb - 1.0
    mu1 = np.exp(rb * sum(h * x**i * y**j for i, j, h in _IAPWS_H1))
    return mu0 * mu1 * _IAPWS_MU_STAR
