#!/usr/bin/env python3
"""Markdown tables from scripts/bench_vs_meep.sh's OUT_DIR (runs.jsonl, machine.txt).

    python3 scripts/bench_vs_meep_table.py OUT_DIR > OUT_DIR/bench_vs_meep.md

Throughput ratios are lumen / MEEP (> 1: lumen faster): cell-updates/s over
the stepping, and whole-process speed (MEEP's process wall time / lumen's).
For the slab case also each code's guided-mode power per wavelength over the
dipole's emitted power.
"""

import json
import math
import os
import sys

CASE_ORDER = ["slab2d", "3d128", "3d128vac", "2d2048", "3d256"]
CASE_TEXT = {
    "slab2d": "slab2d: 2D TM 720x480, end to end (monitors, mode solves)",
    "3d128": "3d128: 3D 128^3 CPML + block",
    "3d128vac": "3d128vac: 3D 128^3 vacuum, no PML",
    "2d2048": "2d2048: 2D TM 2048^2 CPML + block",
    "3d256": "3d256: 3D 256^3 CPML + block",
}


def fnum(x, fmt="{:.1f}"):
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) else fmt.format(x)


def norm(rec):
    """One run as a flat dict: rate, stepping time, steps, cells, adapter."""
    d = rec.get("data") or {}
    out = dict(rec)
    if rec["code"] == "lumen":
        rate, wall, steps = d.get("cell_updates_per_s"), d.get("wall_time_s"), d.get("steps")
        out.update(rate=rate, stepping_s=wall, steps=steps, adapter=d.get("adapter", ""))
        out["cells"] = round(rate * wall / steps) if rate and wall and steps else None
    else:
        if "cases" in d:  # meep_baseline.py
            d = next(iter(d["cases"].values()))
            out.update(rate=d["cell_updates_per_s"], steps=d["steps"], cells=d["cells"])
            out["stepping_s"] = d["cells"] * d["steps"] / d["cell_updates_per_s"]
        elif d:  # meep_slab_coupling.py
            out.update(rate=d["cell_updates_per_s"], steps=d["steps"], cells=d["cells"], stepping_s=d["stepping_s"])
        out["adapter"] = "1 core"
    return out


def run_name(r):
    if r["code"] == "meep":
        return "MEEP 1.25 serial"
    if r["engine"] == "cpu":
        return f"lumen cpu, {r['threads']} thread{'s' if r['threads'] != '1' else ''}"
    if r["engine"] == "gpu":
        return "lumen gpu (WGSL)"
    return "lumen default path (WGSL)"


