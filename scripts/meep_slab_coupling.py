#!/usr/bin/python3
"""MEEP twin of benches/scenes/slab_coupling_2d.toml, run end to end.

A 2D TM point dipole (Ez, Gaussian pulse centred on 0.5 um) at the centre of
an n = 2.0 slab 0.2 um thick (along x) in an n = 1.45 cladding; cell 9 x 6 um
at 80 cells/um (720 x 480), 0.5 um PML on every side, Courant 0.5. Monitors
at 0.45, 0.5, 0.55 um: the dipole's emitted power (flux out of a closed
0.4 x 0.4 um box around it) and the power in bands 1-4 of the slab (MPB,
Ez-polarised: TE modes in lumen's naming) through two ports at x = +3 um
(towards +x) and x = -3 um (towards -x). Stops at a fixed time, the same as
the lumen scene's `until_fs` (pass --until-fs to change both), or with
--decay when |Ez|^2 at a point in the slab has decayed by 1e-6.

Run with Debian's Python (python3-meep), one core:

    OMP_NUM_THREADS=1 /usr/bin/python3 scripts/meep_slab_coupling.py [--json OUT.json]

Prints the set-up, stepping and post-processing times, cell-updates/s over the
stepping (cells * steps / stepping time: MEEP's DFT monitors included, as in
lumen's number) and, per wavelength, mode power / emitted power.
"""

import argparse
import json
import os
import sys
import time

T_START = time.perf_counter()

import meep as mp  # noqa: E402

FS_PER_UNIT = 3.33564095198152  # one MEEP time unit (a/c with a = 1 um) in fs

