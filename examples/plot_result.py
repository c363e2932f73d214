#!/usr/bin/env python3
"""Plot a lumen-fdtd result file: each flux monitor's spectrum (its
normalised ratio when the run used a reference) and each probe's time series.
PNGs are written next to the file.

    pip install h5py numpy matplotlib
    python3 examples/plot_result.py result.h5

The file layout is described in docs/output-format.md.
"""
import sys
from pathlib import Path

import h5py
import matplotlib

matplotlib.use("Agg")  # files only, no display needed
import matplotlib.pyplot as plt


def main(path):
    path = Path(path)
    stem = path.with_suffix("")
    written = []
    with h5py.File(path, "r") as f:
        title = f"{f.attrs['scene_path']} ({f.attrs['steps']} steps)"
        if not f.attrs["complete"]:
            title += f" INCOMPLETE: {f.attrs['stop_reason']}"

        fluxes = [(n, g) for n, g in f["monitors"].items() if g.attrs["type"] == "flux"]
        if fluxes:
            fig, ax = plt.subplots(figsize=(7, 4.5))
            normalized = False
            for name, g in fluxes:
                wl = g["wavelengths_um"][:]
                if "ratio" in g:
                    normalized = True
                    ax.plot(wl, g["ratio"][:], "o-", label=f"{name} / {g.attrs['incident_monitor']} (reference)")
                else:
                    ax.plot(wl, g["flux"][:], "o-", label=name)
            ax.set_xlabel("wavelength (um)")
            ax.set_ylabel("flux ratio" if normalized else "flux (c = eps0 = mu0 = 1 units)")
            ax.set_title(title)
            ax.grid(True, alpha=0.3)
            ax.legend()
            out = Path(f"{stem}_flux.png")
            fig.tight_layout()
            fig.savefig(out, dpi=120)
            plt.close(fig)
            written.append(out)

        for name, g in f["probes"].items():
            fig, ax = plt.subplots(figsize=(7, 3.5))
            ax.plot(g["times_fs"][:], g["samples"][:], lw=0.8)
            x, y, z = g.attrs["position_um"]
            ax.set_xlabel("time (fs)")
            ax.set_ylabel(g.attrs["component"])
            ax.set_title(f"probe {name}: {g.attrs['component']} at ({x:g}, {y:g}, {z:g}) um")
            ax.grid(True, alpha=0.3)
            out = Path(f"{stem}_probe_{name}.png")
            fig.tight_layout()
            fig.savefig(out, dpi=120)
            plt.close(fig)
            written.append(out)

    for out in written:
        print(out)
    if not written:
        print(f"{path}: no flux monitors or probes to plot", file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python3 examples/plot_result.py RESULT.h5")
    main(sys.argv[1])
