r"""Goldman-Hodgkin-Katz (GHK) current and voltage equations, vectorized over samples.

The GHK constant-field model gives the current of each permeant ion through a
membrane at potential :math:`V_m` (:func:`ghk_current`), and the resting potential at
which the ionic currents sum to zero (:func:`ghk_voltage`). For monovalent ions the
zero-current potential has the classic closed form (:func:`ghk_voltage_monovalent`);
when divalent (or trivalent) ions carry current it is solved numerically for all
samples at once. :mod:`iongrad.tables.ghk` applies it to the canonical measurement
table, with the pump-leak balance of :mod:`iongrad.physics.pumpleak`, and solves a
sample only with every ion of the permeabilities in use and no rejected row (see
there). Status ``"ok"`` always comes with a finite potential.

Sign conventions: :math:`V_m = \phi_{in} - \phi_{out}`; a positive
current is outward (positive charge leaving the cell).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from iongrad.constants import F, thermal_voltage_mV
from iongrad.numerics import solve_monotone
from iongrad.physics.nernst import nernst_potential

__all__ = [
    "DEFAULT_PERMEABILITY",
    "GHK_REASONS",
    "GHK_STATUS",
    "GHKResult",
    "ghk_current",
    "ghk_flux",
    "ghk_voltage",
    "ghk_voltage_monovalent",
]

#: Relative permeabilities used when a table gives none (P_K : P_Na : P_Cl of a
#: resting mammalian neuron; Hodgkin & Katz 1949 give 1 : 0.04 : 0.45 for squid).
DEFAULT_PERMEABILITY = {"K+": 1.0, "Na+": 0.05, "Cl-": 0.45}
#: Tolerance on Vm in units of RT/F (2.6e-11 mV at 25 degC), [-].
XTOL_VT: float = 1e-12
#: A zero-current solution counts as converged when the net current is at most this
#: fraction of the gross (one-way efflux plus influx) charge current, [-].
RESIDUAL_RTOL: float = 1e-9

#: Status labels indexed by the ``int8`` status codes of :class:`GHKResult`.
GHK_STATUS = np.array(
    ["ok", "no_current_carrier", "no_zero_current", "invalid_input", "not_converged",
     "not_finite"]
)  # fmt: skip
OK, NO_CARRIER, NO_ROOT, INVALID, NOT_CONVERGED, NOT_FINITE = range(6)
#: Reason per status label.
GHK_REASONS = {
    "ok": "",
    "no_current_carrier": "no charged ion with a positive permeability",
    "no_zero_current": "the permeant ions can only carry current in one direction "
    "(a needed concentration is zero), so no potential gives zero net current",
    "invalid_input": "a concentration or permeability is missing, negative or not "
    "finite, or the temperature is not above 0 K",
    "not_converged": "the zero-current solver did not reach the tolerance",
    "not_finite": "the zero-current potential is not a finite number (concentrations "
    "or permeability ratios beyond floating-point range)",
}


def _phi(y):
    r"""Return :math:`\varphi(y) = y / (1 - e^{-y})` (1 at y = 0)."""
    y = np.asarray(y, dtype=float)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        out = y / -np.expm1(-y)
        series = 1.0 + y / 2.0 + y * y / 12.0  # NaN/inf y: NaN, reported by callers
    return np.where(np.abs(y) < 1e-4, series, out)


def _dphi(y):
    r"""Return :math:`\varphi'(y) = (1 - \varphi(-y)) / (1 - e^{-y})`."""
    y = np.asarray(y, dtype=float)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        out = (1.0 - _phi(-y)) / -np.expm1(-y)
        series = 0.5 + y / 6.0 - y**3 / 180.0
    out = np.where(np.isfinite(out), out, 0.0)
    return np.where(np.abs(y) < 1e-4, series, out)


def ghk_flux(*, c_in, c_out, valence, permeability, vm_mV, temperature_K):
    r"""GHK net flux of each ion at a given membrane potential (outward positive).

    Parameters
    ----------
    c_in, c_out : array_like
        Inside and outside concentration, [mM] (= mol m^-3).
    valence : array_like of int
        Charge number z, [-] (z = 0 gives the free-diffusion flux P (c_in - c_out)).
    permeability : array_like
        Permeability, [m s^-1], or relative to P_K (then the flux is in units of
        P_K x mM).
    vm_mV : array_like
        Membrane potential :math:`\phi_{in} - \phi_{out}`, [mV].
    temperature_K : array_like
        Absolute temperature, [K].

    Returns
    -------
    numpy.ndarray
        Net outward flux, [mol m^-2 s^-1] for P in m/s; broadcast shape.

    Notes
    -----
    .. math:: J = P\left[c_{in}\,\varphi(z v) - c_{out}\,\varphi(-z v)\right],
              \quad \varphi(y) = \frac{y}{1 - e^{-y}}, \quad v = \frac{F V_m}{RT},

    which is the usual :math:`J = P z v \,(c_{in} - c_{out} e^{-zv})/(1 - e^{-zv})`
    written so that it stays finite and accurate at :math:`V_m = 0`
    (:math:`\varphi(0) = 1`; a series is used for :math:`|y| < 10^{-4}`). Natural
    exponentials; exact SI 2019 R and F.

    References
    ----------
    .. [1] D. E. Goldman, J. Gen. Physiol. 27, 37-60 (1943).
    .. [2] A. L. Hodgkin and B. Katz, J. Physiol. 108, 37-77 (1949).
    .. [3] B. Hille, *Ion Channels of Excitable Membranes*, 3rd ed., Sinauer, 2001,
       ch. 14, eq. 14-6.

    Examples
    --------
    At Vm = 0 the flux is free diffusion, P (c_in - c_out):

    >>> float(ghk_flux(c_in=140.0, c_out=5.0, valence=1, permeability=1e-8,
    ...                vm_mV=0.0, temperature_K=310.0))
    1.35e-06
    """
    # Non-finite inputs or a flux beyond float range give NaN or inf (no warning):
    # the callers report non-finite fluxes in their status.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        v = np.asarray(vm_mV, dtype=float) / thermal_voltage_mV(temperature_K)
        zv = np.asarray(valence) * v
        P = np.asarray(permeability, dtype=float)
        return P * (
            np.asarray(c_in, float) * _phi(zv) - np.asarray(c_out, float) * _phi(-zv)
        )


def ghk_current(*, c_in, c_out, valence, permeability, vm_mV, temperature_K):
    r"""GHK current density of each ion (outward positive).

    Parameters
    ----------
    c_in, c_out : array_like
        Inside and outside concentration, [mM] (= mol m^-3).
    valence : array_like of int
        Charge number z, [-].
    permeability : array_like
        Permeability, [m s^-1] (or relative to P_K: the current is then in units of
        F x P_K x mM).
    vm_mV : array_like
        Membrane potential :math:`\phi_{in} - \phi_{out}`, [mV].
    temperature_K : array_like
        Absolute temperature, [K].

    Returns
    -------
    numpy.ndarray
        Current density, [A m^-2] for P in m/s; positive outward.

    Notes
    -----
    .. math:: I = P z^2 \frac{F^2 V_m}{RT}\,
              \frac{c_{in} - c_{out}\, e^{-z F V_m / RT}}{1 - e^{-z F V_m/RT}}
              = z F J

    with J from :func:`ghk_flux` (same numerics), natural exponentials, exact SI 2019
    R and F. The current is zero at the ion's Nernst potential and increases with
    :math:`V_m` for every ion.

    References
    ----------
    .. [1] D. E. Goldman, J. Gen. Physiol. 27, 37-60 (1943).
    .. [2] B. Hille, *Ion Channels of Excitable Membranes*, 3rd ed., Sinauer, 2001,
       ch. 14, eq. 14-6.

    Examples
    --------
    Zero at the Nernst potential (E_K = -89.0 mV for 140/5 mM at 310 K):

    >>> E = float(nernst_potential(c_in=140.0, c_out=5.0, valence=1,
    ...                            temperature_K=310.0).E_mV)
    >>> abs(float(ghk_current(c_in=140.0, c_out=5.0, valence=1, permeability=1e-8,
    ...                       vm_mV=E, temperature_K=310.0))) < 1e-15
    True
    """
    z = np.asarray(valence)
    flux = ghk_flux(
        c_in=c_in, c_out=c_out, valence=z, permeability=permeability,
        vm_mV=vm_mV, temperature_K=temperature_K,
    )  # fmt: skip
    with np.errstate(over="ignore", invalid="ignore"):  # as ghk_flux: no warning
        return z * F * flux


def ghk_voltage_monovalent(*, c_in, c_out, valence, permeability, temperature_K):
    r"""GHK voltage equation (closed form) for monovalent ions.

    Parameters
    ----------
    c_in, c_out : array_like, shape (n, k) or (k,)
        Concentrations per sample and ion, [mM].
    valence : array_like of int, shape (k,) or (n, k)
        Charge numbers, each +1 or -1 where the permeability is non-zero, [-].
    permeability : array_like, shape (n, k) or (k,)
        Permeabilities, absolute [m s^-1] or relative to P_K [-] (only ratios enter).
    temperature_K : array_like, shape (n,)
        Absolute temperature, [K].

    Returns
    -------
    numpy.ndarray, shape (n,)
        Zero-current (resting) potential, [mV].

    Raises
    ------
    ValueError
        When an ion with non-zero permeability is not monovalent (use
        :func:`ghk_voltage`).

    Notes
    -----
    .. math:: V_m = \frac{RT}{F}\ln
              \frac{\sum_{+} P_i c_{out,i} + \sum_{-} P_j c_{in,j}}
                   {\sum_{+} P_i c_{in,i} + \sum_{-} P_j c_{out,j}}

    (sums over permeant cations + and anions -), natural log, exact SI 2019 R and F,
    :math:`V_m = \phi_{in} - \phi_{out}`. A zero numerator or denominator gives
    -inf or +inf (no finite zero-current potential).

    References
    ----------
    .. [1] A. L. Hodgkin and B. Katz, J. Physiol. 108, 37-77 (1949), eq. 7.
    .. [2] D. Johnston and S. M.-S. Wu, *Foundations of Cellular Neurophysiology*,
       MIT Press, 1995, eq. 2.7.15.

    Examples
    --------
    Squid axon, K 400/20, Na 50/440, Cl 40/560 mM, P_K:P_Na:P_Cl = 1:0.04:0.45, 20 degC
    (Hodgkin & Katz 1949; Johnston & Wu Table 2.1):

    >>> vm = ghk_voltage_monovalent(
    ...     c_in=[400.0, 50.0, 40.0], c_out=[20.0, 440.0, 560.0],
    ...     valence=[1, 1, -1], permeability=[1.0, 0.04, 0.45], temperature_K=293.15)
    >>> round(float(vm[0]), 1)
    -62.3
    """
    c_in = np.array(c_in, dtype=float, ndmin=2)
    c_out = np.broadcast_to(np.asarray(c_out, dtype=float), c_in.shape)
    P = np.broadcast_to(np.asarray(permeability, dtype=float), c_in.shape)
    z = np.broadcast_to(np.asarray(valence), c_in.shape)
    if np.any((P != 0) & (np.abs(z) != 1)):
        raise ValueError("ghk_voltage_monovalent: an ion with P > 0 has |z| != 1")
    cat, an = (z == 1) & (P != 0), (z == -1) & (P != 0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        num = (np.where(cat, P * c_out, 0.0) + np.where(an, P * c_in, 0.0)).sum(axis=1)
        den = (np.where(cat, P * c_in, 0.0) + np.where(an, P * c_out, 0.0)).sum(axis=1)
        return thermal_voltage_mV(temperature_K) * np.log(num / den)


@dataclass(frozen=True)
class GHKResult:
    """GHK zero-current potentials per sample.

    Attributes
    ----------
    vm_mV : numpy.ndarray
        Zero-current potential, [mV]; NaN where none exists.
    converged : numpy.ndarray of bool
        Status ok and the net current at most :data:`RESIDUAL_RTOL` of the total.
    residual : numpy.ndarray
        Net current divided by the gross (one-way efflux plus influx) charge
        current, [-].
    status : numpy.ndarray of int8
        Index into :data:`GHK_STATUS`.
    method : numpy.ndarray of str
        ``"nernst"`` (one current carrier), ``"closed_form"`` (monovalent) or
        ``"numeric"``.
    iterations : numpy.ndarray of int64
        Solver iterations (0 unless numeric).
    """

    vm_mV: np.ndarray
    converged: np.ndarray
    residual: np.ndarray
    status: np.ndarray
    method: np.ndarray
    iterations: np.ndarray

    @property
    def status_labels(self) -> np.ndarray:
        """Status label per sample."""
        return GHK_STATUS[self.status]


def _net_current(x, c_in, c_out, z, P):
    """Net current, gross (unidirectional) current and d(net)/dx at x = FV/RT.

    All in units of F x P x mM. The gross current sums the one-way efflux and influx
    of charge; unlike the net ionic currents it does not vanish when every ion sits
    at its Nernst potential, so it is the scale of the residual.
    """
    zx = z * x[:, None]
    # Concentrations near the float limit overflow the currents: the residual is
    # then not finite and the sample is not converged (its status says so).
    with np.errstate(over="ignore", invalid="ignore"):
        efflux, influx = P * c_in * _phi(zx), P * c_out * _phi(-zx)
        net = (z * (efflux - influx)).sum(axis=1)
        gross = (np.abs(z) * (efflux + influx)).sum(axis=1)
        d = (P * z * z * (c_in * _dphi(zx) + c_out * _dphi(-zx))).sum(axis=1)
    return net, gross, d


def ghk_voltage(
    *,
    c_in,
    c_out,
    valence,
    permeability,
    temperature_K,
    xtol=XTOL_VT,
    max_iter=200,
    method="auto",
) -> GHKResult:
    r"""GHK zero-current (resting) potential with ions of any valence, many samples.

    Parameters
    ----------
    c_in, c_out : array_like, shape (n, k) or (k,)
        Concentrations per sample and ion, [mM].
    valence : array_like of int, shape (k,) or (n, k)
        Charge numbers, [-].
    permeability : array_like, shape (n, k) or (k,)
        Permeabilities, absolute [m s^-1] or relative to P_K [-]; 0 excludes the ion
        (its concentrations may then be NaN).
    temperature_K : array_like, shape (n,)
        Absolute temperature, [K].
    xtol : float
        Tolerance on Vm in units of RT/F, [-].
    max_iter : int
        Iteration limit.
    method : str
        ``"auto"`` (Nernst for one carrier, closed form for monovalent carriers,
        numeric otherwise) or ``"numeric"`` (every sample through the solver; for
        tests and benchmarks).

    Returns
    -------
    GHKResult
        Potential, converged flag, relative residual, status, method, iterations.

    Notes
    -----
    Solves :math:`\sum_i I_i(V_m) = 0` with the GHK current of :func:`ghk_current`:

    .. math:: \sum_i P_i z_i \left[c_{in,i}\,\varphi(z_i v) -
              c_{out,i}\,\varphi(-z_i v)\right] = 0, \qquad v = F V_m / RT.

    Each :math:`I_i` increases with :math:`V_m` and vanishes at the ion's Nernst
    potential, so the root is unique and lies between the smallest and the largest
    Nernst potential of the current carriers: that bracket (widened by doubling
    when a concentration is zero) feeds a safeguarded Newton iteration
    (:func:`iongrad.numerics.solve_monotone`). With only monovalent carriers the
    closed form :func:`ghk_voltage_monovalent` is used; with a single carrier the
    result is its Nernst potential (:func:`iongrad.physics.nernst.nernst_potential`)
    exactly. Only permeability ratios matter. Natural log; exact SI 2019 R and F;
    :math:`V_m = \phi_{in} - \phi_{out}`.

    References
    ----------
    .. [1] D. E. Goldman, J. Gen. Physiol. 27, 37-60 (1943).
    .. [2] A. L. Hodgkin and B. Katz, J. Physiol. 108, 37-77 (1949).
    .. [3] B. Hille, *Ion Channels of Excitable Membranes*, 3rd ed., Sinauer, 2001,
       ch. 14 (GHK equations; divalent ions, eq. 14-11).

    Examples
    --------
    The squid axon with an added Ca2+ permeability (2 mM inside is unphysiological
    but shows the numerical path), then with P_Ca = 0, which matches the closed form:

    >>> args = dict(c_in=[400.0, 50.0, 40.0, 2.0], c_out=[20.0, 440.0, 560.0, 10.0],
    ...             valence=[1, 1, -1, 2], temperature_K=293.15)
    >>> r = ghk_voltage(permeability=[1.0, 0.04, 0.45, 0.1], **args)
    >>> str(r.method[0]), bool(r.converged[0])
    ('numeric', True)
    >>> r0 = ghk_voltage(permeability=[1.0, 0.04, 0.45, 0.0], **args)
    >>> str(r0.method[0]), round(float(r0.vm_mV[0]), 1)
    ('closed_form', -62.3)
    """
    if method not in ("auto", "numeric"):
        raise ValueError(f"ghk_voltage: method {method!r} is not 'auto' or 'numeric'")
    # Concentrations or permeabilities near the float limits overflow inside the
    # solve; such samples end up unconverged or "not_finite" (their status says
    # so), so numpy's warnings would only repeat it.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return _ghk_voltage(c_in, c_out, valence, permeability, temperature_K, xtol,
                            max_iter, method)  # fmt: skip


def _ghk_voltage(c_in, c_out, valence, permeability, temperature_K, xtol, max_iter,
                 method) -> GHKResult:  # fmt: skip
    """The body of :func:`ghk_voltage`."""
    cells = _carriers(c_in, c_out, valence, permeability, temperature_K)
    ci, co, z, Pc, T, carrier, n_carriers, valid, exists = cells
    n = T.size
    x = np.full(n, np.nan)
    how = np.full(n, "", dtype=object)
    iterations = np.zeros(n, dtype=np.int64)
    solver_ok = np.zeros(n, dtype=bool)
    VT = thermal_voltage_mV(T)

    single = exists & (n_carriers == 1) & (method == "auto")
    if single.any():
        j = np.argmax(carrier[single], axis=1)
        rows = np.flatnonzero(single)
        E = nernst_potential(
            c_in=ci[rows, j], c_out=co[rows, j], valence=z[rows, j],
            temperature_K=T[rows],
        ).E_mV  # fmt: skip
        x[rows] = E / VT[rows]
        how[rows], solver_ok[rows] = "nernst", True

    mono = exists & (n_carriers > 1) & ~(carrier & (np.abs(z) != 1)).any(axis=1)
    mono &= method == "auto"
    if mono.any():
        rows = np.flatnonzero(mono)
        vm = ghk_voltage_monovalent(
            c_in=ci[rows], c_out=co[rows], valence=np.where(carrier[rows], z[rows], 1),
            permeability=Pc[rows], temperature_K=T[rows],
        )  # fmt: skip
        x[rows] = vm / VT[rows]
        how[rows], solver_ok[rows] = "closed_form", True

    todo = np.flatnonzero(exists & ~single & ~mono)
    if todo.size:
        x[todo], solver_ok[todo], iterations[todo] = _solve_numeric(
            ci[todo], co[todo], z[todo], Pc[todo], carrier[todo], xtol, max_iter
        )
        how[todo] = "numeric"

    net, total, _d = _net_current(np.where(exists, x, 0.0), ci, co, z, Pc)
    with np.errstate(invalid="ignore", divide="ignore"):
        residual = np.where(total > 0, net / total, net)
    residual = np.where(exists, residual, np.nan)
    converged = exists & solver_ok & (np.abs(residual) <= RESIDUAL_RTOL)
    # Nernst rows are exact by construction (their residual is rounding only).
    converged |= single & solver_ok
    status = np.full(n, OK, dtype=np.int8)
    status[~converged] = NOT_CONVERGED
    status[valid & ~exists] = NO_ROOT
    status[valid & (n_carriers == 0)] = NO_CARRIER
    status[~valid] = INVALID
    with np.errstate(over="ignore", invalid="ignore"):
        vm = x * VT
    not_finite = (status == OK) & ~np.isfinite(vm)
    status[not_finite] = NOT_FINITE  # never "ok" with NaN
    converged &= ~not_finite
    return GHKResult(
        vm_mV=np.where(status == OK, vm, np.nan),
        converged=converged,
        residual=residual,
        status=status,
        method=how.astype(str),
        iterations=iterations,
    )


class _Cells(NamedTuple):
    """Inputs as (n, k) arrays with everything but the current carriers zeroed.

    ``valid``: the sample's carriers have finite concentrations >= 0, every P is
    finite and >= 0 and T > 0; ``exists``: some carrier can move charge each way,
    so a zero-current potential exists.
    """

    ci: np.ndarray
    co: np.ndarray
    z: np.ndarray
    P: np.ndarray
    T: np.ndarray
    carrier: np.ndarray
    n_carriers: np.ndarray
    valid: np.ndarray
    exists: np.ndarray


def _carriers(c_in, c_out, valence, permeability, temperature_K) -> _Cells:
    """Broadcast and check the inputs of :func:`ghk_voltage`; find the carriers."""
    c_in = np.array(c_in, dtype=float, ndmin=2)
    shape = c_in.shape
    n = shape[0]
    c_out = np.broadcast_to(np.asarray(c_out, dtype=float), shape)
    P = np.broadcast_to(np.asarray(permeability, dtype=float), shape)
    z = np.broadcast_to(np.asarray(valence), shape).astype(np.int64)
    T = np.broadcast_to(np.asarray(temperature_K, dtype=float), (n,))
    carrier = (P != 0) & (z != 0)
    bad_cell = carrier & ~(
        np.isfinite(c_in) & np.isfinite(c_out) & (c_in >= 0) & (c_out >= 0)
    )
    bad_cell |= ~np.isfinite(P) | (P < 0)
    valid = ~bad_cell.any(axis=1) & np.isfinite(T) & (T > 0)
    carrier &= valid[:, None]
    ci = np.where(carrier, c_in, 0.0)
    co = np.where(carrier, c_out, 0.0)
    n_carriers = carrier.sum(axis=1)
    up = (carrier & (((z > 0) & (ci > 0)) | ((z < 0) & (co > 0)))).any(axis=1)
    down = (carrier & (((z > 0) & (co > 0)) | ((z < 0) & (ci > 0)))).any(axis=1)
    return _Cells(
        ci=ci, co=co, z=z, P=np.where(carrier, P, 0.0), T=T, carrier=carrier,
        n_carriers=n_carriers, valid=valid,
        exists=valid & (n_carriers > 0) & up & down,
    )  # fmt: skip


def _solve_numeric(ci, co, z, P, carrier, xtol, max_iter):
    """Zero-current x = F Vm / RT of rows with a root; returns x, converged, iterations.

    The root lies between the carriers' smallest and largest Nernst potentials; a
    zero concentration makes one infinite, and the bracket is then widened by
    doubling steps until the net current changes sign across it.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        e = np.log(co / ci) / z  # Nernst potentials in units of RT/F
    e = np.where(carrier, e, np.nan)
    finite = np.where(np.isfinite(e), e, np.nan)
    # fmin/fmax skip NaN like nanmin/nanmax, and give NaN (then 0) without a
    # warning when a row has no finite Nernst potential at all.
    lo = np.nan_to_num(np.fmin.reduce(np.where(carrier, finite, np.inf), axis=1),
                       posinf=0.0)  # fmt: skip
    hi = np.nan_to_num(np.fmax.reduce(np.where(carrier, finite, -np.inf), axis=1),
                       neginf=0.0)  # fmt: skip
    lo, hi = np.minimum(lo, hi), np.maximum(lo, hi)

    def fun(xx, idx):
        f, _tot, d = _net_current(xx, ci[idx], co[idx], z[idx], P[idx])
        return f, d

    every = np.arange(lo.size)
    step = np.ones(lo.size)
    for _ in range(64):  # widen where a zero concentration made E infinite
        f_lo, _ = fun(lo, every)
        f_hi, _ = fun(hi, every)
        grow_lo, grow_hi = f_lo > 0, f_hi < 0
        if not (grow_lo.any() or grow_hi.any()):
            break
        lo = np.where(grow_lo, lo - step, lo)
        hi = np.where(grow_hi, hi + step, hi)
        step *= 2.0
    return solve_monotone(fun, lo, hi, x0=0.5 * (lo + hi), xtol=xtol, max_iter=max_iter)
