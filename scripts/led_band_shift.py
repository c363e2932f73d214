#!/usr/bin/env python3
"""LED coupling band averages corrected for the Yee grid's phase error in the
high-index layer (examples/README.md, "Convergence", microled_fiber_3d).

When a thin high-index layer (GaN, n = 2.45) sets the coupling spectrum, the
grid's phase error there moves the whole spectrum to longer wavelengths by a
factor m > 1: the grid shows at l * m what the exact structure does at l.
Band averages over a steep flank then converge slowly. This script reads
two LED result files of the same scene at two resolutions, run over a band
wider than the emission band (so that l * m is inside it), and prints the
LED report's band averages over the emission band (the same weights as
src/led.rs: S(l) dw / |W|^2, over sum S dw P / |W|^2):

- as run (what `lumen run` reports for that band);
- read at l * m with m from the Yee dispersion relation along an axis in the
  layer, n sin(w dt / 2) / dt = sin(k dx / 2) / dx (an upper bound on m:
  light at an angle sees less error);
- read at l * m with m = 1 + c / res^2 fitted to the two runs (the scale
  that maps the coarser run's guided-power spectrum onto the finer one's).

The two corrected values bracket the converged one. Usage:

    python3 scripts/led_band_shift.py COARSE.h5 FINE.h5 [--port fiber]
        [--index 2.45] [--band 0.44 0.46] [--fit 0.44 0.46]

Needs h5py and numpy.
"""
import argparse
import math

import h5py
import numpy as np


def load(path, port, extraction):
    """Wavelengths, per-unit-source spectra, resolution and Courant number."""
    with h5py.File(path, "r") as f:
        m = f["monitors"]
        power = [k for k in m if "power_per_unit_source" in m[k]]
        if len(power) != 1:
            raise SystemExit(f"{path}: expected one source-power monitor, found {power}")
        sp = m[power[0]]
        lam = sp["wavelengths_um"][()]
        w2 = np.abs(sp["source_spectrum"][()]) ** 2
        fw = m[port]["forward"][()]
        q = {
            "power": sp["power"][()] / w2,
            "fundamental": fw[:, 0] / w2,
            # Missing modes are NaN-padded (docs/output-format.md).
            "guided": np.nansum(fw, axis=1) / w2,
        }
        if extraction in m:
            q["extraction"] = m[extraction]["flux"][()] / w2
        dx = float(np.ravel(f.attrs["cell_size_um"])[0])
        courant = float(f.attrs["dt"]) / dx
    return lam, q, 1.0 / dx, courant


def axial_ratio(n, res, courant, lam):
    """k_grid / k along an axis (None beyond the grid's cutoff)."""
    dx = 1.0 / res
    s = n / courant * math.sin(math.pi * courant * dx / lam)
    return None if s > 1 else math.asin(s) / (math.pi * n * dx / lam)


def interp(x, xs, ys):
    """Four-point Lagrange interpolation; refuses to extrapolate."""
    if not xs[0] <= x <= xs[-1]:
        raise ValueError(f"{x:.4f} um is outside the run's band {xs[0]:.4f}-{xs[-1]:.4f}: run a wider band")
    i = int(np.clip(np.searchsorted(xs, x) - 2, 0, len(xs) - 4))
    xx, yy = xs[i:i + 4], ys[i:i + 4]
    out = 0.0
    for a in range(4):
        w = 1.0
        for b in range(4):
            if a != b:
                w *= (x - xx[b]) / (xx[a] - xx[b])
        out += w * yy[a]
    return out


def band(lam, q, scale, band_um, centre, fwhm, n=201):
    """The report's averages over band_um, the spectrum read at l * scale(l)."""
    sig = fwhm / math.sqrt(8 * math.log(2))
    ls = np.linspace(band_um[0], band_um[1], n)
    wts = np.exp(-((ls - centre) ** 2) / (2 * sig * sig)) / ls**2  # S(l) dw, dw ~ dl / l^2
    at = lambda key: np.array([interp(l * scale(l), lam, q[key]) for l in ls])
    p = (wts * at("power")).sum()
    return {k: (wts * at(k)).sum() / p for k in q if k != "power"}


