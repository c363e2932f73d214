"""A sweep from Python: the gap between a dipole and a glass block (the
quickstart scene), and the fraction of the emitted light that goes down
into the glass against the gap; a matplotlib plot when matplotlib is
installed.

    python3 examples/python/sweep_gap.py [OUTPUT_DIR]
"""

import sys
from pathlib import Path

import numpy as np

import lumen

out = Path(sys.argv[1] if len(sys.argv) > 1 else "sweep_gap")
out.mkdir(parents=True, exist_ok=True)

base = lumen.Scene.load(Path(__file__).resolve().parents[1] / "quickstart.toml", set={"run.until_fs": 40})
# The block is 1.5 um tall: its top is 0.75 um above its centre; the dipole is at y = 0.
gaps = [0.25, 0.5, 0.75]
table = lumen.sweep(
    base,
    vary={"geometry.0.center_um.1": [-(g + 0.75) for g in gaps]},
    output_dir=out / "runs",
    progress=False,
)
table = {k: np.asarray(table[k]) for k in table}  # a DataFrame or a dict: columns either way
up, down = table["up.flux@0.5um"], table["down.flux@0.5um"]
into_glass = down / (up + down)
for g, f, s in zip(gaps, into_glass, table["status"]):
    print(f"gap {g:.2f} um: {f:.3f} of the light into the glass ({s})")

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("matplotlib is not installed: no plot")
else:
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.plot(gaps, into_glass, "o-")
    ax.set_xlabel("gap dipole - glass (um)")
    ax.set_ylabel("fraction into the glass at 0.5 um")
    fig.tight_layout()
    fig.savefig(out / "coupling_vs_gap.png", dpi=120)
    print("plot:", out / "coupling_vs_gap.png")
