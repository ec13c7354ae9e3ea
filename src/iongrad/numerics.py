r"""Root finding shared by the physics solvers: many monotone equations at once.

:func:`solve_monotone` solves one increasing scalar equation per row for a whole
array of rows (the Donnan ratio of every sample, the GHK resting potential of every
sample), dropping rows from the work arrays as they converge.
"""

from __future__ import annotations

import numpy as np

__all__ = ["MAX_ITER", "XTOL", "solve_monotone"]

#: Default absolute tolerance on x; for x = ln r it is a relative tolerance on r.
XTOL: float = 1e-12
#: Default iteration limit (at least one bisection per iteration, so 200 halvings
#: reach any float64 bracket).
MAX_ITER: int = 200


def solve_monotone(fun, lo, hi, x0=None, *, xtol=XTOL, max_iter=MAX_ITER):
    r"""Solve f(x) = 0 for many increasing functions at once (safeguarded Newton).

    Parameters
    ----------
    fun : callable
        ``fun(x, idx) -> (f, dfdx)`` or ``(f, dfdx, d2fdx2)`` evaluates the functions
        of rows ``idx`` at ``x`` (both 1-D arrays of the same length); each f must be
        increasing in x. With the second derivative the step is Halley's.
    lo, hi : array_like
        Bracket per row with f(lo) <= 0 <= f(hi), [units of x].
    x0 : array_like, optional
        Starting point per row (clipped into the bracket); default the midpoint.
    xtol : float
        Absolute tolerance on x, [units of x]. For x = ln r it is a relative
        tolerance on r.
    max_iter : int
        Iteration limit.

    Returns
    -------
    x : numpy.ndarray
        Root per row.
    converged : numpy.ndarray of bool
        The last step (or the bracket width) was at most ``xtol``.
    iterations : numpy.ndarray of int64
        Function evaluations per row.

    Notes
    -----
    Each iteration takes the Newton step :math:`x - f/f'` (or Halley's,
    :math:`x - (f/f') / (1 - f f''/(2 f'^2))`, when ``fun`` gives f'') and falls back
    to bisection of the current bracket when the step leaves it (or f' = 0), so
    convergence is guaranteed (at least one halving per iteration) and quadratic
    (cubic for Halley) near the root. A monotone f has one root in the bracket, and
    bracketing it makes the tolerance a bound on the error, not only on the last
    step. Rows are dropped from the work arrays as they converge.

    References
    ----------
    .. [1] W. H. Press et al., *Numerical Recipes*, 3rd ed., Cambridge University
       Press, 2007, section 9.4 ("rtsafe": Newton-Raphson with bisection) and
       section 9.4.2 (Halley's method).

    Examples
    --------
    >>> x, ok, _ = solve_monotone(lambda x, i: (x**3 - 8.0, 3 * x**2), [0.0], [5.0])
    >>> float(x[0]), bool(ok[0])
    (2.0, True)
    """
    lo = np.array(lo, dtype=float, ndmin=1)
    hi = np.array(hi, dtype=float, ndmin=1)
    x = 0.5 * (lo + hi) if x0 is None else np.array(x0, dtype=float, ndmin=1)
    x = np.clip(x, lo, hi)
    converged = np.zeros(x.shape, dtype=bool)
    iterations = np.zeros(x.shape, dtype=np.int64)
    pos = np.flatnonzero(np.isfinite(x))  # rows still iterating (compact arrays)
    xa, la, ha = x[pos], lo[pos], hi[pos]
    for it in range(1, max_iter + 1):
        if pos.size == 0:
            break
        out = fun(xa, pos)
        f, d = out[0], out[1]
        la = np.where(f < 0, xa, la)
        ha = np.where(f > 0, xa, ha)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            step = f / d
            if len(out) > 2:  # Halley's correction where it is well conditioned
                denom = 1.0 - 0.5 * step * out[2] / d
                step = np.where(denom > 0.5, step / denom, step)
            xn = xa - step
        # A step below xtol is taken as is (at a bracket end it may leave the
        # bracket by rounding); a larger step must land inside, else bisect.
        small = np.abs(step) <= xtol  # False for NaN steps
        inside = (xn > la) & (xn < ha)
        xn = np.where(inside | small, xn, 0.5 * (la + ha))
        exact = f == 0
        xn[exact] = xa[exact]
        done = exact | small | (ha - la <= xtol)
        if done.any():
            fin = pos[done]
            x[fin], converged[fin], iterations[fin] = xn[done], True, it
            keep = ~done
            pos, xa, la, ha = pos[keep], xn[keep], la[keep], ha[keep]
        else:
            xa = xn
    x[pos], iterations[pos] = xa, max_iter
    return x, converged, iterations
