"""Transmission of a dielectric slab (n = 3.5, 0.5 um) at normal incidence, 2D,
against the Fabry-Perot formula: a scene from a dict, a reference run
without the slab, and the normalised run.

    python3 examples/python/slab_transmission.py [OUTPUT_DIR]

100 cells/um (17 cells per shortest wavelength in the slab): a second; the
Yee grid's phase error shifts the resonances by about 1%.
"""

import sys
from pathlib import Path

import numpy as np

import lumen

out = Path(sys.argv[1] if len(sys.argv) > 1 else "slab_transmission")
out.mkdir(parents=True, exist_ok=True)

n, d = 3.5, 0.5
band = {"wavelength_range_um": [0.6, 1.0], "points": 21}
scene = lumen.Scene.from_dict(
    {
        "simulation": {"dimensions": "2d", "size_um": [8.0, 0.1], "resolution": 100, "courant": 0.5},
        "boundaries": {"x": {"type": "pml", "thickness_um": 1.0}, "y": "periodic"},
        "materials": {"slab": {"index": n}},
        "geometry": [{"type": "box", "center_um": [0.0, 0.0], "size_um": [d, float("inf")], "material": "slab"}],
        "sources": [
            {
                "type": "plane",
                "center_um": [-2.5, 0.0],
                "size_um": [0.0, float("inf")],
                "component": "Ez",
                "wavelength_um": 0.8,
                "bandwidth_um": 0.5,
            }
        ],
        "monitors": [{"name": "trans", "type": "flux", "center_um": [2.0, 0.0], "size_um": [0.0, float("inf")], **band}],
        "run": {"until_fs": 300},
    }
)

reference = scene.empty().run(output=out / "reference.h5", progress=False)
result = scene.run(output=out / "slab.h5", reference=reference.path, progress=False)

trans = result.monitors["trans"]
wl, t = trans["wavelengths_um"], trans["ratio"]
r = ((n - 1) / (n + 1)) ** 2
f = 4 * r / (1 - r) ** 2
t_exact = 1 / (1 + f * np.sin(2 * np.pi * n * d / wl) ** 2)
print(f"{'wavelength_um':>14} {'T':>8} {'T (formula)':>12}")
for w, a, b in zip(wl, t, t_exact):
    print(f"{w:>14.4f} {a:>8.4f} {b:>12.4f}")
print(f"results: {result.path}")