RES = 80
CELL = (9.0, 6.0)
PML_UM = 0.5
N_SLAB, N_CLAD, T_SLAB = 2.0, 1.45, 0.2
WAVELENGTHS = [0.45, 0.5, 0.55]
# lumen: wavelength_um = 0.5, fwhm_frequency = 0.4 (power spectrum FWHM, 1/um),
# which is tau = sqrt(ln 2) / (pi * 0.4) um/c; MEEP's GaussianSource has
# width = 1 / fwidth with the same envelope exp(-(t - t0)^2 / (2 width^2)) and
# t0 = 5 width.
FWHM_FREQ = 0.4
PORT_X, PORT_H = 3.0, 4.0
BOX = 0.4
UNTIL_FS = 200.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--until-fs", type=float, default=UNTIL_FS, help="simulated time, fs (as lumen's until_fs)")
    ap.add_argument("--decay", action="store_true", help="stop_when_fields_decayed(50, Ez, (1,0), 1e-6) instead")
    ap.add_argument("--resolution", type=float, default=RES)
    ap.add_argument("--json", help="write the results as JSON here")
    ap.add_argument("--eps-averaging", type=int, default=1, help="MEEP subpixel smoothing (lumen's default is on)")
    args = ap.parse_args()
    mp.verbosity(0)
    import math

    fwidth = math.pi * FWHM_FREQ / math.sqrt(math.log(2.0))
    fcen = 1.0 / 0.5
    freqs = [1.0 / w for w in WAVELENGTHS]
    clad = mp.Medium(index=N_CLAD)
    geometry = [mp.Block(center=mp.Vector3(), size=mp.Vector3(mp.inf, T_SLAB, mp.inf), material=mp.Medium(index=N_SLAB))]
    sources = [mp.Source(mp.GaussianSource(frequency=fcen, fwidth=fwidth), component=mp.Ez, center=mp.Vector3())]
    sim = mp.Simulation(
        cell_size=mp.Vector3(*CELL),
        resolution=args.resolution,
        geometry=geometry,
        default_material=clad,
        boundary_layers=[mp.PML(PML_UM)],
        sources=sources,
        Courant=0.5,
        eps_averaging=bool(args.eps_averaging),
    )
    h = BOX / 2
    box = sim.add_flux(
        freqs,
        mp.FluxRegion(center=mp.Vector3(h, 0), size=mp.Vector3(0, BOX), weight=+1),
        mp.FluxRegion(center=mp.Vector3(-h, 0), size=mp.Vector3(0, BOX), weight=-1),
        mp.FluxRegion(center=mp.Vector3(0, h), size=mp.Vector3(BOX, 0), weight=+1),
        mp.FluxRegion(center=mp.Vector3(0, -h), size=mp.Vector3(BOX, 0), weight=-1),
    )
    ports = {}
    for name, x in (("port_right", PORT_X), ("port_left", -PORT_X)):
        ports[name] = sim.add_mode_monitor(freqs, mp.ModeRegion(center=mp.Vector3(x, 0), size=mp.Vector3(0, PORT_H)))
    t0 = time.perf_counter()
    sim.init_sim()
    setup = time.perf_counter() - t0 + (t0 - T_START)
    gv = sim.fields.gv
    nx, ny = gv.nx(), gv.ny()
    cells = nx * ny
    t1 = time.perf_counter()
    if args.decay:
        sim.run(until_after_sources=mp.stop_when_fields_decayed(50, mp.Ez, mp.Vector3(1.0, 0), 1e-6))
    else:
        sim.run(until=args.until_fs / FS_PER_UNIT)
    stepping = time.perf_counter() - t1
    steps = sim.fields.t
    t2 = time.perf_counter()
    p_src = mp.get_fluxes(box)
    out_ports = {}
    for name, mon in ports.items():
        # Each port's modes are solved with k pointing away from the dipole and
        # the power read from the forward coefficient: MEEP 1.25's backward
        # coefficient of a +x mode read ~10% low here at 80 cells/um (~35% at
        # 40) although the two ports' fluxes agree to 4 digits.
        kx = 1.0 if name == "port_right" else -1.0
        res = sim.get_eigenmode_coefficients(
            mon, [1, 2, 3, 4], eig_parity=mp.ODD_Z, direction=mp.NO_DIRECTION, kpoint_func=lambda f, n: mp.Vector3(kx, 0, 0)
        )
        a = res.alpha  # [band][freq][forward along k / backward]
        d = 0
        out_ports[name] = {
            "power": [[abs(a[b, f, d]) ** 2 for b in range(4)] for f in range(len(freqs))],
            "power_back": [[abs(a[b, f, 1 - d]) ** 2 for b in range(4)] for f in range(len(freqs))],
            "flux": mp.get_fluxes(mon),
            "n_eff": [[abs(res.kdom[b * len(freqs) + f].x) / freqs[f] for b in range(4)] for f in range(len(freqs))],
        }
    post = time.perf_counter() - t2
    total = time.perf_counter() - T_START
    r = {
        "code": f"MEEP {mp.__version__}",
        "grid": [nx, ny],
        "cells": cells,
        "steps": steps,
        "simulated_time_fs": sim.meep_time() * FS_PER_UNIT,
        "setup_s": setup,
        "stepping_s": stepping,
        "post_s": post,
        "total_s": total,
        "cell_updates_per_s": cells * steps / stepping,
        "wavelengths_um": WAVELENGTHS,
        "source_power": p_src,
        "ports": out_ports,
    }
    print(
        f"MEEP {mp.__version__}: grid {nx}x{ny}, {steps} steps ({r['simulated_time_fs']:.1f} fs); "
        f"set-up {setup:.2f} s, stepping {stepping:.2f} s ({r['cell_updates_per_s'] / 1e6:.1f} M cell-updates/s), "
        f"eigenmode post-processing {post:.2f} s, total {total:.2f} s"
    )
    for f, wl in enumerate(WAVELENGTHS):
        fr = [out_ports["port_right"]["power"][f][b] / p_src[f] for b in range(4)]
        fl = [out_ports["port_left"]["power"][f][b] / p_src[f] for b in range(4)]
        ne = out_ports["port_right"]["n_eff"][f]
        print(
            f"  {wl:.3f} um: source power {p_src[f]:.4g}; n_eff {', '.join(f'{x:.4f}' for x in ne)}; "
            f"+x port / P_src {', '.join(f'{x:.4f}' for x in fr)}; -x port / P_src {', '.join(f'{x:.4f}' for x in fl)}; "
            f"port flux / P_src {out_ports['port_right']['flux'][f] / p_src[f]:.4f}, {out_ports['port_left']['flux'][f] / p_src[f]:.4f}"
        )
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(r, fh, indent=1)


if __name__ == "__main__":
    main()
