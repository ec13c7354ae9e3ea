r"""Single-ion activity coefficients for activity-corrected Nernst potentials.

Models (selected by name, never substituted silently):

==========================  ====================================================
``ideal``                   :math:`\gamma = 1`
``debye-huckel``            limiting law :math:`\log_{10}\gamma = -A z^2\sqrt I`
``extended-debye-huckel``   :math:`-A z^2\sqrt I/(1 + B a\sqrt I)`, Kielland (1937) a
``davies``                  :math:`-A z^2[\sqrt I/(1+\sqrt I) - c I]`, c = 0.3 default
``truesdell-jones``         :math:`-A z^2\sqrt I/(1 + B a\sqrt I) + b I` (default)
``pitzer``                  Harvie-Moller-Weare mixture form
(:mod:`iongrad.physics.pitzer`)
==========================  ====================================================

Ionic strength :math:`I = \tfrac12\sum_i m_i z_i^2` is computed per solution (sample x
compartment) from *every* charged species in it, impermeant ones included, on the
molal scale; millimolar inputs are converted with :func:`iongrad.physics.ionic_strength.
molar_to_molal` (dilute-solution assumption) and the output says which scale was used.
A and B come from water's permittivity and density at the sample temperature
(:mod:`iongrad.physics.water`).

Validity: each model's stated ionic-strength range is a named constant below
(:data:`MODEL_MAX_IONIC_STRENGTH`, with references) and every output row says whether
its solution is inside it; under Pitzer every salt must also be inside the molality
its parameters were fitted to (``max_molality`` of ``pitzer_binary.csv``), and a
note names any salt beyond it. An ion without parameters in the chosen model gets NaN
with the reason; no other model is ever used in its place.

Convention (default ``"macinnes"``). Single-ion activity coefficients cannot be
measured; only electroneutral combinations (mean activity coefficients) can. Any
choice of single-ion values differs from another by :math:`\ln\gamma_i \to
\ln\gamma_i - z_i\,\delta(\text{solution})` with one :math:`\delta` per solution.
The MacInnes convention fixes :math:`\delta` by :math:`\gamma_{Cl^-} =
\gamma_\pm(\mathrm{KCl})` at the solution's ionic strength (computed with the same
model), which makes :math:`\gamma_{K^+} = \gamma_{Cl^-} = \gamma_\pm(\mathrm{KCl})` in
pure KCl. For the Debye-Hueckel family with iongrad's parameters (K+ and Cl- share a
and b) the shift is exactly zero; for Pitzer it rescales the HMW single-ion values
(as PHREEQC does). ``"unscaled"`` returns the model's own single-ion values.

What it means for activity-based Nernst potentials: with
:math:`E_i = \frac{RT}{z_iF}\ln\frac{\gamma_{i,out}c_{i,out}}{\gamma_{i,in}c_{i,in}}`
a change of convention shifts *every* ion's E by the same voltage
:math:`(RT/F)(\delta_{in} - \delta_{out})`, independent of z. Differences between
ions' Nernst potentials (and anything built from electroneutral combinations) are
convention-free; comparing an activity-based E with a measured Vm or reversal
potential is not, and the convention is named in every output for that reason. Under
MacInnes the shift is zero for K+ and Cl- in KCl-like solutions, which is also the
convention behind K+/Cl- ion-selective electrodes calibrated in KCl.

References
----------
.. [1] D. A. MacInnes, "The activities of the ions of strong electrolytes", J. Am.
   Chem. Soc. 41, 1086-1092 (1919).
.. [2] W. Stumm and J. J. Morgan, *Aquatic Chemistry*, 3rd ed., Wiley, 1996,
   Table 3.3 (validity ranges of the Debye-Hueckel family).
.. [3] A. H. Truesdell and B. F. Jones, "WATEQ, a computer program for calculating
   chemical equilibria of natural waters", J. Res. U.S. Geol. Surv. 2, 233-248 (1974).
.. [4] L. N. Plummer, D. L. Parkhurst, G. W. Fleming and S. A. Dunkle, *A computer
   program incorporating Pitzer's equations ... (PHRQPITZ)*, USGS WRI 88-4153, 1988
   (MacInnes scaling of Pitzer single-ion activity coefficients).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from iongrad.ions import lookup
from iongrad.physics.pitzer import (
    PITZER_MAX_IONIC_STRENGTH,
    PITZER_TEMPERATURE_RANGE_K,
    pitzer_coverage,
    pitzer_ln_gamma,
    pitzer_salt_range,
)
from iongrad.physics.water import DH_TEMPERATURE_RANGE_K, debye_huckel_A, debye_huckel_B

__all__ = [
    "CONVENTIONS",
    "DAVIES_COEFFICIENT",
    "DEFAULT_CONVENTION",
    "DEFAULT_MODEL",
    "MODELS",
    "MODEL_MAX_IONIC_STRENGTH",
    "MODEL_REFERENCES",
    "MODEL_TEMPERATURE_RANGE_K",
    "ActivityResult",
    "LongActivityResult",
    "activity_coefficients",
    "activity_coefficients_long",
    "check_model",
    "decode_flags",
    "ln_gamma_of_ionic_strength",
    "log10_gamma_davies",
    "log10_gamma_debye_huckel",
    "log10_gamma_extended_debye_huckel",
    "log10_gamma_truesdell_jones",
    "mean_activity_coefficient",
]

MODELS: tuple[str, ...] = (
    "ideal",
    "debye-huckel",
    "extended-debye-huckel",
    "davies",
    "truesdell-jones",
    "pitzer",
)
CONVENTIONS: tuple[str, ...] = ("macinnes", "unscaled")
DEFAULT_MODEL = "truesdell-jones"
DEFAULT_CONVENTION = "macinnes"
#: Davies' linear coefficient c (Davies 1962 used 0.3; 0.2 is the 1938 value).
DAVIES_COEFFICIENT: float = 0.3

#: Ideal solution: upper ionic strength where the limiting law's correction stays
#: within about 1 % for z = 1 (A sqrt(1e-4) = 0.005 in log10), [mol/kg]. Derived
#: from the Debye-Hueckel limiting law, not a published bound.
IDEAL_MAX_IONIC_STRENGTH: float = 1e-4
#: Debye-Hueckel limiting law: I < 10^-2.3 (Stumm & Morgan 1996, Table 3.3), [mol/kg].
DEBYE_HUCKEL_MAX_IONIC_STRENGTH: float = 10**-2.3
#: Extended Debye-Hueckel: I < 10^-1 (Stumm & Morgan 1996, Table 3.3), [mol/kg].
EXTENDED_DEBYE_HUCKEL_MAX_IONIC_STRENGTH: float = 0.1
#: Davies: I < 0.5 (Stumm & Morgan 1996, Table 3.3), [mol/kg].
DAVIES_MAX_IONIC_STRENGTH: float = 0.5
#: Truesdell-Jones: fitted to single-salt chloride data up to about 2 mol/kg
#: (Truesdell & Jones 1974; Parkhurst & Appelo 2013, PHREEQC 3 manual), [mol/kg].
TRUESDELL_JONES_MAX_IONIC_STRENGTH: float = 2.0

#: Model -> upper end of its stated ionic-strength range, [mol/kg].
MODEL_MAX_IONIC_STRENGTH: dict[str, float] = {
    "ideal": IDEAL_MAX_IONIC_STRENGTH,
    "debye-huckel": DEBYE_HUCKEL_MAX_IONIC_STRENGTH,
    "extended-debye-huckel": EXTENDED_DEBYE_HUCKEL_MAX_IONIC_STRENGTH,
    "davies": DAVIES_MAX_IONIC_STRENGTH,
    "truesdell-jones": TRUESDELL_JONES_MAX_IONIC_STRENGTH,
    "pitzer": PITZER_MAX_IONIC_STRENGTH,
}
#: Model -> stated temperature range, [K].
MODEL_TEMPERATURE_RANGE_K: dict[str, tuple[float, float]] = {
    **{name: DH_TEMPERATURE_RANGE_K for name in MODELS},
    "ideal": (0.0, np.inf),
    "pitzer": PITZER_TEMPERATURE_RANGE_K,
}
#: Model -> short reference string, for outputs and reports.
MODEL_REFERENCES: dict[str, str] = {
    "ideal": "gamma = 1",
    "debye-huckel": "Debye & Hueckel 1923 limiting law; range: Stumm & Morgan 1996 "
    "Table 3.3",
    "extended-debye-huckel": "Debye-Hueckel with Kielland 1937 ion sizes (JACS "
    "59:1675); range: Stumm & Morgan 1996 Table 3.3",
    "davies": "Davies 1962 Ion Association; range: Stumm & Morgan 1996 Table 3.3",
    "truesdell-jones": "Truesdell & Jones 1974 J. Res. USGS 2:233 (a, b as in "
    "PHREEQC phreeqc.dat)",
    "pitzer": "Harvie, Moller & Weare 1984 GCA 48:723 mixture form; parameters in "
    "iongrad/data/pitzer_*.csv",
}
_LN10 = np.log(10.0)


# --------------------------------------------------------------------------- models
def log10_gamma_debye_huckel(z, I, T_K, *, A=None):  # noqa: E741
    r"""Debye-Hueckel limiting law.

    Parameters
    ----------
    z : array_like of int
        Charge number, [-].
    I : array_like
        Ionic strength, [mol/kg].
    T_K : array_like
        Absolute temperature, [K].

    A : array_like, optional
        :func:`~iongrad.physics.water.debye_huckel_A` at ``T_K`` when already
        evaluated (once per solution, not per ion); by default from ``T_K``.
    Returns
    -------
    numpy.ndarray
        :math:`\log_{10}\gamma_i`, [-] (molal scale).

    Notes
    -----
    .. math:: \log_{10}\gamma_i = -A(T)\, z_i^2 \sqrt{I}

    Valid for :math:`I <` :data:`DEBYE_HUCKEL_MAX_IONIC_STRENGTH` (10^-2.3 mol/kg).

    References
    ----------
    .. [1] P. Debye and E. Hueckel, Phys. Z. 24, 185-206 (1923).

    Examples
    --------
    >>> round(float(log10_gamma_debye_huckel(1, 0.001, 298.15)), 5)
    -0.01615
    """
    z = np.asarray(z, dtype=float)
    A = debye_huckel_A(T_K) if A is None else A
    return -A * z * z * np.sqrt(np.asarray(I, dtype=float))


def log10_gamma_extended_debye_huckel(z, I, T_K, a_angstrom, *, A=None, B=None):  # noqa: E741
    r"""Extended Debye-Hueckel law with an ion-size parameter.

    Parameters
    ----------
    z : array_like of int
        Charge number, [-].
    I : array_like
        Ionic strength, [mol/kg].
    T_K : array_like
        Absolute temperature, [K].
    a_angstrom : array_like
        Effective ion size (Kielland 1937), [angstrom].

    A, B : array_like, optional
        :func:`~iongrad.physics.water.debye_huckel_A` (and ``_B``) at ``T_K``
        when already evaluated (a table's solutions share a few temperatures:
        evaluated once per solution, not per ion); by default from ``T_K``.
    Returns
    -------
    numpy.ndarray
        :math:`\log_{10}\gamma_i`, [-] (molal scale).

    Notes
    -----
    .. math:: \log_{10}\gamma_i = -\frac{A(T)\, z_i^2\sqrt I}{1 + B(T)\, a_i \sqrt I}

    Valid for :math:`I <` 0.1 mol/kg (Stumm & Morgan 1996, Table 3.3).

    References
    ----------
    .. [1] J. Kielland, "Individual activity coefficients of ions in aqueous
       solutions", J. Am. Chem. Soc. 59, 1675-1678 (1937).

    Examples
    --------
    K+ (a = 3) at I = 0.1, 25 degC; Kielland's table gives 0.755 (computed with
    his slightly smaller A):

    >>> round(float(10 ** log10_gamma_extended_debye_huckel(1, 0.1, 298.15, 3.0)), 3)
    0.753
    """
    z = np.asarray(z, dtype=float)
    sI = np.sqrt(np.asarray(I, dtype=float))
    A = debye_huckel_A(T_K) if A is None else A
    B = debye_huckel_B(T_K) if B is None else B
    return -A * z * z * sI / (1.0 + B * a_angstrom * sI)


def log10_gamma_davies(z, I, T_K, coefficient=DAVIES_COEFFICIENT, *, A=None):  # noqa: E741
    r"""Davies equation.

    Parameters
    ----------
    z : array_like of int
        Charge number, [-].
    I : array_like
        Ionic strength, [mol/kg].
    T_K : array_like
        Absolute temperature, [K].
    coefficient : float, optional
        Linear coefficient c (0.3, Davies 1962; 0.2 in Davies 1938), [kg/mol].

    A : array_like, optional
        :func:`~iongrad.physics.water.debye_huckel_A` at ``T_K`` when already
        evaluated (once per solution, not per ion); by default from ``T_K``.
    Returns
    -------
    numpy.ndarray
        :math:`\log_{10}\gamma_i`, [-] (molal scale).

    Notes
    -----
    .. math:: \log_{10}\gamma_i = -A(T)\, z_i^2 \left(\frac{\sqrt I}{1 + \sqrt I}
        - c\, I\right)

    Valid for :math:`I <` 0.5 mol/kg (Stumm & Morgan 1996, Table 3.3).

    References
    ----------
    .. [1] C. W. Davies, *Ion Association*, Butterworths, London, 1962, eq. 3.5.

    Examples
    --------
    >>> round(float(log10_gamma_davies(2, 0.1, 298.15)), 4)
    -0.4296
    """
    z = np.asarray(z, dtype=float)
    I = np.asarray(I, dtype=float)  # noqa: E741
    sI = np.sqrt(I)
    A = debye_huckel_A(T_K) if A is None else A
    return -A * z * z * (sI / (1.0 + sI) - coefficient * I)


def log10_gamma_truesdell_jones(
    z,
    I,  # noqa: E741
    T_K,
    a_angstrom,
    b_kg_per_mol,
    *,
    A=None,
    B=None,
):
    r"""Truesdell-Jones (WATEQ Debye-Hueckel) equation.

    Parameters
    ----------
    z : array_like of int
        Charge number, [-].
    I : array_like
        Ionic strength, [mol/kg].
    T_K : array_like
        Absolute temperature, [K].
    a_angstrom, b_kg_per_mol : array_like
        Fitted ion size [angstrom] and linear term [kg/mol] (Truesdell & Jones 1974,
        as in PHREEQC ``phreeqc.dat`` ``-gamma``).

    A, B : array_like, optional
        :func:`~iongrad.physics.water.debye_huckel_A` (and ``_B``) at ``T_K``
        when already evaluated (a table's solutions share a few temperatures:
        evaluated once per solution, not per ion); by default from ``T_K``.
    Returns
    -------
    numpy.ndarray
        :math:`\log_{10}\gamma_i`, [-] (molal scale).

    Notes
    -----
    .. math:: \log_{10}\gamma_i = -\frac{A(T)\, z_i^2\sqrt I}{1 + B(T)\, a_i\sqrt I}
        + b_i I

    Valid to about 2 mol/kg in chloride-dominated solutions.

    References
    ----------
    .. [1] A. H. Truesdell and B. F. Jones, J. Res. U.S. Geol. Surv. 2, 233-248
       (1974).

    Examples
    --------
    Na+ in physiological saline (I = 0.15 mol/kg, 37 degC):

    >>> lg = log10_gamma_truesdell_jones(1, 0.15, 310.15, 4.0, 0.075)
    >>> round(float(10**lg), 3)
    0.755
    """
    lg = log10_gamma_extended_debye_huckel(z, I, T_K, a_angstrom, A=A, B=B)
    return lg + np.multiply(b_kg_per_mol, I)


# ----------------------------------------------------------------- parameters
def _ion_parameters(model: str, symbols) -> tuple[dict[str, tuple], dict[str, str]]:
    """Per-ion parameters for a DH-family model, and reasons for ions without them."""
    params: dict[str, tuple] = {}
    missing: dict[str, str] = {}
    for s in symbols:
        ion = lookup(s)
        if ion.valence == 0:
            params[s] = ()
            continue
        if model == "extended-debye-huckel":
            if np.isnan(ion.kielland_a_angstrom):
                missing[s] = f"{s}: no Kielland (1937) ion size in the registry"
            else:
                params[s] = (ion.kielland_a_angstrom,)
        elif model == "truesdell-jones":
            a, b = ion.truesdell_jones_a_angstrom, ion.truesdell_jones_b_kg_per_mol
            if np.isnan(a) or np.isnan(b):
                missing[s] = f"{s}: no Truesdell-Jones a, b in the registry"
            else:
                params[s] = (a, b)
        else:
            params[s] = ()
    return params, missing


def check_model(model: str, convention: str, model_params: dict) -> dict:
    """Check a model name, convention and parameters; return the full parameters.

    Raises
    ------
    ValueError
        Unknown model or convention, or a parameter the model does not take.
    """
    if model not in MODELS:
        raise ValueError(f"unknown activity model {model!r}; expected one of {MODELS}")
    if convention not in CONVENTIONS:
        raise ValueError(
            f"unknown activity convention {convention!r}; expected one of {CONVENTIONS}"
        )
    allowed = {"davies_coefficient"} if model == "davies" else set()
    extra = set(model_params) - allowed
    if extra:
        raise ValueError(
            f"model {model!r} takes no parameter(s) {sorted(extra)}"
            + (f"; allowed: {sorted(allowed)}" if allowed else "")
        )
    return {"davies_coefficient": DAVIES_COEFFICIENT, **model_params}


def _ln_gamma_dh(model, z, I, T, par, opts, A=None, B=None):  # noqa: E741
    """ln gamma for a DH-family model; par holds per-element a (and b) arrays; A
    and B, when given, are the Debye-Hueckel constants at T."""
    if model == "ideal" or not np.any(z):  # a neutral species has no ion size
        out = np.zeros(np.broadcast_shapes(np.shape(z), np.shape(I), np.shape(T)))
    elif model == "debye-huckel":
        out = log10_gamma_debye_huckel(z, I, T, A=A) * _LN10
    elif model == "davies":
        out = log10_gamma_davies(z, I, T, opts["davies_coefficient"], A=A) * _LN10
    elif model == "extended-debye-huckel":
        out = log10_gamma_extended_debye_huckel(z, I, T, par[0], A=A, B=B) * _LN10
    else:  # truesdell-jones
        lg = log10_gamma_truesdell_jones(z, I, T, par[0], par[1], A=A, B=B)
        out = lg * _LN10
    return np.where(np.asarray(z) == 0, 0.0, out)


def ln_gamma_of_ionic_strength(
    model: str, symbols, temperature_K: float
) -> Callable[[np.ndarray], np.ndarray]:
    r"""``I -> ln gamma`` of ``symbols`` under a Debye-Hueckel-family ``model``.

    The returned function maps ionic strengths [mol/kg], shape (m,), to
    :math:`\ln\gamma_i`, shape (k, m), unscaled (no MacInnes convention), by the
    model's equation (:func:`log10_gamma_debye_huckel`, :func:`log10_gamma_davies`,
    :func:`log10_gamma_extended_debye_huckel`, :func:`log10_gamma_truesdell_jones`,
    each with its reference) with each ion's registry parameters.

    Raises
    ------
    ValueError
        An unknown model, or ions without the model's parameters (each named).
    """
    opts = check_model(model, "unscaled", {})
    params, missing = _ion_parameters(model, symbols)
    if missing:
        raise ValueError(
            f"activity model {model!r} has no parameters for "
            + "; ".join(missing.values())
        )
    z = np.array([lookup(s).valence for s in symbols], dtype=float)[:, None]
    width = max((len(p) for p in params.values()), default=0)
    par = [np.array([params[s][j] if params[s] else np.nan for s in symbols])[:, None]
           for j in range(width)]  # fmt: skip

    def ln_gamma(ionic_strength: np.ndarray) -> np.ndarray:
        ionic = np.asarray(ionic_strength, dtype=float)[None, :]
        return _ln_gamma_dh(model, z, ionic, temperature_K, par, opts)

    return ln_gamma


def _macinnes_shift(model, I, T, opts, A=None, B=None):  # noqa: E741
    r"""Return :math:`\ln\gamma_\pm(KCl) - \ln\gamma_{Cl}` for a DH-family model."""
    if model in ("ideal", "debye-huckel", "davies"):
        return np.zeros(np.shape(I))
    params, _ = _ion_parameters(model, ["K+", "Cl-"])
    k = _ln_gamma_dh(model, 1, I, T, params["K+"], opts, A, B)
    cl = _ln_gamma_dh(model, -1, I, T, params["Cl-"], opts, A, B)
    return 0.5 * (k + cl) - cl


# ----------------------------------------------------------------- arrays API
@dataclass(frozen=True)
class ActivityResult:
    """Activity coefficients of k ions in n solutions.

    Attributes
    ----------
    ions : tuple of str
        Canonical symbols, one per column.
    gamma : numpy.ndarray, shape (n, k)
        Single-ion activity coefficients (molal scale), [-]; NaN where the ion has no
        parameters in the model (see ``ion_reasons``).
    ionic_strength_molal : numpy.ndarray, shape (n,)
        Ionic strength, [mol/kg].
    valid : numpy.ndarray of bool, shape (n,)
        Ionic strength and temperature inside the model's stated range and, for
        Pitzer, every salt inside the molality its parameters were fitted to
        (``notes`` names a salt beyond it).
    model, convention : str
        Model and single-ion convention used.
    ion_reasons : dict
        Symbol -> reason its gamma is NaN (ions without parameters).
    notes : numpy.ndarray of str, shape (n,)
        Per-solution notes (missing Pitzer pairs, temperature-constant parameters,
        salts beyond their fitted molality).
    """

    ions: tuple[str, ...]
    gamma: np.ndarray
    ionic_strength_molal: np.ndarray
    valid: np.ndarray
    model: str
    convention: str
    ion_reasons: dict[str, str] = field(default_factory=dict)
    notes: np.ndarray | None = None


def _valid(model, I, T):  # noqa: E741
    lo, hi = MODEL_TEMPERATURE_RANGE_K[model]
    I = np.asarray(I)  # noqa: E741
    T = np.asarray(T)
    in_range = (I >= 0) & (I <= MODEL_MAX_IONIC_STRENGTH[model])  # noqa: SIM300
    return in_range & (T >= lo) & (T <= hi)  # noqa: SIM300


def activity_coefficients(
    molality,
    ions,
    temperature_K,
    *,
    model: str = DEFAULT_MODEL,
    convention: str = DEFAULT_CONVENTION,
    **model_params,
) -> ActivityResult:
    r"""Single-ion activity coefficients of every ion in n solutions.

    Parameters
    ----------
    molality : array_like, shape (n, k)
        Molality of each ion, [mol/kg water]. Must be finite and >= 0.
    ions : sequence of str, length k
        Ion names (any registry spelling).
    temperature_K : float or array_like, shape (n,)
        Absolute temperature, [K].
    model : str
        One of :data:`MODELS` (default ``"truesdell-jones"``).
    convention : str
        ``"macinnes"`` (default) or ``"unscaled"``; see the module docstring.
    **model_params
        ``davies_coefficient`` (model ``"davies"`` only; default 0.3).

    Returns
    -------
    ActivityResult

    Raises
    ------
    ValueError
        Unknown model, convention or parameter; shape mismatch; negative or
        non-finite molality.

    Notes
    -----
    :math:`I = \tfrac12\sum_i m_i z_i^2` per solution; each ion's
    :math:`\ln\gamma_i` from the model (equations in the ``log10_gamma_*``
    functions and :func:`iongrad.physics.pitzer.pitzer_ln_gamma`), then with
    ``convention="macinnes"``: :math:`\ln\gamma_i \leftarrow \ln\gamma_i - z_i
    [\ln\gamma_\pm^{KCl}(I) - \ln\gamma_{Cl}]`.

    Examples
    --------
    Physiological saline at 37 degC with the default Truesdell-Jones model:

    >>> r = activity_coefficients([[0.15, 0.15]], ["Na+", "Cl-"], 310.15)
    >>> [round(float(g), 3) for g in r.gamma[0]], bool(r.valid[0])
    ([0.755, 0.729], True)
    """
    opts = check_model(model, convention, model_params)
    symbols = tuple(lookup(s).symbol for s in ions)
    m = np.atleast_2d(np.asarray(molality, dtype=float))
    n, k = m.shape
    if k != len(symbols):
        raise ValueError(f"molality has {k} columns but {len(symbols)} ions were given")
    if not np.all(np.isfinite(m)) or np.any(m < 0):
        raise ValueError("molality must be finite and >= 0 everywhere")
    T = np.broadcast_to(np.asarray(temperature_K, dtype=float), (n,))
    z = np.array([lookup(s).valence for s in symbols], dtype=float)
    # Far outside a model's range (I ~ 1e27) its terms overflow: gamma comes out 0,
    # inf or NaN, which ``valid`` and the callers' statuses report, so numpy's
    # warnings would only repeat it.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        I = 0.5 * (m @ (z * z))  # noqa: E741
        salts_ok = np.ones(n, dtype=bool)
        if model == "pitzer":
            ln_g, reasons, notes, salts_ok = _pitzer(m, symbols, z, I, T, convention)
        else:
            params, reasons = _ion_parameters(model, symbols)
            ln_g = np.full((n, k), np.nan)
            for j, s in enumerate(symbols):
                if s in params:
                    ln_g[:, j] = _ln_gamma_dh(model, z[j], I, T, params[s], opts)
            if convention == "macinnes":
                ln_g = ln_g - z[None, :] * _macinnes_shift(model, I, T, opts)[:, None]
            notes = np.full(n, "", dtype=object)
        gamma = np.exp(ln_g)
    return ActivityResult(
        ions=symbols,
        gamma=gamma,
        ionic_strength_molal=I,
        valid=_valid(model, I, T) & salts_ok,
        model=model,
        convention=convention,
        ion_reasons=reasons,
        notes=notes,
    )


def _pitzer(m, symbols, z, I, T, convention):  # noqa: E741
    """ln gamma (n, k), reasons by ion, notes and salts in range per solution.

    A solution with a salt beyond the molality its parameters were fitted to
    (:func:`iongrad.physics.pitzer.pitzer_salt_range`) is not valid; its note names
    the salt, its molality and the limit.
    """
    n, k = m.shape
    extra = [s for s in ("K+", "Cl-") if s not in symbols]
    cols = list(symbols) + extra
    mat = np.hstack([m, np.zeros((n, len(extra)))]) if extra else m
    ln_g, _ = pitzer_ln_gamma(mat, cols, T)
    cov = pitzer_coverage(symbols)
    reasons = {
        s: f"{s}: no Pitzer parameters (iongrad/data/pitzer_binary.csv)"
        for s in cov.unknown_ions
    }
    notes = _pitzer_notes(cov, m > 0, symbols, T)
    salts_ok, salt_notes = pitzer_salt_range(m, symbols)
    both = np.where(notes == "", salt_notes, notes + "; " + salt_notes)
    notes = np.where(salt_notes == "", notes, both).astype(object)
    if convention == "macinnes":
        kcl, _ = pitzer_ln_gamma(np.column_stack([I, I]), ["K+", "Cl-"], T)
        shift = kcl.mean(axis=1) - ln_g[:, cols.index("Cl-")]
        ln_g = ln_g[:, :k] - z[None, :] * shift[:, None]
    else:
        ln_g = ln_g[:, :k]
    return ln_g, reasons, notes, salts_ok


def _pitzer_notes(cov, present, symbols, T):
    """Per solution: the Pitzer parameters it needed and did not have."""
    idx = {s: i for i, s in enumerate(symbols)}
    texts: list[str] = []
    masks: list[np.ndarray] = []
    for s in cov.unknown_ions:
        texts.append(f"no Pitzer parameters, interactions taken as 0: {s}")
        masks.append(present[:, idx[s]])
    for c, a in cov.missing_pairs:
        texts.append(f"Pitzer pairs without parameters, taken as 0: {c}/{a}")
        masks.append(present[:, idx[c]] & present[:, idx[a]])
    off25 = np.abs(T - 298.15) > 0.5
    for c, a in cov.constant_T_pairs:
        texts.append(f"no dT data, 25 degC Pitzer parameters used for: {c}/{a}")
        masks.append(off25 & present[:, idx[c]] & present[:, idx[a]])
    if len(texts) > 62:  # keep the bit flags in int64
        texts = [*texts[:61], "further Pitzer coverage notes omitted"]
        masks = [*masks[:61], np.any(masks[61:], axis=0)]
    flags = np.zeros(present.shape[0], dtype=np.int64)
    for b, mask in enumerate(masks):
        flags |= mask.astype(np.int64) << b
    return decode_flags(flags, texts)


@dataclass(frozen=True)
class LongActivityResult:
    """Activity coefficients of solutions given one species per element.

    Attributes
    ----------
    gamma : numpy.ndarray, shape (r,)
        Single-ion activity coefficient of each element (molal scale), [-]; NaN
        where the ion has no parameters in the model or its solution holds a
        negative molality.
    ionic_strength_molal : numpy.ndarray, shape (s,)
        Ionic strength per solution, [mol/kg]; NaN with a negative molality.
    valid : numpy.ndarray of bool, shape (s,)
        Ionic strength and temperature inside the model's stated range and, for
        Pitzer, every salt inside its fitted molality (as
        :attr:`ActivityResult.valid`).
    negative : numpy.ndarray of bool, shape (s,)
        The solution holds a negative or infinite molality (its coefficients are
        undefined).
    unmeasured : numpy.ndarray of bool, shape (s,)
        A charged species of the solution has no molality (NaN): it was left out of
        the ionic strength.
    notes : numpy.ndarray of str, shape (s,)
        Per-solution notes of the model (Pitzer coverage), empty otherwise.
    ion_reasons : dict
        Symbol -> reason its gamma is NaN (ions without parameters).
    """

    gamma: np.ndarray
    ionic_strength_molal: np.ndarray
    valid: np.ndarray
    negative: np.ndarray
    unmeasured: np.ndarray
    notes: np.ndarray
    ion_reasons: dict[str, str]


def activity_coefficients_long(
    *,
    molality,
    ion,
    ions,
    valence,
    solution,
    temperature_K,
    model: str = DEFAULT_MODEL,
    convention: str = DEFAULT_CONVENTION,
    **model_params,
) -> LongActivityResult:
    r"""Single-ion activity coefficients of solutions given one species per element.

    The long layout of measurement tables: element e is species ``ions[ion[e]]`` at
    molality ``molality[e]`` in solution ``solution[e]``.

    Parameters
    ----------
    molality : array_like, shape (r,)
        Molality, [mol/kg water]; NaN means not measured (left out of the ionic
        strength), a negative or infinite value makes its solution's coefficients
        undefined.
    ion : array_like of int, shape (r,)
        Index into ``ions`` per element.
    ions : sequence of str
        Canonical ion symbols (repeats allowed: they are the same species).
    valence : array_like, shape (r,)
        Charge number per element, [-].
    solution : array_like of int, shape (r,)
        Solution code per element, 0 .. s-1.
    temperature_K : array_like, shape (s,)
        Absolute temperature per solution, [K].
    model, convention, **model_params
        As for :func:`activity_coefficients`.

    Returns
    -------
    LongActivityResult

    Notes
    -----
    Same models and equations as :func:`activity_coefficients`; the ionic strength
    :math:`I = 	frac12\sum m_i z_i^2` sums every element of a solution in element
    order. The Debye-Hueckel family is evaluated per element from its solution's I
    and T (MacInnes shift applied as a factor :math:`e^{-z\delta}`); Pitzer gathers
    each solution's species into one row of :func:`activity_coefficients`.

    Examples
    --------
    Two solutions, the second with a negative (undefined) entry:

    >>> r = activity_coefficients_long(
    ...     molality=[0.15, 0.15, 0.1, -0.1], ion=[0, 1, 0, 1], ions=["Na+", "Cl-"],
    ...     valence=[1, -1, 1, -1], solution=[0, 0, 1, 1],
    ...     temperature_K=[310.15, 310.15])
    >>> [round(float(g), 3) for g in r.gamma], r.negative.tolist()
    ([0.755, 0.729, nan, nan], [False, True])
    """
    opts = check_model(model, convention, model_params)
    m = np.asarray(molality, dtype=float)
    z = np.asarray(valence, dtype=float)
    codes = np.asarray(solution, dtype=np.int64)
    T = np.asarray(temperature_K, dtype=float)
    ns = T.size
    ok = ~np.isnan(m)
    neg = ok & ~((m >= 0) & (m < np.inf))  # negative or infinite: undefined
    m_pos = np.where(ok & ~neg, m, 0.0)
    with np.errstate(over="ignore", invalid="ignore"):  # I = inf: out of range
        I = np.bincount(codes, weights=0.5 * m_pos * z * z, minlength=ns)  # noqa: E741
    I = I.astype(float)  # noqa: E741
    negative = np.bincount(codes, weights=neg.astype(float), minlength=ns) > 0
    unmeasured = np.bincount(codes, weights=(~ok & (z != 0)).astype(float),
                             minlength=ns) > 0  # fmt: skip
    I[negative] = np.nan
    uniq, remap = np.unique(np.asarray(ions, dtype=object), return_inverse=True)
    inv = remap.reshape(-1)[np.asarray(ion, dtype=np.int64)]
    salts_ok = np.ones(ns, dtype=bool)
    if model == "pitzer":
        gamma, notes, reasons, salts_ok = _pitzer_long(
            m_pos, codes, inv, list(uniq), T, ~negative, convention
        )
    else:
        gamma, reasons = _dh_long(model, z, I, T, codes, inv, uniq, opts,
                                  convention)  # fmt: skip
        notes = np.full(ns, "", dtype=object)
    return LongActivityResult(
        gamma=gamma,
        ionic_strength_molal=I,
        valid=_valid(model, I, T) & salts_ok,
        negative=negative,
        unmeasured=unmeasured,
        notes=notes,
        ion_reasons=reasons,
    )


def _dh_long(model, z, I, T, codes, inv, uniq, opts, convention):  # noqa: E741
    """Gammas per element of a Debye-Hueckel-family model, and ions without data.

    ``I`` and ``T`` are per solution, ``codes`` each element's solution. The
    Debye-Hueckel constants A(T) and B(T) are evaluated once per solution (they
    were evaluated per element for each ion and twice more for the MacInnes
    shift: a fifth of a big table's potentials job)."""
    params, reasons = _ion_parameters(model, list(uniq))
    I_row, T_row = I[codes], T[codes]
    with np.errstate(over="ignore", invalid="ignore"):
        A, B = debye_huckel_A(T)[codes], debye_huckel_B(T)[codes]
    gamma = np.full(z.size, np.nan)
    # Far outside the model's range (I ~ 1e27) the terms overflow: gamma comes out
    # 0, inf or NaN, which ``valid`` and the callers' statuses report.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for u, s in enumerate(uniq):
            if s in params:
                rows = inv == u
                ln_g = _ln_gamma_dh(model, z[rows], I_row[rows], T_row[rows],
                                    params[s], opts, A[rows], B[rows])  # fmt: skip
                gamma[rows] = np.exp(ln_g)
        if convention == "macinnes":
            shift = _macinnes_shift(model, I_row, T_row, opts, A, B)
            gamma = gamma * np.exp(-z * shift)
    return gamma, reasons


def _pitzer_long(m, codes, inv, symbols, T, good, convention):
    """Pitzer gammas per element: each good solution's species as one matrix row.

    Returns gammas per element, notes, reasons by ion and, per solution, whether its
    salts are inside their fitted molality range.
    """
    ns = T.size
    mat = np.zeros((ns, len(symbols)))
    np.add.at(mat, (codes, inv), m)
    gam = np.full((ns, len(symbols)), np.nan)
    notes = np.full(ns, "", dtype=object)
    res = activity_coefficients(
        mat[good], symbols, T[good], model="pitzer", convention=convention
    )
    gam[good] = res.gamma
    notes[good] = res.notes
    salts_ok = np.ones(ns, dtype=bool)
    salts_ok[good] = pitzer_salt_range(mat[good], symbols)[0]
    return gam[codes, inv], notes, res.ion_reasons, salts_ok


def mean_activity_coefficient(gamma_cation, gamma_anion, z_cation, z_anion):
    r"""Mean activity coefficient of a salt from its ions' coefficients.

    Parameters
    ----------
    gamma_cation, gamma_anion : array_like
        Single-ion activity coefficients, [-].
    z_cation, z_anion : int
        Charge numbers (z_anion < 0), [-].

    Returns
    -------
    numpy.ndarray
        :math:`\gamma_\pm = (\gamma_+^{\nu_+}\gamma_-^{\nu_-})^{1/(\nu_+ + \nu_-)}`
        with :math:`\nu_+ = |z_-|/g`, :math:`\nu_- = z_+/g`,
        :math:`g = \gcd(z_+, |z_-|)`; convention-independent.

    Examples
    --------
    >>> round(float(mean_activity_coefficient(0.5, 0.8, 2, -1)), 4)
    0.684
    """
    import math

    g = math.gcd(int(z_cation), int(-z_anion))
    nu_c, nu_a = -int(z_anion) // g, int(z_cation) // g
    log_mean = (nu_c * np.log(gamma_cation) + nu_a * np.log(gamma_anion)) / (
        nu_c + nu_a
    )
    return np.exp(log_mean)


def decode_flags(flags: np.ndarray, texts: list[str]) -> np.ndarray:
    """Turn per-element bit flags into '; '-joined note strings.

    Bit b of ``flags`` selects ``texts[b]``; texts ``"head: detail"`` sharing a head
    merge into ``"head: detail1, detail2"``. The text is built once per distinct
    flag value, not once per element.

    Examples
    --------
    >>> decode_flags(np.array([0, 1, 3]), ["pairs: K/Cl", "pairs: Na/Cl"]).tolist()
    ['', 'pairs: K/Cl', 'pairs: K/Cl, Na/Cl']
    """
    uniq, inv = np.unique(flags, return_inverse=True)
    out = []
    for f in uniq.tolist():
        merged: dict[str, list[str]] = {}
        for b, t in enumerate(texts):
            if f >> b & 1:
                head, sep, detail = t.partition(": ")
                merged.setdefault(head if sep else t, []).append(detail)
        out.append(
            "; ".join(
                f"{h}: {', '.join(d)}" if any(d) else h for h, d in merged.items()
            )
        )
    return np.asarray(out, dtype=object)[inv.reshape(-1)]
