"""Type stubs of lumen._lumen, the native half of the `lumen` module (PyO3)."""

import os
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from ._result import Result

_Path = Union[str, os.PathLike]
_TomlValue = Union[bool, int, float, str, Sequence[Any], Mapping[str, Any]]

__version__: str

class SceneError(ValueError):
    """A scene that cannot be read."""

    file: str
    """The scene file, or "<toml>" / "<dict>" for a scene from text or a dict."""
    line: Optional[int]
    """1-based line in the resolved scene text (Scene.to_toml()), when known."""
    key: Optional[str]
    """The dotted key path, e.g. "sources.0.wavelength_um"."""
    expected: Optional[str]
    found: Optional[str]

class RunError(RuntimeError):
    """A run, sweep or plot that failed."""

    kind: str
    """"input" (bad input found at run time) or "runtime" (engine, file system)."""
    output: Optional[str]
    """The result file written (marked incomplete), when the run got that far."""

class SceneWarning(UserWarning):
    """A dubious set-up; the run goes ahead and stores the warning in its result."""

class Scene:
    """A scene (docs/scene-format.md), read, checked and rasterised."""

    @staticmethod
    def load(path: _Path, set: Optional[Mapping[str, _TomlValue]] = None) -> Scene:
        """Read a scene file with overrides {"key.path": value} (as `lumen run --set`)."""
    @staticmethod
    def from_toml(text: str, path: Optional[_Path] = None) -> Scene:
        """A scene from TOML text; `path` names it and anchors relative paths."""
    @staticmethod
    def from_dict(d: Mapping[str, Any], path: Optional[_Path] = None) -> Scene:
        """A scene from a dict with the files' schema; errors name the key path."""
    def set(self, key: str, value: _TomlValue) -> None:
        """Set one value (e.g. "sources.0.wavelength_um", 0.45) and read the scene again."""
    def empty(self) -> Scene:
        """The same scene without geometry: the reference run of a normalisation."""
    def to_toml(self) -> str:
        """The scene's TOML text, overrides applied."""
    @property
    def path(self) -> Optional[str]:
        """The scene file, or None for a scene from text or a dict."""
    @property
    def warnings(self) -> List[str]:
        """Dubious set-ups, as `lumen check` prints them."""
    def check(self, backend: Optional[str] = None) -> Dict[str, Any]:
        """`lumen check --json`: grid, steps, memory, a measured time estimate."""
    def run(
        self,
        output: Optional[_Path] = None,
        reference: Optional[_Path] = None,
        backend: Optional[str] = None,
        progress: bool = True,
    ) -> Result:
        """Run the scene (GIL released; Ctrl-C keeps a partial file) and read its result."""

def devices() -> Dict[str, Any]:
    """`lumen devices --json`: the native engine, the adapters, what auto takes."""

def plot_result(
    path: _Path,
    monitor: Optional[str] = None,
    output: Optional[_Path] = None,
    wavelength_um: Optional[float] = None,
    component: Optional[str] = None,
    quantity: Optional[str] = None,
    frame: Optional[int] = None,
    slice: Optional[str] = None,
) -> List[str]:
    """`lumen plot RESULT.h5 [--monitor NAME]`; returns the PNG files written."""

def run_sweep(
    base: _Path,
    parameters: Sequence[Tuple[str, Any]],
    mode: str,
    output_dir: _Path,
    shard: Optional[str] = None,
    reference: Optional[str] = None,
    set: Optional[Mapping[str, _TomlValue]] = None,
    backend: Optional[str] = None,
    progress: bool = True,
) -> Tuple[Dict[str, List[Any]], Dict[str, Any]]:
    """The engine of lumen.sweep: (columns, info)."""
