r"""Pump-leak steady state: the active fluxes that balance the passive GHK leaks.

A living cell is not at equilibrium: Na+ leaks in and K+ leaks out through their
channels, and the Na+/K+-ATPase pumps them back (3 Na+ out per 2 K+ in). In a
steady state the active flux of every ion equals minus its passive flux. Given the
concentrations, the membrane potential and the permeabilities, :func:`pump_leak`
returns those fluxes and the Na+/K+ ratio they imply, to compare with the pump's
3:2 stoichiometry; :func:`mullins_noda_potential` is the resting potential of a
cell whose pump runs at a given ratio. Per sample of a measurement table
(:mod:`iongrad.tables.ghk`) the balance needs Na+ and K+ with both concentrations and
a permeability, a membrane potential and a complete sample, else ``pump_status``
says what is missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from iongrad.constants import thermal_voltage_mV
from iongrad.physics.ghk import ghk_flux

__all__ = [
    "NA_K_STOICHIOMETRY",
    "PumpLeakResult",
    "mullins_noda_potential",
    "pump_leak",
]

#: Na+/K+-ATPase stoichiometry: 3 Na+ out per 2 K+ in (Post & Jolly 1957).
NA_K_STOICHIOMETRY: float = 1.5


@dataclass(frozen=True)
class PumpLeakResult:
    """Passive and active fluxes of a pump-leak steady state.

    Attributes
    ----------
    passive_flux : numpy.ndarray, shape (n, k)
        GHK leak flux per ion, outward positive, [mol m^-2 s^-1] for P in m/s
        (P_K x mM for relative permeabilities).
    active_flux : numpy.ndarray, shape (n, k)
        Active (pump) flux that balances it, :math:`-J_{passive}`, outward positive.
    na_out, k_in : numpy.ndarray, shape (n,)
        Active Na+ extrusion and K+ uptake (NaN when the ion is not given).
    na_k_ratio : numpy.ndarray, shape (n,)
        ``na_out / k_in``, [-]; 1.5 for a 3:2 pump.
    """

    passive_flux: np.ndarray
    active_flux: np.ndarray
    na_out: np.ndarray
    k_in: np.ndarray
    na_k_ratio: np.ndarray


def _column(ions: Sequence[str], symbol: str) -> int | None:
    return list(ions).index(symbol) if symbol in ions else None


def pump_leak(
    *, c_in, c_out, valence, permeability, vm_mV, temperature_K, ions: Sequence[str]
) -> PumpLeakResult:
    r"""Active fluxes that hold each ion in steady state against its GHK leak.

    Parameters
    ----------
    c_in, c_out : array_like, shape (n, k)
        Concentrations per sample and ion, [mM].
    valence : array_like of int, shape (k,) or (n, k)
        Charge numbers, [-].
    permeability : array_like, shape (n, k) or (k,)
        Permeabilities, [m s^-1], or relative to P_K (fluxes then in P_K x mM).
    vm_mV : array_like, shape (n,)
        Membrane potential :math:`\phi_{in} - \phi_{out}`, [mV].
    temperature_K : array_like, shape (n,)
        Absolute temperature, [K].
    ions : sequence of str, length k
        Canonical symbols of the columns (``"Na+"`` and ``"K+"`` give the ratio).

    Returns
    -------
    PumpLeakResult
        Passive and active flux per ion; Na+ extrusion, K+ uptake and their ratio.

    Notes
    -----
    Passive (GHK) flux, outward positive (:func:`iongrad.physics.ghk.ghk_flux`):

    .. math:: J_i = P_i\left[c_{in,i}\,\varphi(z_i v) - c_{out,i}\,\varphi(-z_i v)
              \right], \quad v = F V_m/RT, \quad \varphi(y) = y/(1 - e^{-y}).

    Steady state: :math:`J^{active}_i = -J_i`. The pump ratio is
    :math:`(-J_{Na}) / J_{K}` (Na+ pumped out per K+ pumped in), compared with the
    Na+/K+-ATPase's 3:2 (:data:`NA_K_STOICHIOMETRY`). A negative ratio means one of
    the leaks runs "uphill" at this Vm (e.g. Vm beyond E_K), so no Na+/K+ pump can
    balance both. Ions other than Na+ and K+ (Cl-) get their balancing flux too;
    whether a transporter provides it is outside this model.

    References
    ----------
    .. [1] D. C. Tosteson and J. F. Hoffman, "Regulation of cell volume by active
       cation transport in high and low potassium sheep red cells", J. Gen.
       Physiol. 44, 169-194 (1960).
    .. [2] R. L. Post and P. C. Jolly, Biochim. Biophys. Acta 25, 118-128 (1957)
       (3 Na+ : 2 K+).
    .. [3] B. Hille, *Ion Channels of Excitable Membranes*, 3rd ed., Sinauer, 2001,
       ch. 14.

    Examples
    --------
    Squid axon at Vm = -62.3 mV, 20 degC (relative permeabilities):

    >>> res = pump_leak(c_in=[[400.0, 50.0, 40.0]], c_out=[[20.0, 440.0, 560.0]],
    ...                 valence=[1, 1, -1], permeability=[1.0, 0.04, 0.45],
    ...                 vm_mV=[-62.3], temperature_K=[293.15],
    ...                 ions=["K+", "Na+", "Cl-"])
    >>> round(float(res.na_k_ratio[0]), 2)
    1.25
    """
    c_in = np.array(c_in, dtype=float, ndmin=2)
    n = c_in.shape[0]
    vm = np.broadcast_to(np.asarray(vm_mV, dtype=float), (n,))[:, None]
    T = np.broadcast_to(np.asarray(temperature_K, dtype=float), (n,))[:, None]
    P = np.broadcast_to(np.asarray(permeability, dtype=float), c_in.shape)
    with np.errstate(invalid="ignore", over="ignore"):
        passive = ghk_flux(
            c_in=c_in, c_out=c_out, valence=valence, permeability=P,
            vm_mV=vm, temperature_K=T,
        )  # fmt: skip
    passive = np.where(P == 0, 0.0, passive)
    active = -passive
    jn, jk = _column(ions, "Na+"), _column(ions, "K+")
    na_out = active[:, jn] if jn is not None else np.full(n, np.nan)
    k_in = -active[:, jk] if jk is not None else np.full(n, np.nan)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ratio = np.where(k_in != 0, na_out / k_in, np.nan)
    return PumpLeakResult(
        passive_flux=passive, active_flux=active, na_out=na_out, k_in=k_in,
        na_k_ratio=ratio,
    )  # fmt: skip


def mullins_noda_potential(
    *,
    c_in,
    c_out,
    permeability,
    ions: Sequence[str],
    temperature_K,
    pump_ratio: float = NA_K_STOICHIOMETRY,
):
    r"""Steady-state potential of a cell with an electrogenic Na+/K+ pump.

    Parameters
    ----------
    c_in, c_out : array_like, shape (n, k)
        Concentrations per sample and ion, [mM].
    permeability : array_like, shape (n, k) or (k,)
        Permeabilities (absolute or relative; only P_Na/P_K enters), [m s^-1] or [-].
    ions : sequence of str, length k
        Canonical symbols of the columns; ``"Na+"`` and ``"K+"`` are used.
    temperature_K : array_like, shape (n,)
        Absolute temperature, [K].
    pump_ratio : float
        Na+ extruded per K+ taken up, r (1.5 for 3:2), [-].

    Returns
    -------
    numpy.ndarray, shape (n,)
        :math:`V_m`, [mV]; NaN when Na+ or K+ is missing.

    Notes
    -----
    .. math:: V_m = \frac{RT}{F}\ln\frac{r P_K [K]_o + P_{Na} [Na]_o}
                                        {r P_K [K]_i + P_{Na} [Na]_i}

    for Na+ and K+ in steady state (active fluxes in ratio r) with any other ions
    (Cl-) passively distributed; natural log; r = 1 gives the Na/K GHK equation.

    References
    ----------
    .. [1] L. J. Mullins and K. Noda, "The influence of sodium-free solutions on
       the membrane potential of frog muscle fibers", J. Gen. Physiol. 47, 117-132
       (1963).

    Examples
    --------
    >>> vm = mullins_noda_potential(c_in=[[400.0, 50.0]], c_out=[[20.0, 440.0]],
    ...                             permeability=[1.0, 0.04], ions=["K+", "Na+"],
    ...                             temperature_K=[293.15])
    >>> round(float(vm[0]), 1)
    -64.1
    """
    c_in = np.array(c_in, dtype=float, ndmin=2)
    c_out = np.broadcast_to(np.asarray(c_out, dtype=float), c_in.shape)
    P = np.broadcast_to(np.asarray(permeability, dtype=float), c_in.shape)
    n = c_in.shape[0]
    jn, jk = _column(ions, "Na+"), _column(ions, "K+")
    if jn is None or jk is None:
        return np.full(n, np.nan)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        num = pump_ratio * P[:, jk] * c_out[:, jk] + P[:, jn] * c_out[:, jn]
        den = pump_ratio * P[:, jk] * c_in[:, jk] + P[:, jn] * c_in[:, jn]
        return thermal_voltage_mV(temperature_K) * np.log(num / den)
