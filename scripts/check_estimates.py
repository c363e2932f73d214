#!/usr/bin/env python3
"""`lumen check`'s time estimate against the measured wall time of `lumen run`.

For each scene given (default: the 2D examples), runs `lumen check --json`
(the estimate: `typical_seconds` for a run until the fields decay, else
`estimated_seconds`), then `lumen run` of the same scene, timing the whole
process, and prints a Markdown table with the ratio measured / estimated.
The check passes when every ratio is within a factor of 2 (exit code 1
otherwise). Usage:

    cargo build --release
    python3 scripts/check_estimates.py [--lumen target/release/lumen] [SCENE.toml ...]
"""
import argparse
import glob
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import tomllib


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lumen", default=os.path.join(root, "target", "release", "lumen"))
    ap.add_argument("--backend", default="auto")
    ap.add_argument("--resolutions", default="1,2",
                    help="run each scene at these multiples of its resolution (default 1,2: a run of a few seconds as well)")
    ap.add_argument("scenes", nargs="*")
    a = ap.parse_args()
    scenes = a.scenes or sorted(
        p for p in glob.glob(os.path.join(root, "examples", "*.toml"))
        if ("_2d" in p or p.endswith("quickstart.toml")) and "sweep" not in os.path.basename(p)
    )
    rows, worst = [], 1.0
    with tempfile.TemporaryDirectory() as tmp:
        for scene, factor in [(s, f) for s in scenes for f in a.resolutions.split(",")]:
            with open(scene, "rb") as f:
                res = tomllib.load(f)["simulation"]["resolution"]
            sets = ["--set", f"simulation.resolution={res * float(factor):g}"]
            c = subprocess.run([a.lumen, "check", scene, "--json", "--backend", a.backend] + sets,
                               capture_output=True, text=True)
            if c.returncode != 0:
                sys.exit(f"lumen check {scene} failed:\n{c.stderr}")
            d = json.loads(c.stdout)
            est = d.get("typical_seconds") or d["estimated_seconds"]
            kind = "typical (decay)" if d.get("typical_seconds") else "steps " + d["steps_bound"]
            out = os.path.join(tmp, "r.h5")
            t0 = time.perf_counter()
            r = subprocess.run([a.lumen, "run", scene, "-o", out, "--quiet", "--json", "--backend", a.backend] + sets,
                               capture_output=True, text=True)
            wall = time.perf_counter() - t0
            if r.returncode != 0:
                sys.exit(f"lumen run {scene} failed:\n{r.stderr}")
            run = json.loads(r.stdout)
            ratio = wall / est if est > 0 else float("inf")
            worst = max(worst, ratio, 1 / ratio if ratio > 0 else float("inf"))
            rows.append((f"{os.path.basename(scene)} (resolution {res * float(factor):g})", d["steps"], run["steps"], est, kind, wall, ratio, d["estimate_basis"]))
    print(f"machine: {os.cpu_count()} threads, {cpu_name()}; engine: {run['adapter']}")
    print()
    print("| scene | check steps | run steps | estimate (s) | estimate of | run, whole process (s) | run / estimate |")
    print("|---|---:|---:|---:|---|---:|---:|")
    for name, cs, rs, est, kind, wall, ratio, _ in rows:
        print(f"| {name} | {cs} | {rs} | {est:.2f} | {kind} | {wall:.2f} | {ratio:.2f} |")
    print()
    print(f"estimates based on: {rows[0][7]}")
    print(f"worst factor: {worst:.2f} ({'within' if worst <= 2 else 'NOT within'} 2x)")
    sys.exit(0 if worst <= 2 else 1)


if __name__ == "__main__":
    main()
