"""A micro-LED on a glass slab waveguide (examples/microled_waveguide_2d.toml)
at low resolution: the LED coupling report as numpy columns, and its plot.

    python3 examples/python/led_coupling.py [OUTPUT_DIR]

Resolution 30 instead of 60 and 2 dipole positions instead of 5, so it takes
seconds; the efficiencies are then rough (the full run: examples/README.md).
"""

import sys
from pathlib import Path

import lumen

out = Path(sys.argv[1] if len(sys.argv) > 1 else "led_coupling")
out.mkdir(parents=True, exist_ok=True)

scene = lumen.Scene.load(
    Path(__file__).resolve().parents[1] / "microled_waveguide_2d.toml",
    set={"simulation.resolution": 30, "sources.0.positions": [2, 1]},
)
result = scene.run(output=out / "led.h5", progress=False)

report = result.led_report
print("columns:", ", ".join(report))
print(f"{'wavelength_um':>14} {'extraction':>11} {'guide fund.':>12} {'guide all':>10}")
for i, w in enumerate(report["wavelength_um"]):
    label = "spectrum" if w != w else f"{w:.4f}"  # the last row: NaN, the spectrum average
    print(f"{label:>14} {report['extraction'][i]:>11.4f} {report['guide/fundamental'][i]:>12.4f} {report['guide/guided'][i]:>10.4f}")
for png in result.plot("led"):
    print("plot:", png)
