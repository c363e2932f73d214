"""The Python module against the `lumen` command: the same scene gives the
same numbers, errors name their key, a sweep, Ctrl-C keeps a partial file."""

import _thread
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import h5py
import numpy as np
import pytest

import lumen
from conftest import REPO, quickstart


def test_run_from_dict_matches_cli_bit_for_bit(tmp_path, lumen_cli):
    scene = lumen.Scene.from_dict(quickstart())
    result = scene.run(output=tmp_path / "py.h5", backend="cpu", progress=False)
    assert result.complete

    toml = tmp_path / "scene.toml"
    toml.write_text(scene.to_toml())
    subprocess.run(
        [str(lumen_cli), "run", str(toml), "-o", str(tmp_path / "cli.h5"), "--backend", "cpu", "--quiet"],
        check=True,
        capture_output=True,
    )
    with h5py.File(tmp_path / "cli.h5", "r") as f:
        for name in ("up", "down"):
            cli = f[f"monitors/{name}/flux"][()]
            py = result.monitors[name]["flux"]
            assert py.dtype == np.float64 and py.shape == (3,)
            # Bit for bit: the same library, the same engine, the same order of operations.
            assert np.array_equal(py, cli), (name, py, cli)
            assert np.all(py > 0)
        assert f.attrs["steps"] == result.attrs["steps"]


def test_load_result(tmp_path):
    scene = lumen.Scene.from_dict(quickstart(until_fs=10))
    out = tmp_path / "r.h5"
    scene.run(output=out, backend="cpu", progress=False)
    r = lumen.load(out)
    assert r.complete and r.path == str(out)
    assert list(r.monitors) == ["up", "down"]
    up = r.monitors["up"]
    assert up.type == "flux" and np.allclose(up.wavelengths_um, [0.45, 0.5, 0.55])
    assert list(r.attrs["grid_shape"]) == [120, 120, 1]  # 4 um at 30 cells/um, PML included; 2D
    assert r.attrs["cell_size_um"] == pytest.approx(1.0 / 30.0)
    assert r.scene_text == scene.to_toml()
    assert r.led_report is None
    # The same picture `lumen plot OUT.h5 --monitor up` draws.
    (png,) = r.plot("up")
    assert Path(png).is_file() and Path(png).read_bytes()[:4] == b"\x89PNG"


def test_dft_fields_are_complex_with_coordinates(tmp_path):
    d = quickstart(until_fs=10)
    d["monitors"].append({"name": "plane", "type": "dft", "center_um": [0.0, 0.0], "size_um": [1.0, 1.0], "components": ["Ez"], "wavelengths_um": [0.5]})
    r = lumen.Scene.from_dict(d).run(output=tmp_path / "f.h5", backend="cpu", progress=False)
    m = r.monitors["plane"]
    assert m.type == "dft_fields"
    ez = m["Ez"]
    assert np.iscomplexobj(ez) and ez.shape == (1, 1, len(m["Ez_y_um"]), len(m["Ez_x_um"]))


def test_bad_key_raises_scene_error_with_its_path():
    d = quickstart()
    d["sources"][0]["wavelenght_um"] = 0.45
    with pytest.raises(lumen.SceneError) as e:
        lumen.Scene.from_dict(d)
    assert isinstance(e.value, ValueError)
    assert e.value.key == "sources.0.wavelenght_um"
    assert "did you mean `wavelength_um`" in e.value.found
    assert e.value.file == "<dict>" and isinstance(e.value.line, int)

    scene = lumen.Scene.from_dict(quickstart())
    with pytest.raises(lumen.SceneError) as e:
        scene.set("sources.0.wavelength_um", -0.5)
    assert e.value.key == "sources.0.wavelength_um"
    assert "-0.5" in e.value.found
    # A failed set leaves the scene as it was; a good one takes.
    scene.set("sources.0.wavelength_um", 0.45)
    assert "wavelength_um = 0.45" in scene.to_toml()

    with pytest.raises(lumen.SceneError) as e:
        lumen.Scene.from_dict({**quickstart(), "run": {"until_fs": None}})
    assert e.value.key == "run.until_fs"


def test_load_with_overrides_matches_set():
    a = lumen.Scene.load(REPO / "examples" / "quickstart.toml", set={"sources.0.wavelength_um": 0.6, "run.until_fs": 20})
    b = lumen.Scene.load(REPO / "examples" / "quickstart.toml")
    b.set("sources.0.wavelength_um", 0.6)
    b.set("run.until_fs", 20)
    assert a.to_toml() == b.to_toml()
    assert a.path.endswith("quickstart.toml")
    info = a.check(backend="cpu")
    assert info["steps_bound"] == "exactly" and info["engine"] == "cpu" and info["fits"]


def test_sweep_of_three_variants(tmp_path):
    table = lumen.sweep(
        lumen.Scene.from_dict(quickstart(until_fs=10)),
        vary={"sources.0.wavelength_um": [0.45, 0.5, 0.55]},
        output_dir=tmp_path / "sweep",
        backend="cpu",
        progress=False,
    )
    cols = {k: np.asarray(table[k]) for k in table}
    assert list(cols["sources.0.wavelength_um"]) == [0.45, 0.5, 0.55]
    assert list(cols["status"]) == ["ok"] * 3
    assert cols["up.flux@0.5um"].dtype == np.float64 and np.all(cols["up.flux@0.5um"] > 0)
    assert (tmp_path / "sweep" / "summary.csv").is_file()
    for f in cols["file"]:
        assert lumen.load(f).complete
    # The same call again runs nothing (complete results are kept).
    again = lumen.sweep(
        lumen.Scene.from_dict(quickstart(until_fs=10)),
        vary={"sources.0.wavelength_um": [0.45, 0.5, 0.55]},
        output_dir=tmp_path / "sweep",
        backend="cpu",
        progress=False,
    )
    assert np.array_equal(np.asarray(again["up.flux@0.5um"]), cols["up.flux@0.5um"])


def test_keyboard_interrupt_keeps_a_partial_file(tmp_path):
    # Long enough that the interrupt lands mid-run (~30 s of stepping on 2
    # cores), and finite: should an interrupt be missed, the test fails
    # instead of hanging. Ctrl-C is sent each second, as an impatient user
    # would.
    scene = lumen.Scene.from_dict(quickstart(until_fs=2e4))
    out = tmp_path / "partial.h5"
    done = threading.Event()

    def ctrl_c():  # Ctrl-C, as the terminal sends it
        while not done.wait(1.0):
            _thread.interrupt_main()

    # Python's own Ctrl-C handler, as in a terminal: a process started in the
    # background by a non-interactive shell (`cmd &`) inherits SIGINT ignored,
    # Python then installs no handler and interrupt_main() does nothing (the
    # cause of this test's failures in background CI-like runs).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    sender = threading.Thread(target=ctrl_c, daemon=True)
    sender.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            scene.run(output=out, backend="cpu", progress=False)
    finally:
        done.set()
        sender.join()
        signal.signal(signal.SIGINT, previous)
    r = lumen.load(out)
    assert not r.complete
    assert "interrupted" in r.attrs["stop_reason"]
    assert 0 < r.attrs["steps"]


def test_devices():
    d = lumen.devices()
    assert d["native"]["threads"] >= 1 and d["auto"] in ("cpu", "gpu")


EXAMPLES = sorted((REPO / "examples" / "python").glob("*.py"))


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs(script, tmp_path):
    r = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "out")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "LUMEN_BACKEND": "cpu"},
        timeout=600,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "results:" in r.stdout or "plot:" in r.stdout or "gap" in r.stdout
