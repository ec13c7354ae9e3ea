r"""Nernst equilibrium potentials, driving forces and flux/current directions.

All functions are vectorized over numpy arrays (scalars broadcast), take keyword-only
arguments so ``c_in`` and ``c_out`` cannot be swapped by position, and never raise for
physically undefined rows: those get NaN or +/-inf plus an ``int8`` status code whose
label (:data:`STATUS_LABELS`) and reason (:data:`STATUS_REASONS`) say why.

Sign conventions (DESIGN.md): :math:`V_m = \phi_{in} - \phi_{out}`; driving force
:math:`DF = V_m - E`; conventional current through a passive conductance
:math:`I = g\,DF` so :math:`DF > 0` is an outward current for every ion; a cation
effluxes and an anion influxes when :math:`DF > 0`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .constants import MV_PER_V, F, R

__all__ = [
    "CURRENT_LABELS",
    "FLUX_LABELS",
    "STATUS_LABELS",
    "STATUS_REASONS",
    "NernstResult",
    "directions",
    "driving_force_mV",
    "nernst_potential",
]

#: Status labels, indexed by the ``int8`` status code.
STATUS_LABELS = np.array(
    [
        "ok",
        "neutral",
        "impermeant",
        "missing_concentration",
        "zero_inside",
        "zero_outside",
        "zero_both",
        "negative_concentration",
        "invalid_temperature",
        "invalid_gamma",
    ]
)
OK, NEUTRAL, IMPERMEANT, MISSING, ZERO_IN, ZERO_OUT, ZERO_BOTH, NEGATIVE = range(8)
BAD_TEMPERATURE, BAD_GAMMA = 8, 9

#: Human-readable reason for each status label.
STATUS_REASONS = {
    "ok": "",
    "neutral": "valence z = 0: a neutral solute has no Nernst potential",
    "impermeant": "impermeant species: no Nernst potential (it cannot equilibrate)",
    "missing_concentration": "c_in or c_out is missing (NaN)",
    "zero_inside": "c_in = 0: the Nernst potential is infinite",
    "zero_outside": "c_out = 0: the Nernst potential is infinite",
    "zero_both": "c_in = c_out = 0: the Nernst potential is undefined",
    "negative_concentration": "a concentration is negative",
    "invalid_temperature": "temperature is missing or not above 0 K",
    "invalid_gamma": "an activity coefficient is missing or not positive",
}

#: Net-flux direction labels, indexed by code.
FLUX_LABELS = np.array(["none", "efflux", "influx", "undefined"])
#: Conventional-current direction labels, indexed by code.
CURRENT_LABELS = np.array(["none", "outward", "inward", "undefined"])

_MV_PER_KELVIN = R / F * MV_PER_V  # 1000 R/F, [mV K^-1]


@dataclass(frozen=True)
class NernstResult:
    """Nernst potentials with a per-row status.

    Attributes
    ----------
    E_mV : numpy.ndarray
        Equilibrium potential, [mV]; NaN or +/-inf where undefined.
    status : numpy.ndarray of int8
        Index into :data:`STATUS_LABELS`; 0 means ``"ok"``.
    """

    E_mV: np.ndarray
    status: np.ndarray

    @property
    def status_labels(self) -> np.ndarray:
        """Status labels (``"ok"``, ``"neutral"``, ...) per row."""
        return STATUS_LABELS[self.status]

    @property
    def reasons(self) -> np.ndarray:
        """Human-readable reason per row (empty string when ``"ok"``)."""
        table = np.array([STATUS_REASONS[s] for s in STATUS_LABELS], dtype=object)
        return table[self.status]


def nernst_potential(
    *,
    c_in,
    c_out,
    valence,
    temperature_K,
    gamma_in=None,
    gamma_out=None,
    permeant=None,
) -> NernstResult:
    r"""Nernst equilibrium potential from concentrations or activities.

    Parameters
    ----------
    c_in, c_out : array_like
        Intracellular and extracellular concentration, any one unit for both
        (mM, or mmol/kg; only the ratio enters), [mM].
    valence : array_like of int
        Charge number z of the ion, [-]. z = 0 is marked ``"neutral"``.
    temperature_K : array_like
        Absolute temperature per row, [K].
    gamma_in, gamma_out : array_like, optional
        Activity coefficients (a = gamma c), [-]. Omitted means 1 (concentrations).
    permeant : array_like of bool, optional
        False marks impermeant species (status ``"impermeant"``, E = NaN).

    Returns
    -------
    NernstResult
        ``E_mV`` [mV] and ``status`` codes, broadcast to the inputs' common shape.

    Notes
    -----
    .. math:: E_i = \frac{RT}{z_i F} \ln\frac{\gamma_{out} c_{out}}{\gamma_{in} c_{in}}

    with natural log, exact SI 2019 R and F (:mod:`iongrad.constants`) and
    :math:`V_m = \phi_{in} - \phi_{out}`. Undefined rows never raise: z = 0 and
    impermeant species give NaN; c_in = 0 or c_out = 0 gives the signed infinity of the
    limit; both zero, a negative or missing concentration, a non-positive temperature
    or gamma give NaN; each with its status code.

    References
    ----------
    .. [1] B. Hille, *Ion Channels of Excitable Membranes*, 3rd ed., Sinauer, 2001,
       ch. 1, eq. 1-6.
    .. [2] D. Johnston and S. M.-S. Wu, *Foundations of Cellular Neurophysiology*,
       MIT Press, 1995, ch. 2.

    Examples
    --------
    The seed's potassium example, 5 mM outside and 140 mM inside at 310 K:

    >>> r = nernst_potential(c_in=140.0, c_out=5.0, valence=1, temperature_K=310.0)
    >>> round(float(r.E_mV), 1), str(r.status_labels)
    (-89.0, 'ok')
    """
    c_in = np.asarray(c_in, dtype=float)
    c_out = np.asarray(c_out, dtype=float)
    z = np.asarray(valence)
    T = np.asarray(temperature_K, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if gamma_in is None and gamma_out is None:
            ratio = np.divide(c_out, c_in)
        else:
            g_in = np.asarray(1.0 if gamma_in is None else gamma_in, dtype=float)
            g_out = np.asarray(1.0 if gamma_out is None else gamma_out, dtype=float)
            ratio = np.divide(g_out * c_out, g_in * c_in)
        E = np.atleast_1d(np.log(ratio))
        factor = np.divide(np.multiply(T, _MV_PER_KELVIN), z)
        if E.shape == np.broadcast_shapes(E.shape, np.shape(factor)):
            np.multiply(E, factor, out=E)  # in place: no extra 8 bytes per row
        else:
            E = E * factor
    E = E.reshape(np.broadcast_shapes(np.shape(ratio), np.shape(factor)))

    # Fast path: find rows that need a verdict, then classify only those.
    suspect = ~np.isfinite(E)
    suspect |= np.minimum(c_in, c_out) < 0  # both negative gives a finite, wrong E
    if np.any(T <= 0):
        suspect |= T <= 0
    if gamma_in is not None or gamma_out is not None:
        suspect |= ~(np.minimum(g_in, g_out) > 0)
    if permeant is not None:
        suspect |= ~np.asarray(permeant, dtype=bool)
    status = np.zeros(E.shape, dtype=np.int8)
    if suspect.any():
        _classify(E, status, suspect, c_in, c_out, z, T, gamma_in, gamma_out, permeant)
    return NernstResult(E_mV=E, status=status)


def _classify(E, status, suspect, c_in, c_out, z, T, gamma_in, gamma_out, permeant):
    """Assign status codes (and NaN where undefined) to the suspect rows in place."""
    shape = E.shape
    idx = np.flatnonzero(suspect)

    def pick(a):
        return np.broadcast_to(np.asarray(a), shape).reshape(-1)[idx]

    ci, co, zz, tt = pick(c_in), pick(c_out), pick(z), pick(T)
    code = np.full(idx.size, OK, dtype=np.int8)
    # Later assignments win: order from least to most fundamental reason.
    code[(ci == 0) & (co > 0)] = ZERO_IN
    code[(co == 0) & (ci > 0)] = ZERO_OUT
    code[(ci == 0) & (co == 0)] = ZERO_BOTH
    if gamma_in is not None or gamma_out is not None:
        gi = pick(1.0 if gamma_in is None else gamma_in)
        go = pick(1.0 if gamma_out is None else gamma_out)
        code[~((gi > 0) & (go > 0))] = BAD_GAMMA
    code[(ci < 0) | (co < 0)] = NEGATIVE
    code[np.isnan(ci) | np.isnan(co)] = MISSING
    code[~(tt > 0)] = BAD_TEMPERATURE
    if permeant is not None:
        code[~pick(np.asarray(permeant, dtype=bool))] = IMPERMEANT
    code[zz == 0] = NEUTRAL
    flat_E = E.reshape(-1)
    flat_E[idx[(code != ZERO_IN) & (code != ZERO_OUT)]] = np.nan
    status.reshape(-1)[idx] = code


def driving_force_mV(*, vm_mV, E_mV):
    r"""Electrochemical driving force :math:`DF = V_m - E`, [mV].

    Parameters
    ----------
    vm_mV : array_like
        Membrane potential :math:`V_m = \phi_{in} - \phi_{out}`, [mV].
    E_mV : array_like
        Equilibrium (Nernst or reversal) potential, [mV].

    Returns
    -------
    numpy.ndarray
        Driving force, [mV]. Positive drives outward conventional current.

    References
    ----------
    .. [1] B. Hille, *Ion Channels of Excitable Membranes*, 3rd ed., 2001, ch. 1.

    Examples
    --------
    The seed's K+ example: Vm = -65 mV, E_K = -89 mV gives +24 mV.

    >>> float(driving_force_mV(vm_mV=-65.0, E_mV=-89.0))
    24.0
    """
    with np.errstate(invalid="ignore"):
        return np.subtract(vm_mV, E_mV, dtype=float)


def directions(driving_force_mV, valence, atol_mV: float = 0.0):
    r"""Net-flux and conventional-current directions from the driving force.

    Parameters
    ----------
    driving_force_mV : array_like
        :math:`DF = V_m - E`, [mV].
    valence : array_like of int
        Charge number z, [-].
    atol_mV : float, optional
        :math:`|DF| \le` ``atol_mV`` counts as no net flux and no current, [mV].

    Returns
    -------
    flux, current : numpy.ndarray of int8
        Indices into :data:`FLUX_LABELS` (none, efflux, influx, undefined) and
        :data:`CURRENT_LABELS` (none, outward, inward, undefined).

    Notes
    -----
    Current :math:`I = g\,DF`: outward when DF > 0, for cations and anions alike.
    Net flux of ions: a cation effluxes when DF > 0; an anion influxes when DF > 0
    (its outward current is carried by anions moving in). NaN driving force or z = 0
    gives ``"undefined"``.

    Examples
    --------
    >>> flux, current = directions([24.0, 24.0], [1, -1])
    >>> FLUX_LABELS[flux].tolist(), CURRENT_LABELS[current].tolist()
    (['efflux', 'influx'], ['outward', 'outward'])
    """
    df = np.asarray(driving_force_mV, dtype=float)
    z = np.asarray(valence)
    current = _direction_codes(df, atol_mV)
    with np.errstate(invalid="ignore"):
        flux = _direction_codes(
            df * np.sign(z), atol_mV
        )  # anions: flux opposes current
    if np.any(z == 0):
        flux[np.broadcast_to(z == 0, flux.shape)] = 3
    return flux, current


def _direction_codes(x: np.ndarray, atol: float) -> np.ndarray:
    """Code 1 where x > atol, 2 where x < -atol, 3 where NaN, else 0 (int8)."""
    x = np.asarray(x)
    x1 = np.atleast_1d(x)
    code = np.greater(x1, atol).view(np.int8)
    code = code + np.less(x1, -atol).view(np.int8) * np.int8(2)
    code[np.isnan(x1)] = 3
    return code.reshape(x.shape)
