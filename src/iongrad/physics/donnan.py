r"""Gibbs-Donnan equilibrium of many permeant ions, vectorized over samples.

A cell holds impermeant charged species (proteins, organic phosphates) at a charge
concentration :math:`X` (mM of charge; negative for anions). Every permeant ion then
distributes so that its electrochemical potential is equal on both sides, which with a
common membrane potential means :math:`c_{in,i} = c_{out,i}\, r^{z_i}` for one Donnan
ratio :math:`r > 0` shared by all permeant ions. Electroneutrality inside fixes r.

Three problems are solved here, all for many samples at once with no Python loop over
rows:

* :func:`donnan_equilibrium`: open system (the bath is fixed, the cell is small), with
  optional fixed activity coefficients;
* :func:`donnan_equilibrium_activity`: the same with activity coefficients iterated
  from an activity model until self-consistent;
* :func:`donnan_closed`: two finite compartments with conserved amounts (the textbook
  Donnan experiment).

:mod:`iongrad.tables.donnan` applies the open-system solver to the canonical long
measurement table (one row per sample x ion); a sample needs a permeant cation and
anion in the bath, its impermeant charge and no rejected row (see there). Status
``"ok"`` always comes with finite numbers.

Sign conventions: :math:`V_m = \phi_{in} - \phi_{out}`; the Donnan
potential is :math:`V_D = -(RT/F)\ln r`, which equals every permeant ion's Nernst
potential at the predicted concentrations.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from iongrad.constants import thermal_voltage_mV
from iongrad.ions import lookup
from iongrad.numerics import solve_monotone
from iongrad.physics.activity import (
    DEFAULT_CONVENTION,
    activity_coefficients_long,
    check_model,
)
from iongrad.physics.ionic_strength import molar_to_molal

__all__ = [
    "BLOCK_ROWS",
    "DONNAN_REASONS",
    "DONNAN_STATUS",
    "GAMMA_TOL",
    "HALLEY_STEP_TOL",
    "RESIDUAL_RTOL",
    "XTOL_LN_R",
    "ClosedDonnanResult",
    "DonnanResult",
    "GammaFn",
    "activity_gamma_fn",
    "donnan_closed",
    "donnan_equilibrium",
    "donnan_equilibrium_activity",
    "donnan_ratio_1to1",
]

#: Tolerance of the solvers on ln r (so a relative tolerance on r), [-].
XTOL_LN_R: float = 1e-12
#: A solution counts as converged only if the electroneutrality residual is at most
#: this fraction of the total charge concentration on the inside, [-].
RESIDUAL_RTOL: float = 1e-9
#: The iteration stops when a Halley step is below this; the result is then checked
#: (and if needed polished) against :data:`XTOL_LN_R` a posteriori, [-].
HALLEY_STEP_TOL: float = 1e-6
#: Rows solved together; larger inputs are split into blocks of this size so the
#: temporaries stay in cache (results are identical).
BLOCK_ROWS: int = 1 << 15
#: Convergence of the activity-coefficient iteration: max |delta ln gamma|, [-].
GAMMA_TOL: float = 1e-10

#: Status labels, indexed by the ``int8`` status code of the results.
DONNAN_STATUS = np.array(
    ["ok", "no_equilibrium", "invalid_input", "not_converged", "not_finite"]
)
OK, NO_EQUILIBRIUM, INVALID, NOT_CONVERGED, NOT_FINITE = range(5)
#: Reason per status label.
DONNAN_REASONS = {
    "ok": "",
    "no_equilibrium": "no permeant ion can balance the charge: with impermeant charge "
    "X, a root needs a permeant anion or X < 0, and a permeant cation or X > 0",
    "invalid_input": "a concentration is missing, negative or not finite, or the "
    "temperature is not above 0 K",
    "not_converged": "the solver did not reach the tolerance",
    "not_finite": "the Donnan ratio or potential is not a finite number (bath "
    "concentrations beyond floating-point range)",
}

#: Signature of an activity-coefficient callback: concentrations of every species of
#: one compartment by canonical ion symbol ([mM] or [mmol/kg], arrays over samples)
#: and temperatures [K] -> activity coefficient per ion symbol, [-].
GammaFn = Callable[[dict[str, np.ndarray], np.ndarray], dict[str, np.ndarray]]


# ---------------------------------------------------------------- open system
@dataclass(frozen=True)
class DonnanResult:
    """Open-system Donnan equilibrium per sample.

    Attributes
    ----------
    ratio : numpy.ndarray
        Donnan ratio r, [-]: :math:`c_{in,i} = c_{out,i} r^{z_i}` (times
        :math:`\\gamma_{out}/\\gamma_{in}` with activities).
    potential_mV : numpy.ndarray
        Donnan potential :math:`V_D = -(RT/F) \\ln r`, [mV].
    c_in_mM : numpy.ndarray
        Predicted inside concentration per permeant ion, shape (n, k), [mM].
    residual : numpy.ndarray
        Electroneutrality residual :math:`(\\sum z c_{in} + X)` divided by the total
        charge concentration :math:`\\sum |z| c_{in} + |X|`, [-].
    residual_mM : numpy.ndarray
        The same residual, unscaled, [mM of charge].
    converged : numpy.ndarray of bool
        Solver converged and :math:`|residual| \\le` :data:`RESIDUAL_RTOL`.
    status : numpy.ndarray of int8
        Index into :data:`DONNAN_STATUS`.
    iterations : numpy.ndarray of int64
        Newton/bisection iterations (0 for the closed form).
    closed_form : numpy.ndarray of bool
        Solved by the 1:1 closed form (only monovalent permeant ions).
    gamma_in, gamma_out : numpy.ndarray or None
        Activity coefficients used, shape (n, k), [-]; None when ideal.
    activity_converged : numpy.ndarray of bool or None
        The activity-coefficient iteration converged (None when not iterated).
    activity_iterations : numpy.ndarray of int64 or None
        Activity-coefficient iterations per sample.
    """

    ratio: np.ndarray
    potential_mV: np.ndarray
    c_in_mM: np.ndarray
    residual: np.ndarray
    residual_mM: np.ndarray
    converged: np.ndarray
    status: np.ndarray
    iterations: np.ndarray
    closed_form: np.ndarray
    gamma_in: np.ndarray | None = None
    gamma_out: np.ndarray | None = None
    activity_converged: np.ndarray | None = None
    activity_iterations: np.ndarray | None = None

    @property
    def status_labels(self) -> np.ndarray:
        """Status label per sample (``"ok"``, ``"no_equilibrium"``, ...)."""
        return DONNAN_STATUS[self.status]


def donnan_ratio_1to1(*, c_cation, c_anion, impermeant_charge_mM):
    r"""Closed-form Donnan ratio for monovalent permeant ions.

    Parameters
    ----------
    c_cation, c_anion : array_like
        Bath concentrations summed over the monovalent permeant cations and anions,
        [mM] (any one unit; X must be in the same unit).
    impermeant_charge_mM : array_like
        Impermeant charge concentration inside, X, [mM of charge]; negative for
        impermeant anions.

    Returns
    -------
    numpy.ndarray
        Donnan ratio :math:`r = c_{in}/c_{out}` of the cations, [-]; NaN where no
        positive root exists.

    Notes
    -----
    Electroneutrality inside, :math:`C_+ r - C_- / r + X = 0`, is a quadratic in r
    whose positive root is

    .. math:: r = \frac{-X + \sqrt{X^2 + 4 C_+ C_-}}{2 C_+}
                = \frac{2 C_-}{X + \sqrt{X^2 + 4 C_+ C_-}}

    The first form is used for :math:`X \le 0` and the second for X > 0, so
    neither subtracts nearly equal numbers. Exact for any mixture of
    monovalent ions (C+ and C- are sums). With valences of 2 or 3 the same r is a
    bracket end for the general solver (see :func:`donnan_equilibrium`).

    References
    ----------
    .. [1] F. G. Donnan, "Theorie der Membrangleichgewichte und Membranpotentiale
       bei Vorhandensein von nicht dialysierenden Elektrolyten", Z. Elektrochem. 17,
       572-581 (1911).
    .. [2] B. Hille, *Ion Channels of Excitable Membranes*, 3rd ed., Sinauer, 2001,
       ch. 14 (Donnan equilibrium).

    Examples
    --------
    100 mM KCl bath, 100 mM impermeant monovalent anion inside: r is the golden
    ratio.

    >>> r = donnan_ratio_1to1(c_cation=100.0, c_anion=100.0,
    ...                       impermeant_charge_mM=-100.0)
    >>> round(float(r), 6)
    1.618034
    """
    cp = np.asarray(c_cation, dtype=float)
    cm = np.asarray(c_anion, dtype=float)
    X = np.asarray(impermeant_charge_mM, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        root = np.sqrt(X * X + 4.0 * cp * cm)
        r = np.where(X <= 0, (root - X) / (2.0 * cp), 2.0 * cm / (X + root))
    return np.where(np.isfinite(r) & (r > 0), r, np.nan)


def _as_2d(c_out, valence):
    c = np.atleast_2d(np.asarray(c_out, dtype=float))
    z = np.asarray(valence)
    if z.dtype.kind not in "iu":
        if not np.all(np.equal(np.mod(z, 1), 0)):
            raise ValueError(f"permeant valences must be integers, got {np.unique(z)}")
        z = z.astype(np.int64)
    return c, np.broadcast_to(z, c.shape)


def _sum_by_valence(c, z, valence):
    """Charge classes: valences ``zs`` and, per valence, the sum of c over its ions.

    Returns a dict ``{v: sum over ions of valence v of c}`` (arrays over rows) for
    every non-zero valence present.
    """
    z_given = np.asarray(valence)
    sums: dict[int, np.ndarray] = {}
    if z_given.ndim <= 1:  # one valence per column: add whole columns
        for j, v in enumerate(np.broadcast_to(z_given, c.shape[1:])):
            if v != 0:
                v = int(v)
                sums[v] = sums[v] + c[:, j] if v in sums else c[:, j].copy()
        return sums
    if z.size == 0:
        return sums
    for v in range(int(z.min()), int(z.max()) + 1):  # a handful of valences
        if v != 0:
            col = np.einsum("ij,ij->i", z == v, c)
            if col.any():
                sums[v] = col
    return sums


def donnan_equilibrium(
    *,
    c_out,
    valence,
    impermeant_charge_mM,
    temperature_K,
    gamma_in=None,
    gamma_out=None,
    xtol=XTOL_LN_R,
    max_iter=200,
    closed_form=True,
) -> DonnanResult:
    r"""Open-system Donnan equilibrium of any set of permeant ions, many samples.

    Parameters
    ----------
    c_out : array_like, shape (n, k) or (k,)
        Bath concentration of each permeant ion per sample, [mM] (or [mmol/kg]; the
        result is on the same scale). 0 means the ion is absent.
    valence : array_like of int, shape (k,) or (n, k)
        Charge number of each permeant ion, [-]; any integer (z = 0 ions simply
        have c_in = c_out).
    impermeant_charge_mM : array_like, shape (n,)
        Charge concentration of the impermeant species inside, X = z_A c_A,
        [mM of charge]; negative for impermeant anions.
    temperature_K : array_like, shape (n,)
        Absolute temperature, [K]; only the potential depends on it.
    gamma_in, gamma_out : array_like, shape (n, k) or (k,), optional
        Fixed activity coefficients, [-]. Equilibrium then holds for activities,
        :math:`\gamma_{in} c_{in} = \gamma_{out} c_{out} r^{z}`.
    xtol : float
        Tolerance on ln r (relative tolerance on r), [-].
    max_iter : int
        Iteration limit of the safeguarded Newton solver.
    closed_form : bool
        Use the 1:1 closed form where only monovalent ions are present (default);
        False sends every sample through the iterative solver (for tests and
        benchmarks).

    Returns
    -------
    DonnanResult
        Ratio, potential, predicted c_in, residuals, converged flag and status.

    Notes
    -----
    With :math:`u = \ln r` the inside electroneutrality condition is

    .. math:: f(u) = \sum_i z_i\, c_{out,i}\,\frac{\gamma_{out,i}}{\gamma_{in,i}}
              e^{z_i u} + X = 0,
              \qquad f'(u) = \sum_i z_i^2\, c_{out,i}\,
              \frac{\gamma_{out,i}}{\gamma_{in,i}} e^{z_i u} > 0,

    so f is strictly increasing and the root is unique when it exists: it needs a
    permeant anion or X < 0, and a permeant cation or X > 0 (otherwise status
    ``"no_equilibrium"``, NaN results). The terms are first summed per valence, so a
    million samples with six ions cost one ``exp`` per sample and iteration. Bounding
    :math:`e^{zu}` by :math:`e^{u}` (:math:`z \ge 1`) shows that the root lies between 0
    and :math:`\ln r_{1:1}`, the closed form of :func:`donnan_ratio_1to1` for the
    charge-equivalent sums :math:`C_\pm = \sum_{\pm z_i > 0} |z_i| c_{out,i}`; that is
    the bracket of a safeguarded iteration (:func:`iongrad.numerics.solve_monotone`) on
    the equivalent, nearly linear balance :math:`h(u) = \ln(P + X^+) - \ln(N + X^-)` (P,
    N the cation and anion charge sums, :math:`X^\pm = \max(\pm X, 0)`) with Halley
    steps, started from h's Newton step at u = 0. The iteration stops at a step below
    1e-6 (:data:`HALLEY_STEP_TOL`; Halley's error is then of order 1e-18); every result
    is then checked a posteriori, :math:`|f/f'| \le` ``xtol``, and polished with Newton
    steps on f where needed, and must leave an electroneutrality residual below
    :data:`RESIDUAL_RTOL` to count as converged. When only monovalent ions are present
    the closed form is the answer. Large inputs are solved in blocks of
    :data:`BLOCK_ROWS` rows (same result, better cache use). Natural logs throughout;
    :math:`V_D = -(RT/F)\ln r` with the exact SI 2019 R and F, and :math:`V_m =
    \phi_{in} - \phi_{out}`. Concentrations may be molar or molal; the result is ideal
    (concentration-based) unless gammas are given.

    References
    ----------
    .. [1] F. G. Donnan, Z. Elektrochem. 17, 572-581 (1911).
    .. [2] B. Hille, *Ion Channels of Excitable Membranes*, 3rd ed., Sinauer, 2001,
       ch. 14.
    .. [3] T. F. Weiss, *Cellular Biophysics*, vol. 1, MIT Press, 1996, sec. 7.5
       (Donnan equilibrium with several ions).

    Examples
    --------
    100 mM KCl bath, 100 mM impermeant monovalent anion inside, 25 degC:

    >>> res = donnan_equilibrium(c_out=[100.0, 100.0], valence=[1, -1],
    ...                          impermeant_charge_mM=-100.0, temperature_K=298.15)
    >>> [round(float(v), 3) for v in res.c_in_mM[0]]
    [161.803, 61.803]
    >>> round(float(res.potential_mV[0]), 2)
    -12.36
    """
    c, z = _as_2d(c_out, valence)
    n = c.shape[0]
    if n > BLOCK_ROWS:  # solve in cache-sized blocks of rows
        return _in_blocks(
            c, z, valence, impermeant_charge_mM, temperature_K, gamma_in, gamma_out,
            xtol=xtol, max_iter=max_iter, closed_form=closed_form,
        )  # fmt: skip
    # Inputs near the float limits (c_out ~ 1e308, subnormal gammas) overflow inside
    # the solve; such rows end up invalid, unconverged or "not_finite", so numpy's
    # warnings would only repeat what the status says.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return _solve_rows(
            c, z, valence, impermeant_charge_mM, temperature_K, gamma_in, gamma_out,
            xtol, max_iter, closed_form,
        )  # fmt: skip


def _solve_rows(c, z, valence, X, T, gamma_in, gamma_out, xtol, max_iter,
                closed_form) -> DonnanResult:  # fmt: skip
    """:func:`donnan_equilibrium` of at most :data:`BLOCK_ROWS` rows."""
    n = c.shape[0]
    X = np.broadcast_to(np.asarray(X, dtype=float), (n,)).copy()
    T = np.broadcast_to(np.asarray(T, dtype=float), (n,))
    c_eff, g_in, g_out = _effective_bath(c, gamma_in, gamma_out)
    valid = _usable_rows(c_eff, X, T)
    if not valid.all():
        c_eff = np.where(valid[:, None], c_eff, 0.0)
        X[~valid] = 0.0

    # Sum the charge terms per valence: f(u) = sum_v v S_v e^{v u} + X; the
    # charge-weighted class sums |v| S_v add up to the cation and anion sums.
    charge_cols = {
        v: abs(v) * col for v, col in _sum_by_valence(c_eff, z, valence).items()
    }
    c_plus, c_minus, multi = np.zeros(n), np.zeros(n), np.zeros(n)
    for v, col in charge_cols.items():
        if v > 0:
            c_plus += col
        else:
            c_minus += col
        if abs(v) > 1:
            multi += col
    exists = valid & ((c_minus > 0) | (X < 0)) & ((c_plus > 0) | (X > 0))

    u = np.full(n, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        u11 = np.log(
            donnan_ratio_1to1(c_cation=c_plus, c_anion=c_minus, impermeant_charge_mM=X)
        )
    closed = exists & ~(multi > 0) & bool(closed_form)
    u[closed] = u11[closed]
    iterations = np.zeros(n, dtype=np.int64)
    solver_ok = closed.copy()
    todo = np.flatnonzero(exists & ~closed)
    if todo.size:
        if todo.size == n:
            todo = slice(None)  # every row iterates: views instead of gathers
        cols = {v: col[todo] for v, col in charge_cols.items()}
        u[todo], solver_ok[todo], iterations[todo] = _solve_open(
            X[todo], cols, u11[todo], xtol, max_iter
        )
    return _open_result(c, z, X, T, u, g_in, g_out, valid, exists, solver_ok, closed,
                        iterations, xtol)  # fmt: skip


def _in_blocks(c, z, valence, X, T, gamma_in, gamma_out, **options) -> DonnanResult:
    """:func:`donnan_equilibrium` on blocks of :data:`BLOCK_ROWS` rows, joined."""
    n = c.shape[0]
    X_all = np.broadcast_to(np.asarray(X, dtype=float), (n,))
    T_all = np.broadcast_to(np.asarray(T, dtype=float), (n,))
    g = [
        None if gm is None else np.broadcast_to(np.asarray(gm, float), c.shape)
        for gm in (gamma_in, gamma_out)
    ]
    out = {}
    for start in range(0, n, BLOCK_ROWS):
        rows = slice(start, start + BLOCK_ROWS)
        part = donnan_equilibrium(
            c_out=c[rows],
            valence=valence if np.ndim(valence) <= 1 else z[rows],
            impermeant_charge_mM=X_all[rows],
            temperature_K=T_all[rows],
            gamma_in=None if g[0] is None else g[0][rows],
            gamma_out=None if g[1] is None else g[1][rows],
            **options,
        )
        for name in DonnanResult.__dataclass_fields__:
            value = getattr(part, name)
            if value is None:
                out[name] = None
                continue
            if name not in out:
                out[name] = np.empty((n, *value.shape[1:]), dtype=value.dtype)
            out[name][rows] = value
    return DonnanResult(**out)


def _effective_bath(c, gamma_in, gamma_out):
    """Bath concentrations times gamma_out / gamma_in, and the gammas (None: ideal)."""
    if gamma_in is None and gamma_out is None:
        return c, None, None
    g_in = np.broadcast_to(
        np.asarray(1.0 if gamma_in is None else gamma_in, float), c.shape
    )
    g_out = np.broadcast_to(
        np.asarray(1.0 if gamma_out is None else gamma_out, float), c.shape
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        return c * (g_out / g_in), g_in, g_out


def _usable_rows(c_eff, X, T) -> np.ndarray:
    """Rows with every concentration finite and >= 0, X finite and T > 0."""
    n = c_eff.shape[0]
    with np.errstate(invalid="ignore"):
        if c_eff.size and c_eff.min() >= 0 and np.isfinite(c_eff.sum()):
            valid = np.ones(n, dtype=bool)  # fast path: every row is usable
        else:
            valid = (c_eff.min(axis=1, initial=np.inf) >= 0) & np.isfinite(
                c_eff.sum(axis=1)
            )
    return valid & np.isfinite(X) & (T > 0) & np.isfinite(T)


def _solve_open(X, cols, u11, xtol, max_iter):
    r"""Iterate :math:`u = \ln r` for the rows without a closed form.

    ``cols`` maps each valence v to the charge-weighted class sum :math:`|v| S_v`
    per row, ``u11`` is :math:`\ln r_{1:1}` (a bracket end, 0 the other). Solves
    :math:`h(u) = \ln(P + X^+) - \ln(N + X^-) = 0` by Halley steps
    (:func:`iongrad.numerics.solve_monotone`) from h's Newton step at u = 0; see
    :func:`donnan_equilibrium`. Returns u, converged and iterations per row.
    """
    top = max((v for v in cols), default=0)
    bottom = min((v for v in cols), default=0)
    m = X.size
    X_pos, X_neg = np.maximum(X, 0.0), np.maximum(-X, 0.0)

    def fun(x, idx):
        # h(u) = ln(P + X+) - ln(N + X-) with P the cation and N the anion
        # charge sums: the same root as f = P - N + X, and nearly linear in u
        # where one exponential dominates, so Halley's method needs few steps.
        full = idx.size == m
        e = np.exp(x)
        parts = []
        for base, stop, sign, extra in ((e, top, 1, X_pos), (1.0 / e, -bottom,
                                        -1, X_neg)):  # fmt: skip
            total = extra.copy() if full else extra[idx]
            d1 = d2 = None
            power = base
            for k in range(1, stop + 1):
                if k > 1:
                    power = power * base
                if sign * k in cols:
                    col = cols[sign * k]
                    t = col * power if full else col[idx] * power
                    total += t  # sum |v| S e^{vu}
                    if k > 1:
                        t *= k
                    d1 = t.copy() if d1 is None else d1.__iadd__(t)  # derivative
                    if k > 1:
                        t *= k
                    d2 = t if d2 is None else d2.__iadd__(t)  # second derivative
            if d1 is None:
                d1 = d2 = np.zeros_like(x)
            d1 /= total
            d2 /= total
            parts.append((total, d1, d2))
        (_p, p1, p2), (_n, n1, n2) = parts
        h = np.log(_p / _n)
        # d/du ln(P+X+) = P'/(P+X+); d/du ln(N+X-) = -|N'|/(N+X-)
        return h, p1 + n1, (p2 - p1 * p1) - (n2 - n1 * n1)

    lo, hi = np.minimum(0.0, u11), np.maximum(0.0, u11)  # bracket [0, ln r_1:1]
    # Start from the Newton step of h at u = 0, which needs no exponential:
    # h(0) = ln((C+ + X+)/(C- + X-)), h'(0) = sum v^2 S+/(C+ + X+) + (same, -).
    p0, n0 = X_pos.copy(), X_neg.copy()
    p1, n1 = np.zeros(m), np.zeros(m)
    for v, col in cols.items():
        if v > 0:
            p0 += col
            p1 += v * col
        else:
            n0 += col
            n1 -= v * col
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        x0 = -np.log(p0 / n0) / (p1 / p0 + n1 / n0)
        x0 = np.where((x0 > lo) & (x0 < hi), x0, 0.5 * (lo + hi))
        # Halley's error after a step of size s is O(s^3): stop at s <= 1e-6 and
        # let the a posteriori check in _open_result enforce xtol.
        return solve_monotone(
            fun, lo, hi, x0=x0, xtol=max(xtol, HALLEY_STEP_TOL), max_iter=max_iter
        )


def _inside(c, zf, u, ratio_g, X):
    """c_in, net charge and total charge (sum |z| c_in + |X|) at u (rows of c)."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        c_in = np.multiply(zf, u[:, None])
        np.exp(c_in, out=c_in)
        if ratio_g is not None:
            c_in *= ratio_g
        c_in *= c
        charge = np.einsum("ij,ij->i", zf, c_in) + X
        total = np.einsum("ij,ij->i", np.abs(zf), c_in) + np.abs(X)
    return c_in, charge, total


def _open_result(c, z, X, T, u, g_in, g_out, valid, exists, solver_ok, closed, iters,
                 xtol):  # fmt: skip
    zf = z.astype(float)
    ratio_g = None
    if g_in is not None:  # a gamma of 0 or NaN: that row is not usable (invalid)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio_g = np.broadcast_to(g_out / g_in, c.shape)
    c_in, charge, total = _inside(c, zf, u, ratio_g, X)
    # A posteriori: the Newton correction du = f/f' estimates the error in ln r,
    # with f' = sum z^2 c_in >= sum |z| c_in = total - |X|; so |f| <= xtol (total -
    # |X|) proves |du| <= xtol. The (rare) other rows get du exactly and are
    # polished with Newton steps on f itself.
    absX = np.abs(X)
    for _ in range(5):
        with np.errstate(invalid="ignore"):
            again = np.flatnonzero(
                exists & solver_ok & ~(np.abs(charge) <= xtol * (total - absX))
            )
        if again.size == 0:
            break
        zr = zf[again]
        with np.errstate(divide="ignore", invalid="ignore"):
            du = charge[again] / np.einsum("ij,ij->i", zr * zr, c_in[again])
        ok = np.abs(du) <= xtol  # the exact test passes
        fix = again[~ok]
        if fix.size == 0:
            break
        u[fix] -= du[~ok]
        rg = None if ratio_g is None else ratio_g[fix]
        c_in[fix], charge[fix], total[fix] = _inside(
            c[fix], zf[fix], u[fix], rg, X[fix]
        )
    else:  # still not within xtol after the polish steps
        with np.errstate(divide="ignore", invalid="ignore"):
            du = charge / np.einsum("ij,ij->i", zf * zf, c_in)
        solver_ok = solver_ok & (np.abs(du) <= xtol)
    with np.errstate(divide="ignore", invalid="ignore"):
        residual = np.where(total > 0, charge / total, charge)
    converged = exists & solver_ok & (np.abs(residual) <= RESIDUAL_RTOL)
    status = np.full(u.shape, OK, dtype=np.int8)
    status[~converged] = NOT_CONVERGED
    status[~exists] = NO_EQUILIBRIUM
    status[~valid] = INVALID
    with np.errstate(over="ignore", invalid="ignore"):
        ratio, potential = np.exp(u), -thermal_voltage_mV(T) * u
    # r beyond float range (u > 709) or an inside concentration that overflowed:
    # never "ok" with a number that is not one.
    not_finite = (status == OK) & ~(
        np.isfinite(ratio) & np.isfinite(potential) & np.isfinite(total)
    )
    if not_finite.any():
        status[not_finite] = NOT_FINITE
        converged = converged & ~not_finite
    bad = status != OK
    if bad.any():
        ratio = np.where(bad, np.nan, ratio)
        potential = np.where(bad, np.nan, potential)
        c_in[bad] = np.nan
    return DonnanResult(
        ratio=ratio,
        potential_mV=potential,
        c_in_mM=c_in,
        residual=np.where(bad, np.nan, residual),
        residual_mM=np.where(bad, np.nan, charge),
        converged=converged,
        status=status,
        iterations=iters,
        closed_form=closed & converged,
        gamma_in=None if g_in is None else np.array(g_in),
        gamma_out=None if g_out is None else np.array(g_out),
    )


# ------------------------------------------------------ activity-aware Donnan
def _impermeant_species(X, impermeant_valence):
    """The impermeant species as an ionic-strength-equivalent ``A-`` entry."""
    zA = np.abs(np.asarray(impermeant_valence, dtype=float))
    # c_A = |X|/|z_A| particles contribute c_A z_A^2 / 2 = |X||z_A|/2 to I; a
    # monovalent stand-in "A-" at |X||z_A| contributes the same.
    return {"A-": np.abs(X) * np.where(zA > 0, zA, 1.0)}


def donnan_equilibrium_activity(
    *,
    ions: Sequence[str],
    c_out,
    impermeant_charge_mM,
    temperature_K,
    gamma_fn: GammaFn,
    impermeant_c_mM_by_ion: Mapping[str, np.ndarray] | None = None,
    impermeant_valence=-1.0,
    gamma_tol: float = GAMMA_TOL,
    max_gamma_iter: int = 50,
    xtol=XTOL_LN_R,
) -> DonnanResult:
    r"""Donnan equilibrium for activities, gammas iterated to self-consistency.

    Parameters
    ----------
    ions : sequence of str, length k
        Canonical symbols of the permeant ions (valences come from the registry).
    c_out : array_like, shape (n, k) or (k,)
        Bath concentrations, [mM] or [mmol/kg] as the activity model expects.
    impermeant_charge_mM : array_like, shape (n,)
        Impermeant charge concentration inside X, [mM of charge].
    temperature_K : array_like, shape (n,)
        Absolute temperature, [K].
    gamma_fn : callable
        ``gamma_fn(c_mM_by_ion, temperature_K) -> gamma_by_ion`` (:data:`GammaFn`):
        single-ion activity coefficients of one compartment from all its species.
    impermeant_c_mM_by_ion : mapping, optional
        The impermeant species inside by symbol, arrays of shape (n,), [mM]. Default:
        one entry ``"A-"`` whose ionic-strength contribution equals that of
        :math:`|X|/|z_A|` particles of valence ``impermeant_valence``.
    impermeant_valence : float
        Mean valence z_A of the impermeant species (default -1), [-].
    gamma_tol : float
        Stop when :math:`\max |\Delta \ln\gamma_{in}| \le` ``gamma_tol``, [-].
    max_gamma_iter : int
        Limit of the activity-coefficient iteration.
    xtol : float
        Tolerance on ln r of each inner solve, [-].

    Returns
    -------
    DonnanResult
        As :func:`donnan_equilibrium`, with ``gamma_in``, ``gamma_out``,
        ``activity_converged`` and ``activity_iterations`` filled in; ``converged``
        requires both the inner solve and the gamma iteration to converge.

    Notes
    -----
    Equilibrium of each permeant ion for activities :math:`a = \gamma c`:

    .. math:: \gamma_{in,i} c_{in,i} = \gamma_{out,i} c_{out,i}\, r^{z_i},
              \qquad \sum_i z_i c_{in,i} + X = 0

    (electroneutrality is for concentrations). :math:`\gamma_{out}` is computed once
    from the bath; :math:`\gamma_{in}` starts equal to it and is recomputed from the
    predicted inside composition (impermeant species included, as they count in
    the ionic strength) until it stops changing (fixed-point iteration). The
    potential is still :math:`V_D = -(RT/F)\ln r` and equals every ion's
    activity-based Nernst potential. The model's validity range is the model's
    business (its ``gamma_fn``); this function only iterates.

    References
    ----------
    .. [1] R. A. Robinson and R. H. Stokes, *Electrolyte Solutions*, 2nd ed.,
       Butterworths, 1959, ch. 2 (activity and equilibrium across a membrane).
    .. [2] F. G. Donnan, Chem. Rev. 1, 73-90 (1924).
    """
    ions = [lookup(s).symbol for s in ions]
    z = np.array([lookup(s).valence for s in ions], dtype=np.int64)
    c, z2 = _as_2d(c_out, z)
    n = c.shape[0]
    X = np.broadcast_to(np.asarray(impermeant_charge_mM, dtype=float), (n,))
    T = np.broadcast_to(np.asarray(temperature_K, dtype=float), (n,))
    if impermeant_c_mM_by_ion is None:
        impermeant = _impermeant_species(X, impermeant_valence)
    else:
        impermeant = {
            k: np.broadcast_to(np.asarray(v, float), (n,))
            for k, v in impermeant_c_mM_by_ion.items()
        }

    def gammas(c_by_column, extra):
        if not ions:  # no permeant ion: nothing to correct (no equilibrium either)
            return np.ones((n, 0))
        comp = {s: c_by_column[:, j] for j, s in enumerate(ions)}
        for key, value in extra.items():
            comp[key] = comp.get(key, 0.0) + value
        out = gamma_fn(comp, T)
        return np.stack([np.broadcast_to(out[s], (n,)) for s in ions], axis=1)

    g_out = gammas(c, {})
    g_in = g_out.copy()
    done = np.zeros(n, dtype=bool)
    act_iter = np.zeros(n, dtype=np.int64)
    res = donnan_equilibrium(c_out=c, valence=z2, impermeant_charge_mM=X,
                             temperature_K=T, gamma_in=g_in, gamma_out=g_out,
                             xtol=xtol)  # fmt: skip
    for _ in range(max_gamma_iter):
        act_iter[~done] += 1
        c_in = np.where(np.isfinite(res.c_in_mM), res.c_in_mM, 0.0)
        g_new = gammas(c_in, impermeant)
        with np.errstate(divide="ignore", invalid="ignore"):
            change = np.max(np.abs(np.log(g_new / g_in)), axis=1, initial=0.0)
        g_in = np.where(done[:, None], g_in, g_new)
        newly = ~done & (change <= gamma_tol)
        res = donnan_equilibrium(c_out=c, valence=z2, impermeant_charge_mM=X,
                                 temperature_K=T, gamma_in=g_in, gamma_out=g_out,
                                 xtol=xtol)  # fmt: skip
        done |= newly | (res.status != OK)
        if done.all():
            break
    act_ok = done & (res.status == OK)
    converged = res.converged & act_ok
    status = res.status.copy()
    status[(status == OK) & ~act_ok] = NOT_CONVERGED
    return DonnanResult(
        ratio=res.ratio,
        potential_mV=res.potential_mV,
        c_in_mM=res.c_in_mM,
        residual=res.residual,
        residual_mM=res.residual_mM,
        converged=converged,
        status=status,
        iterations=res.iterations,
        closed_form=res.closed_form & converged,
        gamma_in=g_in,
        gamma_out=g_out,
        activity_converged=act_ok,
        activity_iterations=act_iter,
    )


def activity_gamma_fn(model: str, *, scale: str = "molal", **model_params) -> GammaFn:
    """Build a :data:`GammaFn` from an :mod:`iongrad.physics.activity` model name.

    Parameters
    ----------
    model : str
        Activity model name, one of :data:`iongrad.physics.activity.MODELS`.
    scale : str
        Scale of the concentrations: ``"molal"`` ([mmol/kg]) or ``"molar"`` ([mM],
        converted with :func:`iongrad.physics.ionic_strength.molar_to_molal`).
    **model_params
        Passed to the activity model.

    Returns
    -------
    callable
        ``gamma_fn(c_by_ion, temperature_K) -> gamma_by_ion``: single-ion activity
        coefficients (MacInnes convention) of every species given, for all samples
        at once (one sample per array element; the ionic strength sums every
        species given). A sample with a negative concentration gets NaN; a NaN
        concentration is left out of the ionic strength.

    Raises
    ------
    ValueError
        Unknown model, parameter or scale.

    Notes
    -----
    Equations as :func:`iongrad.physics.activity.activity_coefficients_long`, the
    activity model evaluated on arrays (no table is built per solver iteration).

    Examples
    --------
    >>> fn = activity_gamma_fn("davies", scale="molar")
    >>> g = fn({"K+": [100.0], "Cl-": [100.0]}, [298.15])
    >>> round(float(g["K+"][0]), 3), round(float(g["Cl-"][0]), 3)
    (0.781, 0.781)
    """
    check_model(model, DEFAULT_CONVENTION, model_params)
    if scale not in ("molal", "molar"):
        raise ValueError(
            f"activity_gamma_fn: concentration scale {scale!r} is not 'molal' or "
            "'molar'"
        )

    def gamma_fn(c_by_ion, temperature_K):
        symbols = list(c_by_ion)
        k = len(symbols)
        if k == 0:
            return {}
        T = np.asarray(temperature_K, dtype=float).reshape(-1)
        n = T.size
        # One element per sample x species, species by species (the order in which
        # the ionic strength is summed).
        c = np.stack(
            [np.broadcast_to(np.asarray(c_by_ion[s], float), (n,)) for s in symbols]
        ).reshape(-1)
        T_el = np.tile(T, k)
        m = c / 1000.0 if scale == "molal" else molar_to_molal(c, T_el)
        ions = [lookup(s) for s in symbols]
        res = activity_coefficients_long(
            molality=m,
            ion=np.repeat(np.arange(k), n),
            ions=[ion.symbol for ion in ions],
            valence=np.repeat([float(ion.valence) for ion in ions], n),
            solution=np.tile(np.arange(n), k),
            temperature_K=T,
            model=model,
            **model_params,
        )
        gamma = res.gamma.reshape(k, n)
        return {s: gamma[j] for j, s in enumerate(symbols)}

    return gamma_fn


# ------------------------------------------------------------- closed system
@dataclass(frozen=True)
class ClosedDonnanResult:
    """Two-compartment (closed) Donnan equilibrium per sample.

    Attributes
    ----------
    ratio : numpy.ndarray
        Donnan ratio r with :math:`c_{1,i} = c_{2,i} r^{z_i}`, [-].
    potential_mV : numpy.ndarray
        :math:`\\phi_1 - \\phi_2 = -(RT/F)\\ln r`, [mV].
    c1_mM, c2_mM : numpy.ndarray
        Final concentrations of the permeant ions, shape (n, k), [mM].
    residual1, residual2 : numpy.ndarray
        Electroneutrality residual of each compartment relative to its total
        charge concentration, [-].
    converged : numpy.ndarray of bool
        Solver converged and both residuals at most :data:`RESIDUAL_RTOL`.
    status : numpy.ndarray of int8
        Index into :data:`DONNAN_STATUS`.
    """

    ratio: np.ndarray
    potential_mV: np.ndarray
    c1_mM: np.ndarray
    c2_mM: np.ndarray
    residual1: np.ndarray
    residual2: np.ndarray
    converged: np.ndarray
    status: np.ndarray


def donnan_closed(
    *,
    c1_mM,
    c2_mM,
    valence,
    volume1_L,
    volume2_L,
    impermeant_charge1_mM,
    impermeant_charge2_mM=0.0,
    temperature_K,
    xtol=XTOL_LN_R,
    max_iter=200,
) -> ClosedDonnanResult:
    r"""Donnan equilibrium between two finite compartments with conserved amounts.

    Parameters
    ----------
    c1_mM, c2_mM : array_like, shape (n, k) or (k,)
        Initial concentrations of the permeant ions in compartment 1 (the "inside",
        with the impermeant species) and compartment 2, [mM].
    valence : array_like of int, shape (k,) or (n, k)
        Charge numbers of the permeant ions, [-].
    volume1_L, volume2_L : array_like, shape (n,)
        Compartment volumes (fixed: no water movement), [L].
    impermeant_charge1_mM, impermeant_charge2_mM : array_like, shape (n,)
        Impermeant charge concentration in each compartment, [mM of charge].
    temperature_K : array_like, shape (n,)
        Absolute temperature, [K].
    xtol : float
        Tolerance on ln r, [-].
    max_iter : int
        Iteration limit.

    Returns
    -------
    ClosedDonnanResult
        Final concentrations on both sides, r, :math:`\phi_1 - \phi_2`, residuals.

    Notes
    -----
    The amount :math:`n_i = c_{1,i} V_1 + c_{2,i} V_2` of each permeant ion is
    conserved and at equilibrium :math:`c_{1,i} = c_{2,i} r^{z_i}`, so
    :math:`c_{1,i} = n_i / (V_1 + V_2 e^{-z_i u})` with :math:`u = \ln r`.
    Electroneutrality of compartment 1,

    .. math:: g(u) = \sum_i \frac{z_i n_i}{V_1 + V_2 e^{-z_i u}} + X_1 = 0,

    is increasing in u (every term is), so the root is unique; it is bracketed by
    doubling an interval around 0 and refined by
    :func:`iongrad.numerics.solve_monotone`.
    Compartment 2 is then neutral if the whole system is, which ``residual2``
    checks (a non-neutral start gives ``"not_converged"``). With
    :math:`V_2 \to \infty` this reduces to the open system. Ideal solutions (no
    activity coefficients), natural log, no water movement (the osmotic imbalance
    is left as is).

    References
    ----------
    .. [1] F. G. Donnan, Chem. Rev. 1, 73-90 (1924): the two-compartment experiment
       (NaR | NaCl) and its equilibrium.
    .. [2] W. F. Boron and E. L. Boulpaep, *Medical Physiology*, 3rd ed., Elsevier,
       2017, ch. 5 (Gibbs-Donnan equilibrium, fig. 5-8).

    Examples
    --------
    Side 1: 100 mM K+A-; side 2: 100 mM KCl; equal volumes; 25 degC:

    >>> res = donnan_closed(c1_mM=[100.0, 0.0], c2_mM=[100.0, 100.0], valence=[1, -1],
    ...                     volume1_L=1.0, volume2_L=1.0, impermeant_charge1_mM=-100.0,
    ...                     temperature_K=298.15)
    >>> round(float(res.ratio[0]), 9), round(float(res.potential_mV[0]), 2)
    (2.0, -17.81)
    """
    c1, z = _as_2d(c1_mM, valence)
    c2 = np.broadcast_to(np.array(c2_mM, dtype=float, ndmin=2), c1.shape)
    n = c1.shape[0]
    V1 = np.broadcast_to(np.asarray(volume1_L, float), (n,))
    V2 = np.broadcast_to(np.asarray(volume2_L, float), (n,))
    X1 = np.broadcast_to(np.asarray(impermeant_charge1_mM, float), (n,))
    X2 = np.broadcast_to(np.asarray(impermeant_charge2_mM, float), (n,))
    T = np.broadcast_to(np.asarray(temperature_K, float), (n,))
    # Amounts near the float limits overflow inside the solve; such rows end up
    # invalid, unconverged or "not_finite", which their status says.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return _closed(c1, c2, z, V1, V2, X1, X2, T, xtol, max_iter)


def _closed(c1, c2, z, V1, V2, X1, X2, T, xtol, max_iter) -> ClosedDonnanResult:
    """The body of :func:`donnan_closed` (inputs broadcast to rows)."""
    n = c1.shape[0]
    amount = c1 * V1[:, None] + c2 * V2[:, None]
    valid = np.all(np.isfinite(amount) & (c1 >= 0) & (c2 >= 0), axis=1)
    valid &= (V1 > 0) & (V2 > 0) & np.isfinite(X1) & np.isfinite(X2) & (T > 0)
    amount = np.where(valid[:, None], amount, 0.0)
    # g ranges over (X1 - anion charge/V1, X1 + cation charge/V1).
    cat = np.where(z > 0, z * amount, 0.0).sum(axis=1) / np.where(valid, V1, 1.0)
    an = np.where(z < 0, -z * amount, 0.0).sum(axis=1) / np.where(valid, V1, 1.0)
    exists = valid & (X1 - an < 0) & (X1 + cat > 0)
    idx_all = np.flatnonzero(exists)
    a_t, z_t = amount[idx_all], z[idx_all]
    V1_t, V2_t, X1_t = V1[idx_all], V2[idx_all], X1[idx_all]

    def fun(x, idx):
        with np.errstate(over="ignore"):
            e = np.exp(-z_t[idx] * x[:, None])
        den = V1_t[idx, None] + V2_t[idx, None] * e
        f = (z_t[idx] * a_t[idx] / den).sum(axis=1) + X1_t[idx]
        with np.errstate(invalid="ignore"):
            term = z_t[idx] ** 2 * a_t[idx] * V2_t[idx, None] * e / den**2
        d = np.where(np.isfinite(term), term, 0.0).sum(axis=1)
        return f, d

    m = idx_all.size
    lo, hi = np.full(m, -1.0), np.full(m, 1.0)
    every = np.arange(m)
    for _ in range(64):  # expand until f(lo) <= 0 <= f(hi); terminates as g has root
        f_lo, _d = fun(lo, every)
        f_hi, _d = fun(hi, every)
        grow_lo, grow_hi = f_lo > 0, f_hi < 0
        if not (grow_lo.any() or grow_hi.any()):
            break
        lo = np.where(grow_lo, 2 * lo, lo)
        hi = np.where(grow_hi, 2 * hi, hi)
    u = np.full(n, np.nan)
    ok = np.zeros(n, dtype=bool)
    if m:
        u_t, ok_t, _it = solve_monotone(fun, lo, hi, xtol=xtol, max_iter=max_iter)
        u[idx_all], ok[idx_all] = u_t, ok_t
    return _closed_result(amount, z, u, ok, V1, V2, X1, X2, T, valid, exists)


def _closed_result(amount, z, u, ok, V1, V2, X1, X2, T, valid, exists):
    """Final concentrations, residuals of both compartments and status at u = ln r."""
    n = u.size
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        e = np.exp(-z * u[:, None])
        c1_eq = amount / (V1[:, None] + V2[:, None] * e)
        c2_eq = (amount - c1_eq * V1[:, None]) / V2[:, None]
        q1 = (z * c1_eq).sum(axis=1) + X1
        q2 = (z * c2_eq).sum(axis=1) + X2
        s1 = (np.abs(z) * c1_eq).sum(axis=1) + np.abs(X1)
        s2 = (np.abs(z) * c2_eq).sum(axis=1) + np.abs(X2)
        r1 = np.where(s1 > 0, q1 / s1, q1)
        r2 = np.where(s2 > 0, q2 / s2, q2)
    converged = exists & ok & (np.abs(r1) <= RESIDUAL_RTOL)
    converged &= np.abs(r2) <= RESIDUAL_RTOL
    status = np.full(n, OK, dtype=np.int8)
    status[~converged] = NOT_CONVERGED
    status[~exists] = NO_EQUILIBRIUM
    status[~valid] = INVALID
    with np.errstate(over="ignore", invalid="ignore"):
        ratio, potential = np.exp(u), -thermal_voltage_mV(T) * u
    not_finite = (status == OK) & ~(np.isfinite(ratio) & np.isfinite(potential))
    status[not_finite] = NOT_FINITE  # never "ok" with a number that is not one
    converged &= ~not_finite
    bad = ~exists | not_finite
    return ClosedDonnanResult(
        ratio=np.where(bad, np.nan, ratio),
        potential_mV=np.where(bad, np.nan, potential),
        c1_mM=np.where(bad[:, None], np.nan, c1_eq),
        c2_mM=np.where(bad[:, None], np.nan, c2_eq),
        residual1=np.where(bad, np.nan, r1),
        residual2=np.where(bad, np.nan, r2),
        converged=converged,
        status=status,
    )
