"""lumen: the lumen-fdtd FDTD solver from Python.

The same library the ``lumen`` command runs, as a module: read a scene
(the TOML schema of docs/scene-format.md, from a file, text or a dict), run
it on the native CPU engine or a GPU, and read its result file (HDF5,
docs/output-format.md) as numpy arrays.

    import lumen
    scene = lumen.Scene.load("examples/quickstart.toml", set={"run.until_fs": 40})
    result = scene.run(output="quickstart.h5")
    flux = result.monitors["transmission"]["flux"]

Units: lengths and wavelengths in micrometres, times in femtoseconds;
positions in scene coordinates (centred on the domain).

Errors: a scene that cannot be read raises SceneError (a ValueError) with
file, line, key (the dotted key path), expected and found; a run that fails
raises RunError. Ctrl-C (KeyboardInterrupt) stops a run or sweep and keeps
the partial result file, marked incomplete.

Not here (yet): the mode solver (``lumen modes``), ``lumen compare`` and
scene plots (``lumen plot SCENE.toml``); use the command for those.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence, Union

from . import _lumen
from ._lumen import RunError, Scene, SceneError, SceneWarning
from ._result import Monitor, Result

__all__ = [
    "Scene",
    "Result",
    "Monitor",
    "SceneError",
    "RunError",
    "SceneWarning",
    "load",
    "sweep",
    "devices",
]

__version__ = _lumen.__version__


def load(path: Union[str, os.PathLike]) -> Result:
    """Read a result file (written by ``lumen run`` or ``Scene.run``)."""
    return Result(path)


def devices() -> dict:
    """The engines there are, as ``lumen devices --json`` lists them.

    ``{"native": {"threads", "simd", "simd_f32_lanes", "cpu"}, "adapters":
    [{"name", "backend", "type", "software", ...}], "auto": "cpu" | "gpu"}``;
    ``auto`` is what ``backend="auto"`` takes.
    """
    return _lumen.devices()


def sweep(
    base: Union[Scene, str, os.PathLike],
    vary: Mapping[str, Any],
    mode: str = "grid",
    output_dir: Union[str, os.PathLike, None] = None,
    shard: Union[str, Sequence[int], None] = None,
    *,
    reference: Optional[str] = None,
    set: Optional[Mapping[str, Any]] = None,
    backend: Optional[str] = None,
    progress: bool = True,
):
    """Run every variant of a parameter study, as ``lumen sweep`` does.

    base: a scene file, or a Scene (a Scene that differs from its file, or
    has none, is written to OUTPUT_DIR/base.toml first; relative paths in it
    then start there).
    vary: {key: values}: a scene key path (as ``Scene.set`` takes it) and a
    list of values, or a range as a dict {"start", "stop", "step" | "count",
    "scale"} (docs/sweeps.md).
    mode: "grid" (every combination, the last key fastest) or "zip" (the
    keys advance together).
    output_dir: one result file per variant and summary.csv/.h5 (default:
    BASE-sweep beside the scene file). Resumable: complete results are kept.
    shard: "I/N" or (I, N): only variants k with k mod N == I (Slurm arrays).
    reference: "empty" (each variant's reference run), a result file, or None.
    set: overrides for every variant.

    Returns the summary table: a pandas DataFrame when pandas is installed,
    else a dict of numpy columns (index, variant, the varied keys, status,
    wall_time_s, the results such as ``trans.flux@0.5um``, file, error,
    warnings; numbers as floats, NaN where a variant has none); a
    DataFrame's ``attrs`` name the summary files (``summary_csv``,
    ``summary_h5``) and count the variants run and skipped. Ctrl-C stops the running variant
    (written incomplete), writes the summary and raises KeyboardInterrupt.
    """
    import numpy as np

    if mode not in ("grid", "zip"):
        raise ValueError(f"mode: 'grid' or 'zip', not {mode!r}")
    if isinstance(shard, (tuple, list)):
        shard = f"{shard[0]}/{shard[1]}"
    if isinstance(base, Scene):
        scene = base
        path = Path(scene.path) if scene.path else None
        same = path is not None and path.is_file() and path.read_text() == scene.to_toml()
        if not same:
            if output_dir is None:
                raise ValueError("sweep: output_dir is needed for a Scene without its own unchanged file")
            Path(output_dir).mkdir(parents=True, exist_ok=True)
            path = Path(output_dir) / "base.toml"
            path.write_text(scene.to_toml())
        base = path
    base = Path(base)
    if output_dir is None:
        output_dir = base.parent / f"{base.stem}-sweep"
    params = [(str(k), v) for k, v in vary.items()]
    columns, info = _lumen.run_sweep(
        str(base),
        params,
        mode,
        str(output_dir),
        shard=shard,
        reference=reference,
        set=set,
        backend=backend,
        progress=progress,
    )
    table = {}
    for name, col in columns.items():
        try:
            table[name] = np.asarray(col)
        except ValueError:  # ragged (array-valued parameters)
            table[name] = np.asarray(col, dtype=object)
    if info.get("interrupted"):
        raise KeyboardInterrupt(f"sweep interrupted; summary in {info['summary_csv']}")
    try:
        import pandas as pd
    except ImportError:
        return table
    df = pd.DataFrame({k: list(v) if v.dtype == object else v for k, v in table.items()})
    df.attrs.update(info)
    return df
