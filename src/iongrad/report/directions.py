"""Directions of net flux and current that the data can support.

A driving force :math:`DF = V_m - E` averaged over samples has a spread; a direction
read from the sign of the mean alone calls +0.5 mV an efflux. Here a direction is
stated only when the whole interval mean ± SD lies beyond the tolerance
``atol_mV`` (config ``driving_force.atol_mV``, the measurement uncertainty of Vm and
E), that is when :math:`|\\overline{DF}| - SD > atol`; otherwise it is
:data:`WITHIN_NOISE`. With one sample (no SD) the rule is the per-row rule of
:func:`iongrad.physics.nernst.directions`: :math:`|DF| > atol`.
"""

from __future__ import annotations

import numpy as np

from iongrad.physics.nernst import CURRENT_LABELS, FLUX_LABELS, directions

__all__ = ["NO_VM", "WITHIN_NOISE", "stated_directions"]

#: The label of a driving force that is not clear of its uncertainty.
WITHIN_NOISE = "within noise"
#: What a direction reads as when no membrane potential was measured.
NO_VM = "no Vm measured"


def stated_directions(mean_mV, sd_mV, valence, atol_mV):
    """Flux and current labels of mean driving forces with their SD.

    Parameters
    ----------
    mean_mV, sd_mV : array_like
        Mean driving force over samples and its standard deviation, [mV]; a NaN SD
        (one sample) counts as 0.
    valence : array_like of int
        Charge number z, [-].
    atol_mV : float or array_like
        Tolerance [mV]: a direction needs :math:`|mean| - SD > atol`.

    Returns
    -------
    flux, current : numpy.ndarray of str (object)
        ``efflux``/``influx`` and ``outward``/``inward``, :data:`WITHIN_NOISE`, or
        ``undefined`` (no mean, or z = 0).

    Examples
    --------
    >>> stated_directions([4.1, 8.0], [3.7, 1.0], [1, 1], 5.0)[0].tolist()
    ['within noise', 'efflux']
    """
    mean = np.atleast_1d(np.asarray(mean_mV, dtype=float))
    sd = np.nan_to_num(np.atleast_1d(np.asarray(sd_mV, dtype=float)), nan=0.0)
    z = np.broadcast_to(np.asarray(valence), mean.shape)
    flux_code, current_code = directions(mean, z)
    flux = FLUX_LABELS[flux_code].astype(object)
    current = CURRENT_LABELS[current_code].astype(object)
    with np.errstate(invalid="ignore"):
        clear = np.abs(mean) - sd > np.asarray(atol_mV, dtype=float)
    noise = np.isfinite(mean) & (z != 0) & ~clear
    flux[noise] = WITHIN_NOISE
    current[noise] = WITHIN_NOISE
    return flux, current
