#!/usr/bin/python3
"""Single-core MEEP step throughput, for comparison with `cargo bench --bench step`.

Run with Debian's Python (python3-meep is a Debian package; a pyenv python on
PATH will not find it):

    OMP_NUM_THREADS=1 /usr/bin/python3 scripts/meep_baseline.py [--cases a,b,...] [--repeats N]

Cases (resolution 20 px/um, Courant 0.5, as in benches/step.rs):
  3d128_vac     128^3, vacuum, no PML (metal walls), one Ez Gaussian dipole
  3d128_pml     128^3, 16-cell PML on all faces, n = 2 block over the middle
                third of x (full y, z), one Ez Gaussian dipole
  2d2048_pml    2048 x 2048 (TM: Ez, Hx, Hy), 16-cell PML on x and y, same block
                and dipole
  3d256_pml     256^3, as 3d128_pml (not in the default set: slow set-up)

eps_averaging (MEEP's subpixel smoothing) is turned off by default, because
lumen-fdtd has none; with it on MEEP would use the anisotropic update at the
block's faces. Pass --eps-averaging to keep MEEP's default.

Only stepping is timed: init_sim() first, then warm-up steps (so that every
field component the source excites is allocated and the pulse has spread),
then `fields.step()` in a loop, timed with perf_counter. The number of timed
steps is chosen so that one measurement lasts at least --min-seconds.
Reported: cell-updates/s = cells * steps / elapsed. Best of --repeats.

--steps N times exactly N steps per repeat instead (scripts/bench_vs_meep.sh
uses --steps N --repeats 1 to mirror a `lumen run` of N steps), and --json FILE
writes each case's grid, set-up time, steps, best rate and the whole process
time so far.
"""

import argparse
import os
import sys
import time

T_START = time.perf_counter()

import json  # noqa: E402

import meep as mp  # noqa: E402

RES = 20  # px per um
PML_CELLS = 16

CASES = {
    "3d128_vac": dict(dims=3, n=128, pml=False, block=False),
    "3d128_pml": dict(dims=3, n=128, pml=True, block=True),
    "2d2048_pml": dict(dims=2, n=2048, pml=True, block=True),
    "3d256_pml": dict(dims=3, n=256, pml=True, block=True),
}
DEFAULT = "3d128_vac,3d128_pml,2d2048_pml"


def build(case, eps_averaging):
    n = case["n"]
    L = n / RES
    three = case["dims"] == 3
    cell = mp.Vector3(L, L, L if three else 0)
    geometry = []
    if case["block"]:
        geometry.append(
            mp.Block(
                center=mp.Vector3(0, 0, 0),  # MEEP's origin is the cell centre
                size=mp.Vector3(L / 3, mp.inf, mp.inf),
                material=mp.Medium(index=2.0),
            )
        )
    boundary_layers = [mp.PML(PML_CELLS / RES)] if case["pml"] else []
    # Dipole at 0.2 of x (in the vacuum part), centred in y and z.
    src_pos = mp.Vector3(-0.3 * L, 0, 0)
    sources = [
        mp.Source(
            mp.GaussianSource(frequency=1.0, fwidth=0.5),
            component=mp.Ez,
            center=src_pos,
        )
    ]
    sim = mp.Simulation(
        cell_size=cell,
        resolution=RES,
        geometry=geometry,
        boundary_layers=boundary_layers,
        sources=sources,
        Courant=0.5,
        eps_averaging=eps_averaging,
    )
    return sim


def cells_of(case):
    n = case["n"]
    expected = n**3 if case["dims"] == 3 else n * n
    return expected


def measure(name, case, args):
    mp.verbosity(0)
    sim = build(case, args.eps_averaging)
    t0 = time.perf_counter()
    sim.init_sim()
    setup = time.perf_counter() - t0
    f = sim.fields
    # Grid check: MEEP's own volume must have the stated cell counts.
    gv = f.gv
    nx, ny, nz = gv.nx(), gv.ny(), gv.nz()
    cells = nx * ny * (nz if case["dims"] == 3 else 1)
    expected = cells_of(case)
    if cells != expected:
        sys.exit(f"{name}: MEEP grid is {nx}x{ny}x{nz}, expected {expected} cells")
    for _ in range(args.warmup):
        f.step()
    # Size the timed batch from a short trial.
    t = time.perf_counter()
    trial = 0 if args.steps else 5
    for _ in range(trial):
        f.step()
    per_step = (time.perf_counter() - t) / max(trial, 1)
    steps = args.steps if args.steps else max(10, int(args.min_seconds / per_step) + 1)
    results = []
    for r in range(args.repeats):
        t = time.perf_counter()
        for _ in range(steps):
            f.step()
        el = time.perf_counter() - t
        results.append(cells * steps / el)
        print(
            f"  {name} repeat {r + 1}: {steps} steps in {el:.2f} s -> "
            f"{cells * steps / el / 1e6:.1f} M cell-updates/s",
            flush=True,
        )
    best = max(results)
    print(
        f"{name}: grid {nx}x{ny}x{nz} = {cells} cells, set-up {setup:.1f} s, "
        f"best {best / 1e6:.1f} M cell-updates/s "
        f"(all: {', '.join(f'{x / 1e6:.1f}' for x in results)})",
        flush=True,
    )
    del sim, f
    return dict(
        grid=[nx, ny, nz],
        cells=cells,
        setup_s=setup,
        steps=steps,
        cell_updates_per_s=best,
        all_cell_updates_per_s=results,
        process_time_s=time.perf_counter() - T_START,
    )


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", default=DEFAULT, help=f"comma list of {list(CASES)}")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--min-seconds", type=float, default=5.0)
    ap.add_argument("--eps-averaging", action="store_true")
    ap.add_argument("--steps", type=int, default=0, help="time exactly this many steps per repeat (default: sized by --min-seconds)")
    ap.add_argument("--json", help="write the results as JSON to this file")
    args = ap.parse_args()
    if os.environ.get("OMP_NUM_THREADS") != "1":
        print("note: OMP_NUM_THREADS is not 1 (Debian's MEEP is serial anyway)")
    print(
        f"MEEP {mp.__version__}, processors {mp.count_processors()}, "
        f"resolution {RES}, Courant 0.5, eps_averaging {args.eps_averaging}",
        flush=True,
    )
    out = {}
    for name in args.cases.split(","):
        out[name] = measure(name, CASES[name], args)
    print("summary (M cell-updates/s, best of repeats):")
    for k, v in out.items():
        print(f"  {k:12s} {v['cell_updates_per_s'] / 1e6:8.1f}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"code": f"MEEP {mp.__version__}", "cases": out}, fh, indent=1)


if __name__ == "__main__":
    main()