def fit_scale(a, b, fit_um):
    """s with guided_a(l) ~ guided_b(l * s) over fit_um; rms misfit / rms."""
    (la, qa), (lb, qb) = a, b
    ya = lambda l: interp(l, la, qa["guided"] / qa["power"])
    yb = lambda l: interp(l, lb, qb["guided"] / qb["power"])
    lo, hi = 0.98, 1.0
    if not (la[0] <= fit_um[0] and fit_um[1] <= la[-1] and lb[0] <= fit_um[0] * lo and fit_um[1] * hi <= lb[-1]):
        raise SystemExit(
            f"the fit band {fit_um} scaled by {lo}-{hi} must lie inside both runs' bands "
            f"({la[0]:.4f}-{la[-1]:.4f}, {lb[0]:.4f}-{lb[-1]:.4f}): run a wider band"
        )
    ls = np.linspace(fit_um[0], fit_um[1], 81)
    best = None
    for s in np.linspace(lo, hi, 2001):
        r = np.array([ya(l) - yb(l * s) for l in ls])
        e = float(np.sqrt((r**2).mean()))
        if best is None or e < best[1]:
            best = (s, e)
    return best[0], best[1] / float(np.sqrt(np.mean([ya(l) ** 2 for l in ls])))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("coarse")
    ap.add_argument("fine")
    ap.add_argument("--port", default="fiber")
    ap.add_argument("--extraction", default="chip")
    ap.add_argument("--index", type=float, default=2.45, help="the layer's index (GaN)")
    ap.add_argument("--band", type=float, nargs=2, default=[0.44, 0.46], help="emission band (um)")
    ap.add_argument("--centre", type=float, default=0.45)
    ap.add_argument("--fwhm", type=float, default=0.02)
    ap.add_argument("--fit", type=float, nargs=2, default=[0.44, 0.46], help="band of the scale fit (um)")
    a = ap.parse_args()
    runs = [load(p, a.port, a.extraction) for p in (a.coarse, a.fine)]
    (la, qa, ra, sa), (lb, qb, rb, sb) = runs
    s, misfit = fit_scale((la, qa), (lb, qb), a.fit)
    # guided_a(l) = exact(l / m_a) = guided_b(l m_b / m_a): s = m_b / m_a, m = 1 + c / res^2.
    c = (s - 1.0) / (1.0 / rb**2 - s / ra**2)
    print(f"scale {ra:.0f} -> {rb:.0f} cells/um: {s:.4f} (rms misfit {100 * misfit:.1f}%), "
          f"so m = {1 + c / ra**2:.4f}, {1 + c / rb**2:.4f}; along an axis in n = {a.index}: "
          f"{axial_ratio(a.index, ra, sa, a.centre):.4f}, {axial_ratio(a.index, rb, sb, a.centre):.4f}")
    rows = []
    for lam, q, res, courant in runs:
        variants = [
            ("as run", lambda l: 1.0),
            ("axial phase error", lambda l, r=res, S=courant: axial_ratio(a.index, r, S, l)),
            ("fitted 1 + c/res^2", lambda l, r=res: 1 + c / r**2),
        ]
        for name, scale in variants:
            try:
                b = band(lam, q, scale, a.band, a.centre, a.fwhm)
                rows.append(f"| {res:.0f} | {name} | " + " | ".join(f"{b[k]:.5f}" for k in sorted(b)) + " |")
            except ValueError as e:
                rows.append(f"| {res:.0f} | {name} | {e} |")
    keys = sorted(k for k in qa if k != "power")
    print("| cells/um | spectrum | " + " | ".join(keys) + " |")
    print("|---|---|" + "---|" * len(keys))
    print("\n".join(rows))


if __name__ == "__main__":
    main()
