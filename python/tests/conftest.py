"""Shared helpers of the Python module's tests (run by .ci/run after
`cargo test`, with the module installed: `python3 -m pip install ./python`)."""

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _cli() -> Path:
    """The `lumen` binary to compare with: LUMEN_BIN, else the one `cargo
    test` or `cargo build` left in the target folder (CARGO_TARGET_DIR, else
    ./target; debug before release). Missing, the test fails (building it
    here would take minutes unannounced): run `cargo build` first."""
    if os.environ.get("LUMEN_BIN"):
        return Path(os.environ["LUMEN_BIN"])
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    for profile in ("debug", "release"):
        exe = target / profile / "lumen"
        if exe.is_file():
            return exe
    pytest.fail(f"no lumen binary in {target}/debug or /release: run `cargo build` (or `cargo test`) first, or set LUMEN_BIN")


@pytest.fixture(scope="session")
def lumen_cli() -> Path:
    return _cli()


def quickstart(until_fs: float = 30.0) -> dict:
    """examples/quickstart.toml as a dict: a dipole above a glass block, 2D."""
    band = [0.45, 0.5, 0.55]
    return {
        "simulation": {"size_um": [4.0, 4.0], "resolution": 30},
        "materials": {"glass": {"index": 1.5}},
        "geometry": [{"type": "box", "center_um": [0.0, -1.25], "size_um": [float("inf"), 1.5], "material": "glass"}],
        "sources": [{"type": "dipole", "position_um": [0.0, 0.0], "wavelength_um": 0.5, "bandwidth_um": 0.2}],
        "monitors": [
            {"name": "up", "type": "flux", "center_um": [0.0, 0.75], "size_um": [2.0, 0.0], "wavelengths_um": band},
            {"name": "down", "type": "flux", "center_um": [0.0, -0.75], "size_um": [2.0, 0.0], "direction": "-", "wavelengths_um": band},
        ],
        "run": {"until_fs": until_fs},
    }
