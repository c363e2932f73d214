"""Write taper.gds, the layout of examples/taper_gds_2d.toml (needs gdstk).

    python3 examples/layouts/make_taper.py

A single-mode SiON waveguide (0.5 um wide at 850 nm, n = 1.60 in n = 1.45)
widened by a parabolic taper to a 5 um wide section, the size of a
single-mode fiber's spot at 850 nm. Layer 1/0 is the core, drawn the way a
layout tool would: the input waveguide as a PATH, the taper as a polygon in
its own cell, the wide section as a polygon in another cell placed by a
reference, all under the top cell TAPER_TO_FIBER. Units: 1 um, 1 nm grid.
"""

import datetime
import pathlib

import gdstk

W_IN, W_OUT = 0.5, 5.0  # um
X0, X1 = -10.0, 10.0  # taper ends, um
N = 40  # segments per taper side

lib = gdstk.Library("taper", unit=1e-6, precision=1e-9)
top = lib.new_cell("TAPER_TO_FIBER")

# Input waveguide, as a PATH with flush ends, running through the left PML.
top.add(gdstk.FlexPath([(-16.0, 0.0), (X0, 0.0)], W_IN, layer=1, simple_path=True))

# Parabolic taper: the width grows as sqrt(x), the shape that keeps the
# local taper angle proportional to the local beat length (more adiabatic
# than a linear taper of the same length).
taper = lib.new_cell("PARABOLIC_TAPER")
xs = [X0 + (X1 - X0) * k / N for k in range(N + 1)]
half = [0.5 * (W_IN**2 + (W_OUT**2 - W_IN**2) * (x - X0) / (X1 - X0)) ** 0.5 for x in xs]
upper = [(x, h) for x, h in zip(xs, half)]
lower = [(x, -h) for x, h in zip(reversed(xs), reversed(half))]
taper.add(gdstk.Polygon(upper + lower, layer=1))
top.add(gdstk.Reference(taper))

# The wide section, drawn at the origin of its cell and placed at x = 13 um.
spot = lib.new_cell("SPOT_SECTION")
spot.add(gdstk.rectangle((-3.0, -W_OUT / 2), (3.0, W_OUT / 2), layer=1))
top.add(gdstk.Reference(spot, (X1 + 3.0, 0.0)))

# A fixed timestamp: the same bytes on every run.
lib.write_gds(pathlib.Path(__file__).with_name("taper.gds"), timestamp=datetime.datetime(2026, 1, 1))