def main():
    out_dir = sys.argv[1]
    runs = [norm(json.loads(line)) for line in open(os.path.join(out_dir, "runs.jsonl")) if line.strip()]
    lines = ["# lumen vs single-core MEEP", ""]
    mf = os.path.join(out_dir, "machine.txt")
    if os.path.exists(mf):
        lines += ["```", open(mf).read().rstrip(), "```", ""]
    lines += [
        "Rate: cell-updates/s over the time stepping (cells x steps / stepping time; monitors' DFTs included).",
        "Process: whole-process wall time (set-up, mode solves, output) and peak RSS, from `/usr/bin/time -v`.",
        "Ratios lumen / MEEP: > 1 means lumen is faster (process: MEEP's wall time / lumen's).",
        "",
        "| case | run | adapter | cells | steps | M cell-updates/s | stepping s | process s | peak RSS MiB | rate / MEEP | process speed / MEEP |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    cases = sorted({r["case"] for r in runs}, key=lambda c: CASE_ORDER.index(c) if c in CASE_ORDER else 99)
    summary = []
    for c in cases:
        rs = [r for r in runs if r["case"] == c]
        meep = next((r for r in rs if r["code"] == "meep" and r["status"] == "ok"), None)
        for r in rs:
            ok = r["status"] == "ok"
            ratio = r["rate"] / meep["rate"] if ok and meep and r["code"] != "meep" and r.get("rate") else None
            pratio = (
                meep["process_wall_s"] / r["process_wall_s"]
                if ok and meep and r["code"] != "meep" and r.get("process_wall_s")
                else None
            )
            rss = r["peak_rss_bytes"] / 2**20 if r.get("peak_rss_bytes") else None
            if not ok:
                lines.append(f"| {c} | {run_name(r)} | | | | {r['status'][:120]} | | {fnum(r.get('process_wall_s'))} | {fnum(rss, '{:.0f}')} | | |")
                continue
            lines.append(
                f"| {c} | {run_name(r)} | {r.get('adapter', '')} | {r.get('cells') or ''} | {r.get('steps') or ''} | "
                f"{fnum(r['rate'] / 1e6)} | {fnum(r.get('stepping_s'), '{:.2f}')} | {fnum(r.get('process_wall_s'), '{:.2f}')} | "
                f"{fnum(rss, '{:.0f}')} | {fnum(ratio, '{:.2f}')} | {fnum(pratio, '{:.2f}')} |"
            )
        summary.append((c, rs, meep))
    # Compact summary: one row per case.
    lines += [
        "",
        "Summary (M cell-updates/s; in brackets lumen / MEEP):",
        "",
        "| case | MEEP 1 core | lumen cpu 1 thread | lumen cpu all threads | threads scaling | lumen gpu / default (WGSL) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for c, rs, meep in summary:
        def cell(pred):
            r = next((r for r in rs if pred(r) and r["status"] == "ok" and r.get("rate")), None)
            if r is None:
                return "", None
            s = f"{r['rate'] / 1e6:.1f}"
            if meep and r["code"] != "meep":
                s += f" ({r['rate'] / meep['rate']:.2f})"
            return s, r["rate"]

        m, _ = cell(lambda r: r["code"] == "meep")
        one, r1 = cell(lambda r: r["engine"] == "cpu" and r["threads"] == "1")
        allt, rn = cell(lambda r: r["engine"] == "cpu" and r["threads"] != "1")
        g, _ = cell(lambda r: r["engine"] in ("gpu", "default"))
        scaling = f"{rn / r1:.2f}x" if r1 and rn else ""
        lines.append(f"| {CASE_TEXT.get(c, c)} | {m} | {one} | {allt} | {scaling} | {g} |")
    # Slab physics.
    slab = [r for r in runs if r["case"] == "slab2d" and r["status"] == "ok"]
    if slab:
        lines += [
            "",
            "Slab coupling, physics check: TE0 power through each port (+x, -x) / the dipole's emitted power,",
            "and all the port's flux / emitted power (guided + radiation crossing the 4 um port line).",
            "MEEP: emitted power = flux out of a 0.4 um box; lumen: its `source_power` monitor",
            "(and, as a check, the same box's flux / source_power).",
            "",
            "| run | wavelength um | TE0 n_eff | TE0 +x / P | TE0 -x / P | port flux +x / P | box flux / P |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for r in slab:
            d = r["data"]
            if r["code"] == "meep":
                for f, wl in enumerate(d["wavelengths_um"]):
                    p = d["source_power"][f]
                    pr, pl = d["ports"]["port_right"], d["ports"]["port_left"]
                    lines.append(
                        f"| {run_name(r)} | {wl} | {pr['n_eff'][f][0]:.4f} | {pr['power'][f][0] / p:.4f} | "
                        f"{pl['power'][f][0] / p:.4f} | {pr['flux'][f] / p:.4f} | 1 (definition) |"
                    )
            else:
                mons = {m["name"]: m for m in d.get("monitors", [])}
                sp = next((m for m in mons.values() if m["type"] == "source_power"), None)
                right, left, box = mons.get("port_right"), mons.get("port_left"), mons.get("source_box")
                if not (sp and right and left):
                    continue
                for f, wl in enumerate(sp["wavelengths_um"]):
                    p = sp["power"][f]
                    lines.append(
                        f"| {run_name(r)} | {wl} | {fnum(right['n_eff'][f][0], '{:.4f}')} | {right['forward'][f][0] / p:.4f} | "
                        f"{left['forward'][f][0] / p:.4f} | {right['flux'][f] / p:.4f} | "
                        f"{(box['flux'][f] / p) if box else float('nan'):.4f} |"
                    )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
