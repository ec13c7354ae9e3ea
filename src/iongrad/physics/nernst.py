r"""Nernst equilibrium potentials, driving forces and flux/current directions.

All functions are vectorized over numpy arrays (scalars broadcast), take keyword-only
arguments so ``c_in`` and ``c_out`` cannot be swapped by position, and never raise for
physically undefined rows: those get NaN or +/-inf plus an ``int8`` status code whose
label (:data:`STATUS_LABELS`) and reason (:data:`STATUS_REASONS`) say why.

Sign conventions: :math:`V_m = \phi_{in} - \phi_{out}`; driving force
:math:`DF = V_m - E`; conventional current through a passive conductance
:math:`I = g\,DF` so :math:`DF > 0` is an outward current for every ion; a cation
effluxes and an anion influxes when :math:`DF > 0`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from iongrad.constants import MV_PER_V, F, R

__all__ = [
    "CURRENT_LABELS",
    "FLUX_LABELS",
    "STATUS_LABELS",
    "STATUS_REASONS",
    "ElectrochemicalResult",
    "NernstResult",
    "directions",
    "driving_force_mV",
    "electrochemical_state",
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
        "not_finite",
    ]
)
OK, NEUTRAL, IMPERMEANT, MISSING, ZERO_IN, ZERO_OUT, ZERO_BOTH, NEGATIVE = range(8)
BAD_TEMPERATURE, BAD_GAMMA, NOT_FINITE = 8, 9, 10

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
    "invalid_gamma": "an activity coefficient is missing, not positive or not finite",
    "not_finite": "E is not a finite number: the concentration ratio (times the "
    "activity coefficients) is beyond floating-point range (a concentration far "
    "outside any physical value?)",
}

#: Net-flux direction labels, indexed by code.
FLUX_LABELS = np.array(["none", "efflux", "influx", "undefined"])
#: Conventional-current direction labels, indexed by code.
CURRENT_LABELS = np.array(["none", "outward", "inward", "undefined"])

_MV_PER_KELVIN = np.float64(R / F * MV_PER_V)  # 1000 R/F, [mV K^-1]
_BLOCK = 1 << 15  # rows per kernel block (256 KiB per float column: stays in cache)
_fmin = np.fmin.reduce  # minimum ignoring NaN (NaN only if every value is NaN)


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


@dataclass(frozen=True)
class ElectrochemicalResult(NernstResult):
    """Nernst potentials with driving force and directions (see :func:`directions`).

    Attributes
    ----------
    driving_force_mV : numpy.ndarray
        :math:`V_m - E`, [mV].
    flux, current : numpy.ndarray of int8
        Indices into :data:`FLUX_LABELS` and :data:`CURRENT_LABELS`.
    """

    driving_force_mV: np.ndarray
    flux: np.ndarray
    current: np.ndarray


def _flatten(shape, *arrays):
    """Broadcast each array to ``shape`` and view it as 1-D (copies only if needed)."""
    return [
        None if a is None else np.broadcast_to(a, shape).reshape(-1) for a in arrays
    ]


def _prepare(
    c_in, c_out, valence, temperature_K, gamma_in, gamma_out, permeant, *extra
):
    """Common shape and flat views of the Nernst inputs (plus ``extra`` arrays)."""
    arrays = [
        np.asarray(c_in, dtype=float),
        np.asarray(c_out, dtype=float),
        np.asarray(valence),
        np.asarray(temperature_K, dtype=float),
        None if gamma_in is None else np.asarray(gamma_in, dtype=float),
        None if gamma_out is None else np.asarray(gamma_out, dtype=float),
        None if permeant is None else np.asarray(permeant, dtype=bool),
        *(np.asarray(a, dtype=float) for a in extra),
    ]
    shape = np.broadcast_shapes(*(a.shape for a in arrays if a is not None))
    # Whether any row can have a negative c_in or a non-positive temperature; only
    # then is it checked per row. Decided once here for small un-broadcast inputs
    # (a scalar temperature); None defers it to each block, whose rows are then in
    # cache (a pass over the whole column would cost a trip through main memory).
    checks = tuple(
        None if a.size > _BLOCK else _any_below(a, 0.0, strict)
        for a, strict in ((arrays[0], True), (arrays[3], False))
    )
    return shape, _flatten(shape, *arrays), checks


def _any_below(a: np.ndarray, bound: float, strict: bool = False) -> bool:
    """Whether some non-NaN value of ``a`` is < bound (strict) or <= bound."""
    if a.size == 0:
        return False
    low = np.fmin.reduce(a.reshape(-1))  # ignores NaN unless every value is NaN
    return bool(low < bound) if strict else not bool(low > bound)


def _nernst_values(blk, ci, co, zz, tt, gi, go, e, ratio, checks, anion=None):
    """Fill ``e`` with E [mV] for one block of rows, in place; return the row checks.

    Per block: E = ln(g_out c_out / (g_in c_in)) * T / z * (1000 R / F). ``ratio``
    is a block-sized float scratch buffer. Returns ``(check_c_in, check_T)``: whether
    this block can hold a negative c_in or a temperature <= 0 (``checks`` from
    :func:`_prepare`, with None decided here from the block, which is in cache).
    ``anion``, if given (a block-sized bool mask), receives z < 0 while z is in
    cache.
    """
    # Each input is read from memory once and checked while still in cache; the
    # ratio stays in cache and the log (compute-bound) writes the output block.
    check_c_in, check_T = checks
    c = ci[blk]
    np.divide(co[blk], c, out=ratio)
    if check_c_in is None:  # fmin ignores NaN (unless all are), so does the test
        check_c_in = bool(_fmin(c) < 0.0)
    if go is not None:
        ratio *= go[blk]
    if gi is not None:
        ratio /= gi[blk]
    np.log(ratio, out=e)
    t = tt[blk]
    e *= t
    if check_T is None:  # an all-NaN block is checked
        check_T = not _fmin(t) > 0.0
    z = zz[blk]
    e /= z
    if anion is not None:
        np.less(z, 0, out=anion)
    e *= _MV_PER_KELVIN
    return check_c_in, check_T


def _nernst_status(blk, ci, co, zz, tt, gi, go, perm, e, st, checks, ok):
    """Mark the undefined rows of a block filled by :func:`_nernst_values`, in place.

    Sets their status code in ``st`` (which must arrive zeroed, ``"ok"``) and E to
    NaN unless the limit is a signed infinity. ``ok`` is a block-sized bool scratch
    buffer; ``checks`` as returned by :func:`_nernst_values`. Returns the indices of
    the marked rows within the block (None when there are none).
    """
    # One pass on the result finds every undefined row whose inputs make E non-finite
    # (zero, NaN or negative ratio, z = 0, T NaN). A negative concentration makes the
    # ratio negative (log -> NaN) unless both are negative, which implies c_in < 0: so
    # checking c_in alone catches every such row. T <= 0 and gamma <= 0 can give a
    # finite E, so they are checked on the inputs, as is permeability.
    np.isfinite(e, out=ok)
    check_c_in, check_T = checks
    if check_c_in:
        ok &= ~(ci[blk] < 0)
    if check_T:
        ok &= tt[blk] > 0
    for g in (gi, go):
        if g is not None:
            ok &= g[blk] > 0
    if perm is not None:
        ok &= perm[blk]
    if ok.all():
        return None
    idx = np.flatnonzero(~ok)
    code = _classify(
        *(None if a is None else a[blk][idx] for a in (ci, co, zz, tt, gi, go, perm))
    )
    e[idx[(code != ZERO_IN) & (code != ZERO_OUT)]] = np.nan
    st[idx] = code
    return idx


def _classify(ci, co, zz, tt, gi, go, perm) -> np.ndarray:
    """Status code per suspect row; later assignments win (most fundamental last).

    A suspect row that fits no other code has a non-finite E from finite, valid
    inputs (the ratio overflowed or underflowed): ``"not_finite"``, never ``"ok"``.
    """
    code = np.full(ci.size, NOT_FINITE, dtype=np.int8)
    code[(ci == 0) & (co > 0)] = ZERO_IN
    code[(co == 0) & (ci > 0)] = ZERO_OUT
    code[(ci == 0) & (co == 0)] = ZERO_BOTH
    for g in (gi, go):
        if g is not None:
            code[~((g > 0) & (g < np.inf))] = BAD_GAMMA
    code[(ci < 0) | (co < 0)] = NEGATIVE
    code[np.isnan(ci) | np.isnan(co)] = MISSING
    code[~(tt > 0)] = BAD_TEMPERATURE
    if perm is not None:
        code[~perm] = IMPERMEANT
    code[zz == 0] = NEUTRAL
    return code


class _Scratch:
    """Block-sized buffers reused across the blocks of one call (no allocations).

    Five bool masks with their int8 views, an int8 and a float temporary.
    """

    _NAMES = ("gt", "lt", "nan", "anion", "ok", "tmp", "ratio")

    def __init__(self, size: int, buffers=None):
        self.size = size
        if buffers is None:
            buffers = [np.empty(size, dtype=bool) for _ in range(5)]
            buffers += [np.empty(size, dtype=np.int8), np.empty(size)]
        for name, buf in zip(self._NAMES, buffers, strict=True):
            setattr(self, name, buf)
        self.gt8, self.lt8, self.nan8, self.anion8 = (
            m.view(np.int8) for m in (self.gt, self.lt, self.nan, self.anion)
        )

    def head(self, size: int) -> _Scratch:
        """The first ``size`` rows of every buffer (for the last, shorter block)."""
        return _Scratch(size, [getattr(self, name)[:size] for name in self._NAMES])


_THREE = np.int8(3)


def _exclusive(atol) -> bool:
    """Whether ``d > atol`` and ``d < -atol`` can never both hold (scalar atol >= 0).

    NaN also qualifies (both comparisons are then False everywhere).
    """
    return np.ndim(atol) == 0 and not atol < 0


def _directions_fast(d, zb, atol, fl, cur, s, no_nan=False):
    """Flux and current codes for one block, in place, when :func:`_exclusive` holds.

    ``atol`` is a float >= 0 (or NaN); ``s`` a block-sized :class:`_Scratch`.
    ``zb=None`` means ``s.anion`` already holds z < 0 for the block. ``no_nan=True``
    skips the NaN pass when the caller has proven that ``d`` holds no NaN. z = 0 rows
    are not special-cased: the caller guarantees they have NaN driving forces or
    handles them.
    """
    # gt, lt and NaN are mutually exclusive here, so current = gt + 2 lt + 3 nan and
    # the flux code is the current code with 1 <-> 2 swapped for anions (a cation
    # effluxes when DF > 0, an anion influxes): flux = current + anion (gt - lt).
    np.greater(d, atol, out=s.gt)
    np.less(d, -atol, out=s.lt)
    np.add(s.gt8, s.lt8, out=cur)
    cur += s.lt8
    if not no_nan:
        np.isnan(d, out=s.nan)
        np.multiply(s.nan8, _THREE, out=s.tmp)
        cur += s.tmp
    if zb is not None:
        np.less(zb, 0, out=s.anion)
    np.subtract(s.gt8, s.lt8, out=s.tmp)
    s.tmp *= s.anion8
    np.add(cur, s.tmp, out=fl)


def _directions_block(d, zb, atol, fl, cur, check_neutral=True):
    """Flux and current codes for one block, in place (see :func:`directions`).

    General path (any ``atol``, any valence dtype). ``check_neutral=False`` skips the
    z = 0 pass when the caller guarantees that such rows have NaN driving forces (the
    fused path: their E is NaN, status neutral).
    """
    i8 = np.int8
    # Boolean algebra on 1-byte masks instead of float arithmetic per code.
    gt = d > atol
    lt = d < -atol
    undefined = np.isnan(d)
    moving = gt | lt
    np.add(gt.view(i8), lt.view(i8), out=cur)
    cur += lt.view(i8)
    cur += undefined.view(i8) * i8(3)
    # Efflux: a cation with DF > 0 or an anion with DF < 0: moving & (gt xor anion).
    efflux = moving & (gt ^ (zb < 0))
    np.add(efflux.view(i8), (moving & ~efflux).view(i8) * i8(2), out=fl)
    fl += undefined.view(i8) * i8(3)
    if check_neutral:
        _mark_neutral(zb, fl)


def _mark_neutral(zb, fl):
    """Flux code "undefined" where z = 0 (no net electrodiffusive flux direction)."""
    neutral = zb == 0
    if neutral.any():
        fl[neutral] = 3


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
    or a non-positive or infinite gamma give NaN; a concentration ratio beyond
    floating-point range (c_in = 1e-320 mM) gives NaN with status ``"not_finite"``;
    each with its status code. ``"ok"`` always comes with a finite E.

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
    shape, flat, checks = _prepare(
        c_in, c_out, valence, temperature_K, gamma_in, gamma_out, permeant
    )
    n = flat[0].size
    E = np.empty(n)
    status = np.zeros(n, dtype=np.int8)  # "ok" unless a block says otherwise
    ok, ratio = np.empty(min(n, _BLOCK), dtype=bool), np.empty(min(n, _BLOCK))
    # Without gammas or permeability, a block whose E values have a finite sum (so
    # none is infinite or NaN) and no possible c_in < 0 or T <= 0 has no undefined row.
    plain = gamma_in is None and gamma_out is None and permeant is None
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for start in range(0, n, _BLOCK):  # cache-sized blocks, not rows
            blk = slice(start, start + _BLOCK)
            m = min(_BLOCK, n - start)
            e = E[blk]
            row_checks = _nernst_values(blk, *flat[:6], e, ratio[:m], checks)
            if not (
                plain
                and not (row_checks[0] or row_checks[1])
                and math.isfinite(np.add.reduce(e))
            ):
                _nernst_status(blk, *flat, e, status[blk], row_checks, ok[:m])
    return NernstResult(E_mV=E.reshape(shape), status=status.reshape(shape))


def electrochemical_state(
    *,
    c_in,
    c_out,
    valence,
    temperature_K,
    vm_mV,
    gamma_in=None,
    gamma_out=None,
    permeant=None,
    atol_mV: float = 0.0,
) -> ElectrochemicalResult:
    r"""Nernst potential, driving force and directions in one fused pass.

    Same inputs and results as :func:`nernst_potential` followed by
    :func:`driving_force_mV` and :func:`directions`, computed block by block so each
    block stays in cache (the workflow uses this for whole tables).

    Parameters
    ----------
    c_in, c_out, valence, temperature_K, gamma_in, gamma_out, permeant
        As for :func:`nernst_potential`.
    vm_mV : array_like
        Membrane potential :math:`V_m = \phi_{in} - \phi_{out}`, [mV]; NaN where not
        measured (driving force and directions are then NaN / ``"undefined"``).
    atol_mV : float, optional
        Tolerance for "no net flux", [mV] (see :func:`directions`).

    Returns
    -------
    ElectrochemicalResult

    Examples
    --------
    >>> r = electrochemical_state(
    ...     c_in=140.0, c_out=5.0, valence=1, temperature_K=310.0, vm_mV=-65.0
    ... )
    >>> round(float(r.driving_force_mV), 1), str(FLUX_LABELS[r.flux])
    (24.0, 'efflux')
    """
    shape, flat, checks = _prepare(
        c_in, c_out, valence, temperature_K, gamma_in, gamma_out, permeant, vm_mV
    )
    *nernst_inputs, vm = flat
    ci, co, zz, tt, gi, go, _ = nernst_inputs
    n = vm.size
    E = np.empty(n)
    status = np.zeros(n, dtype=np.int8)  # "ok" unless a block says otherwise
    df = np.empty(n)
    flux = np.empty(n, dtype=np.int8)
    current = np.empty(n, dtype=np.int8)
    s = _Scratch(min(n, _BLOCK))  # buffers reused across blocks
    fast = _exclusive(atol_mV)
    atol = float(atol_mV) if fast else atol_mV
    anion = s.anion if fast else None
    # Without gammas or permeability, a block needs no per-row status pass when its
    # driving forces have a finite sum: an infinite or NaN E makes its DF infinite or
    # NaN (vm - E), so the sum proves every E finite, and no DF NaN, in one reduction.
    plain = gamma_in is None and gamma_out is None and permeant is None
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for start in range(0, n, _BLOCK):  # cache-sized blocks, not rows
            blk = slice(start, start + _BLOCK)
            if n - start < s.size:  # the last, shorter block
                s = s.head(n - start)
                anion = s.anion if fast else None
            e, d, v = E[blk], df[blk], vm[blk]
            row_checks = _nernst_values(
                blk, ci, co, zz, tt, gi, go, e, s.ratio, checks, anion
            )
            np.subtract(v, e, out=d)
            clean = (
                plain
                and not (row_checks[0] or row_checks[1])
                and math.isfinite(np.add.reduce(d))
            )
            if not clean:
                idx = _nernst_status(
                    blk, *nernst_inputs, e, status[blk], row_checks, s.ok
                )
                if idx is not None:  # their E may have become NaN
                    d[idx] = v[idx] - e[idx]
            # z = 0 rows are "neutral" with E = NaN, so their DF is NaN: undefined.
            if fast:
                _directions_fast(d, None, atol, flux[blk], current[blk], s, clean)
            else:
                _directions_block(
                    d, zz[blk], atol_mV, flux[blk], current[blk], check_neutral=False
                )
    return ElectrochemicalResult(
        E_mV=E.reshape(shape),
        status=status.reshape(shape),
        driving_force_mV=df.reshape(shape),
        flux=flux.reshape(shape),
        current=current.reshape(shape),
    )


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
    shape = np.broadcast_shapes(np.shape(driving_force_mV), np.shape(valence))
    df, zz = _flatten(
        shape, np.asarray(driving_force_mV, dtype=float), np.asarray(valence)
    )
    n = df.size
    flux = np.empty(n, dtype=np.int8)
    current = np.empty(n, dtype=np.int8)
    fast = _exclusive(atol_mV) and zz.dtype.kind in "iuf"
    if fast:
        s, atol = _Scratch(min(n, _BLOCK)), float(atol_mV)
    for start in range(0, n, _BLOCK):  # cache-sized blocks, not rows
        blk = slice(start, start + _BLOCK)
        if fast:
            if n - start < s.size:  # the last, shorter block
                s = s.head(n - start)
            _directions_fast(df[blk], zz[blk], atol, flux[blk], current[blk], s)
            _mark_neutral(zz[blk], flux[blk])
        else:
            _directions_block(df[blk], zz[blk], atol_mV, flux[blk], current[blk])
    return flux.reshape(shape), current.reshape(shape)
