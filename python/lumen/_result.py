"""A result file read as numpy arrays (the layout: docs/output-format.md).

The file is the one source of truth: ``Result`` reads what ``lumen run``
and ``Scene.run`` write, with h5py, and reshapes nothing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Dict, Iterator, List, Optional, Union

import h5py
import numpy as np


def _value(v: Any) -> Any:
    """An HDF5 attribute as plain Python: strings decoded, 1-element arrays as scalars."""
    if isinstance(v, bytes):
        return v.decode("utf-8")
    if isinstance(v, np.ndarray):
        if v.dtype.kind in "OS":
            v = np.array([x.decode("utf-8") if isinstance(x, bytes) else x for x in v.ravel()], dtype=object).reshape(v.shape)
        if v.shape == (1,):
            return v[0].item() if hasattr(v[0], "item") else v[0]
        return v
    if isinstance(v, np.generic):
        return v.item()
    return v


def _attrs(obj: Union[h5py.Group, h5py.Dataset]) -> Dict[str, Any]:
    return {k: _value(v) for k, v in obj.attrs.items()}


def _read(group: h5py.Group) -> Dict[str, Any]:
    """Every dataset of a group as a numpy array; subgroups as dicts."""
    out: Dict[str, Any] = {}
    for name, item in group.items():
        if isinstance(item, h5py.Dataset):
            data = item[()]
            if isinstance(data, bytes):
                data = data.decode("utf-8")
            out[name] = data
        else:
            sub = _read(item)
            sub_attrs = _attrs(item)
            if sub_attrs:
                sub["attrs"] = sub_attrs
            out[name] = sub
    return out


class Monitor(Mapping):
    """One monitor of a result: its arrays by dataset name (``m["flux"]``,
    ``m["wavelengths_um"]``, ``m["Ez"]`` with ``m["Ez_x_um"]`` ...), also as
    attributes (``m.flux``); ``m.type`` ("flux", "dft_fields", "mode",
    "far_field", ...) and ``m.attrs`` (the group's attributes).

    Which arrays each type has: docs/output-format.md. DFT fields are complex
    arrays [wavelength][z][y][x] with their sample positions (scene
    coordinates, um); a far field has ``intensity`` [wavelength][direction]
    with ``theta_rad`` and ``phi_rad``; a mode port ``forward`` and
    ``backward`` [wavelength][mode] with ``n_eff`` and ``attrs["mode_names"]``.
    """

    def __init__(self, name: str, data: Dict[str, Any], attrs: Dict[str, Any]):
        self.name = name
        self.attrs = attrs
        self.type: str = attrs.get("type", "")
        self._data = data

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __getattr__(self, key: str) -> Any:
        if key.startswith("_"):
            raise AttributeError(key)
        try:
            return self._data[key]
        except KeyError:
            raise AttributeError(f"monitor {self.name!r} ({self.type}) has no {key!r}; it has {sorted(self._data)}") from None

    def __repr__(self) -> str:
        return f"<lumen.Monitor {self.name!r} ({self.type}): {', '.join(self._data)}>"


class Result:
    """A run's result file (HDF5, docs/output-format.md), read with h5py.

    path: the file. attrs: the root attributes (grid_shape, cell_size_um,
    dt_fs, steps, adapter, complete, stop_reason, scene (the resolved scene
    text), warnings, ...). complete: whether the run finished (False after
    an error or Ctrl-C). monitors: {name: Monitor}, in the scene's order.
    probes: {name: {"samples", "times_fs", "attrs"}}. led_report: an LED
    scene's coupling report as {column: numpy array} ("wavelength_um",
    "source_power", "extraction", "PORT/fundamental", "PORT/guided", ...;
    the last row is the average over the emission spectrum), else None.
    """

    def __init__(self, path: Union[str, os.PathLike]):
        self.path = os.fspath(path)
        with h5py.File(self.path, "r") as f:
            self.attrs: Dict[str, Any] = _attrs(f)
            self.monitors: Dict[str, Monitor] = {}
            if "monitors" in f:
                for name, g in f["monitors"].items():
                    self.monitors[name] = Monitor(name, _read(g), _attrs(g))
            self.probes: Dict[str, Dict[str, Any]] = {}
            if "probes" in f:
                for name, g in f["probes"].items():
                    self.probes[name] = dict(_read(g), attrs=_attrs(g))
            self.led_report: Optional[Dict[str, np.ndarray]] = None
            if "led/report" in f:
                report: Dict[str, np.ndarray] = {}

                def visit(name: str, item: Any) -> None:
                    if isinstance(item, h5py.Dataset):
                        report[name] = item[()]

                f["led/report"].visititems(visit)
                self.led_report = report
            self.groups: List[str] = list(f.keys())

    @property
    def complete(self) -> bool:
        """Whether the run finished (False when stopped by an error or Ctrl-C)."""
        return bool(self.attrs.get("complete", 0))

    @property
    def scene_text(self) -> str:
        """The resolved scene text the run used."""
        return self.attrs.get("scene", "")

    @property
    def warnings(self) -> List[str]:
        """The scene's warnings, as ``lumen`` prints them."""
        w = self.attrs.get("warnings", "")
        return [line for line in w.splitlines() if line]

    def plot(
        self,
        monitor: Optional[str] = None,
        *,
        output: Union[str, os.PathLike, None] = None,
        wavelength_um: Optional[float] = None,
        component: Optional[str] = None,
        quantity: Optional[str] = None,
        frame: Optional[int] = None,
        slice: Optional[str] = None,
    ) -> List[str]:
        """Draw a monitor (or, with monitor=None, every monitor and the LED
        report) as PNG images, the same ones ``lumen plot RESULT.h5
        [--monitor NAME]`` writes; returns the files written (default
        RESULT.MONITOR.png beside the result file). monitor "led": the LED
        coupling report. The options are those of ``lumen plot``:
        wavelength_um, component ("Ex".."Hz"), quantity ("intensity", "abs",
        "real", "imag"), frame (a snapshot's, from 0), slice ("z=0").
        """
        from . import _lumen

        return _lumen.plot_result(
            self.path,
            monitor,
            None if output is None else os.fspath(output),
            wavelength_um,
            component,
            quantity,
            frame,
            slice,
        )

    def __repr__(self) -> str:
        state = "complete" if self.complete else "INCOMPLETE"
        return f"<lumen.Result {self.path} ({state}; monitors: {', '.join(self.monitors)})>"
