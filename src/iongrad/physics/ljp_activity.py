r"""Activity-corrected stationary Nernst-Planck liquid junction potentials.

The ideal model of :mod:`iongrad.physics.ljp` drives each ion by the gradient of its
concentration; here it is driven by the gradient of its activity
:math:`a_i = \gamma_i c_i`, with :math:`\gamma_i` from a Debye-Hueckel-family model
(:mod:`iongrad.physics.activity`) at the local ionic strength. In a junction
:math:`0 \le x \le 1` from the pipette (0) to the bath (1), with
:math:`\psi = F\phi/RT`:

.. math::
    J_i = -D_i\,\bigl(c_i' + c_i\,(\ln\gamma_i)' + z_i c_i\,\psi'\bigr)
    = \text{const},\qquad \sum_i z_i c_i = 0,\qquad \sum_i z_i J_i = 0,

and :math:`V_L = (RT/F)\,[\psi(1) - \psi(0)]` (bath with respect to pipette, the
sign convention of :mod:`iongrad.physics.ljp`). The activity coefficients of these
models depend on the ionic strength only, :math:`\ln\gamma_i = g_i(I)`, so
:math:`(\ln\gamma_i)' = g_i'(I)\,I'` with :math:`I = \tfrac12\sum_j z_j^2 m_j`: at each
point, :math:`I'` and :math:`\psi'` follow from two linear equations (the derivative
of electroneutrality, and of the definition of :math:`I`), and the profiles solve a
two-point boundary value problem (:func:`scipy.integrate.solve_bvp`, collocation)
with the fluxes as unknown parameters. With :math:`\gamma_i = 1` it is the ideal
model, which :func:`iongrad.physics.ljp.nernst_planck_ljp` solves exactly; the tests
hold the two together. For one salt of ions with equal :math:`\gamma` it gives
Planck's closed form with activities in place of concentrations (the tests hold
that too).

Pitzer's model is not offered: its coefficients depend on the composition, not on
the ionic strength alone. Concentrations in mM are taken as mmol/kg for the ionic
strength (the activity models' molality), a difference below 1 % at physiological
strengths.

References
----------
.. [1] M. Planck, Ann. Phys. 276, 561-576 (1890) (the stationary equations).
.. [2] M. Marino et al., arXiv:1403.3640 (2014) (the electroneutral stationary
   Nernst-Planck model of JLJP and LJPcalc).
.. [3] P. H. Barry, J. Neurosci. Methods 51, 107-116 (1994) (JPCalc: activity
   coefficients in junction potential calculations).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.integrate import solve_bvp

from iongrad.constants import thermal_voltage_mV
from iongrad.physics import activity

__all__ = [
    "ACTIVITY_MODELS",
    "ActivityModelError",
    "ln_gamma_of_ionic_strength",
    "nernst_planck_activity_ljp",
]

#: Activity models whose coefficients depend on the ionic strength only.
ACTIVITY_MODELS = ("debye-huckel", "extended-debye-huckel", "davies", "truesdell-jones")


class ActivityModelError(ValueError):
    """An activity model that cannot correct a junction, or lacks an ion's
    parameters (the message names the model and the ions)."""


def ln_gamma_of_ionic_strength(
    model: str, symbols, temperature_K: float
) -> Callable[[np.ndarray], np.ndarray]:
    """``I -> ln gamma`` (ionic strength [mol/kg], shape (m,) -> shape (k, m)) of
    ``symbols`` under ``model``: :func:`activity.ln_gamma_of_ionic_strength` (each
    model's equation and reference at its function there), restricted to the
    models whose coefficients depend on the ionic strength only.

    Raises
    ------
    ActivityModelError
        A model outside :data:`ACTIVITY_MODELS`, or ions without the model's
        parameters (named).
    """
    if model not in ACTIVITY_MODELS:
        raise ActivityModelError(
            f"activity model {model!r} cannot correct a junction potential; "
            f"expected one of {ACTIVITY_MODELS} (their coefficients depend on the "
            "ionic strength only)"
        )
    try:
        return activity.ln_gamma_of_ionic_strength(model, symbols, temperature_K)
    except ValueError as err:
        raise ActivityModelError(f"{err}; choose davies, which needs none") from None


def nernst_planck_activity_ljp(
    *, c_pipette, c_bath, valence, mobility, temperature_K: float,
    ln_gamma: Callable[[np.ndarray], np.ndarray], ideal_ljp_mV: float,
    tol: float = 1e-8, nodes: int = 41,
) -> tuple[float, bool]:  # fmt: skip
    r"""Junction potential of one junction with activity-driven fluxes.

    Parameters
    ----------
    c_pipette, c_bath : array_like, shape (k,)
        Concentrations of k charged ions, [mM] (read as mmol/kg for the ionic
        strength); each solution electroneutral.
    valence : array_like of int, shape (k,)
        Charge numbers, nonzero, [-].
    mobility : array_like, shape (k,)
        Mobilities in any one unit (only ratios enter).
    temperature_K : float
        Absolute temperature, [K].
    ln_gamma : callable
        Ionic strength [mol/kg], shape (m,) -> ln gamma, shape (k, m)
        (:func:`ln_gamma_of_ionic_strength`).
    ideal_ljp_mV : float
        The ideal junction's potential (the first guess), [mV].
    tol : float
        Tolerance of :func:`scipy.integrate.solve_bvp`.
    nodes : int
        Initial mesh points.

    Returns
    -------
    (float, bool)
        :math:`V_L = \phi_{bath} - \phi_{pipette}` [mV], and whether the solver
        converged (NaN when not).

    Notes
    -----
    Solves the module's equations: per ion
    :math:`J_i = -u_i (c_i' + c_i (\ln\gamma_i)' + z_i c_i \psi')` constant, with
    :math:`\sum_i z_i c_i = 0`, :math:`\sum_i z_i J_i = 0` and
    :math:`V_L = (RT/F)[\psi(1) - \psi(0)]`, concentrations scaled by their largest
    value; :math:`d\ln\gamma/dI` by a central difference of step
    :math:`10^{-6} + 10^{-4} I` [mol/kg]. References: Planck (1890) [1]_, Marino et
    al. (2014) [2]_, Barry (1994) [3]_ (module docstring).
    """
    cp = np.asarray(c_pipette, dtype=float)
    cb = np.asarray(c_bath, dtype=float)
    z = np.asarray(valence, dtype=float)
    u = np.asarray(mobility, dtype=float)
    k = len(z)
    scale = max(cp.max(), cb.max())
    cp, cb = cp / scale, cb / scale
    kappa = 0.5 * scale / 1000.0  # I [mol/kg] per unit of sum z^2 c (scaled)
    last = int(
        np.argmax(np.abs(z) * (cp + cb))
    )  # its bath value follows from neutrality
    others = [i for i in range(k) if i != last]

    def fluxes(p):
        j = np.empty(k)
        j[others] = p
        j[last] = -(z[others] @ p) / z[last]  # zero current
        return j

    def dlngamma_dI(ionic):
        h = 1e-6 + 1e-4 * ionic
        return (ln_gamma(ionic + h) - ln_gamma(np.maximum(ionic - h, 0.0))) / (
            ionic + h - np.maximum(ionic - h, 0.0)
        )

    def rhs(x, y, p):
        c = np.maximum(y[:k], 0.0)
        a = (-fluxes(p) / u)[:, None]  # c' + c (ln gamma)' + z c psi'
        g = dlngamma_dI(kappa * (z**2 @ c))
        zc, z2c, z3c = z[:, None] * c, z[:, None] ** 2 * c, z[:, None] ** 3 * c
        # electroneutrality:  sum z a - I' sum z c g - psi' sum z^2 c = 0
        # ionic strength:     I' (1 + kappa sum z^2 c g) + psi' kappa sum z^3 c
        #                     = kappa sum z^2 a
        m11, m12 = (zc * g).sum(0), z2c.sum(0)
        m21, m22 = 1 + kappa * (z2c * g).sum(0), kappa * z3c.sum(0)
        r1 = (z[:, None] * a).sum(0) * np.ones(c.shape[1])
        r2 = kappa * (z[:, None] ** 2 * a).sum(0) * np.ones(c.shape[1])
        det = m11 * m22 - m12 * m21
        d_ionic = (r1 * m22 - m12 * r2) / det
        d_psi = (m11 * r2 - m21 * r1) / det
        dc = a - c * g * d_ionic - z[:, None] * c * d_psi
        return np.vstack([dc, d_psi])

    def bc(ya, yb, p):
        return np.concatenate([ya[:k] - cp, yb[others] - cb[others], [ya[k]]])

    vt = float(thermal_voltage_mV(temperature_K))  # RT/F [mV]
    psi_end = float(ideal_ljp_mV) / vt
    x = np.linspace(0.0, 1.0, nodes)
    c0 = cp[:, None] + (cb - cp)[:, None] * x[None, :]
    y0 = np.vstack([c0, psi_end * x])
    p0 = (-u * ((cb - cp) + z * 0.5 * (cp + cb) * psi_end))[others]
    sol = solve_bvp(rhs, bc, x, y0, p=p0, tol=tol, max_nodes=20000)
    if sol.status != 0:
        return float("nan"), False
    return float(sol.y[k, -1]) * vt, True
