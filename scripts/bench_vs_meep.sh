#!/usr/bin/env bash
# lumen vs single-core MEEP on the same problems, in one go (issue 10, item 4).
#
#   scripts/bench_vs_meep.sh [OUT_DIR] [--quick] [--cases a,b,...] [--no-gpu]
#                            [--no-meep] [--scale F] [--lumen PATH]
#
# For each case it runs, each as a whole process under /usr/bin/time -v:
#   lumen run --backend cpu   with RAYON_NUM_THREADS=1, and with the default
#                             thread count (all cores)
#   lumen run --backend gpu   the WGSL path, on the adapter lumen finds
#                             (LUMEN_ADAPTER / WGPU_BACKEND apply as usual)
#   MEEP 1.25, serial         (OMP_NUM_THREADS=1, Debian's /usr/bin/python3)
# and prints, then writes as markdown to OUT_DIR/bench_vs_meep.md (default
# OUT_DIR: target/bench_vs_meep), per run: M cell-updates/s over the time
# stepping (cells * steps / stepping time: lumen's `cell_updates_per_s`,
# MEEP timed around its steps), the whole process wall time, the peak RSS,
# and the ratios lumen / MEEP. Raw data: OUT_DIR/runs.jsonl, OUT_DIR/*.json, *.out,
# *.log, *.time.
#
# If `lumen run --help` does not mention --backend (before the CPU engine
# lands), only the default path is run (labelled "default").
#
# Cases (scenes in benches/scenes/, MEEP twins in scripts/):
#   slab2d  end to end: 2D TM dipole in an n = 2 slab, 720 x 480 cells, 200 fs
#           (9594 steps), source power + two 4-mode ports at 3 wavelengths
#           (slab_coupling_2d.toml / meep_slab_coupling.py); also prints
#           both codes' mode power / source power per wavelength
#   3d128   128^3, CPML, n = 2 block, Ez dipole, 100 steps (step_3d128.toml /
#           meep_baseline.py 3d128_pml), as in benches/step.rs
#   3d128vac 128^3 vacuum, no PML (lumen: periodic faces; MEEP: metal walls),
#           100 steps (step_3d128_vac.toml / meep_baseline.py 3d128_vac)
#   2d2048  2D TM 2048^2, same, 100 steps (step_2d2048.toml / 2d2048_pml)
#   3d256   256^3, same, 20 steps (step_3d256.toml / 3d256_pml); --quick skips it
#
# Options:
#   --quick        skip 3d256
#   --cases LIST   comma list of the cases above (default: all)
#   --no-gpu       skip lumen's GPU (WGSL) path
#   --no-meep      skip MEEP (ratios then blank)
#   --scale F      multiply every step count and the slab's stop time by F
#                  (e.g. 0.05 to test the script in a minute; the slab's
#                  physics is then not converged)
#   --lumen PATH   the lumen binary (default: target/release/lumen, built
#                  with `cargo build --release` if missing)
#
# Needs: python3-meep (apt-get install -y python3-meep python3-matplotlib
# python3-h5py python3-scipy) for MEEP; GNU time (apt-get install -y time),
# else a Python wait4() fallback measures wall time and peak RSS the same way.
# farm-bench is not needed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

OUT=""
QUICK=0
CASES=""
GPU=1
MEEP=1
SCALE=1
LUMEN=""
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) QUICK=1 ;;
        --cases) CASES="$2"; shift ;;
        --cases=*) CASES="${1#*=}" ;;
        --no-gpu) GPU=0 ;;
        --no-meep) MEEP=0 ;;
        --scale) SCALE="$2"; shift ;;
        --scale=*) SCALE="${1#*=}" ;;
        --lumen) LUMEN="$2"; shift ;;
        --lumen=*) LUMEN="${1#*=}" ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        -*) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
        *) OUT="$1" ;;
    esac
    shift
done
OUT="${OUT:-target/bench_vs_meep}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
if [ -z "$CASES" ]; then
    CASES="slab2d,3d128,3d128vac,2d2048,3d256"
    [ "$QUICK" = 1 ] && CASES="slab2d,3d128,3d128vac,2d2048"
fi

PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
MEEP_PY=/usr/bin/python3   # Debian's: python3-meep is not in a pyenv python

if [ -z "$LUMEN" ]; then
    LUMEN="$ROOT/target/release/lumen"
    if [ ! -x "$LUMEN" ]; then
        echo "== $LUMEN missing: cargo build --release"
        export PATH="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))'):$PATH"
        cargo build --release --bin lumen
    fi
fi
[ -x "$LUMEN" ] || { echo "no lumen binary at $LUMEN" >&2; exit 3; }

if [ "$MEEP" = 1 ] && ! OMP_NUM_THREADS=1 "$MEEP_PY" -c 'import meep' >/dev/null 2>&1; then
    echo "MEEP not importable by $MEEP_PY: apt-get install -y python3-meep python3-matplotlib python3-h5py python3-scipy" >&2
    echo "(or pass --no-meep)" >&2
    exit 3
fi

HAVE_BACKEND=0
if "$LUMEN" run --help 2>&1 | grep -q -- '--backend'; then HAVE_BACKEND=1; fi
NPROC="$(nproc)"

# Step counts and stop time, scaled.
steps_of() { "$PY" -c "import sys; print(max(1, round($1 * $SCALE)))"; }
# lumen runs ceil(until / dt) steps: (N - 0.5) dt gives exactly N (dt = 0.025 um/c at 20 cells/um, Courant 0.5).
until_of() { "$PY" -c "print(repr(($1 - 0.5) * 0.025 * 3.33564095198152))"; }
SLAB_FS="$("$PY" -c "print(repr(200.0 * $SCALE))")"

RESULTS="$OUT/runs.jsonl"
: > "$RESULTS"

# run LABEL CASE CODE ENGINE THREADS JSON_FILE -- cmd...
# Runs cmd as a whole process, timed (wall, peak RSS), stdout to LABEL.out,
# stderr to LABEL.log; reads its results from JSON_FILE ("-": the JSON
# object on its stdout, as `lumen run --json` prints) and appends a line to
# runs.jsonl.
run() {
    local label="$1" case="$2" code="$3" engine="$4" threads="$5" json="$6"
    shift 7
    local tfile="$OUT/$label.time" log="$OUT/$label.log" stdout="$OUT/$label.out" rc=0
    [ "$json" = - ] && json="$stdout"
    rm -f "$json"
    echo "== $label: $*"
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -v -o "$tfile" "$@" > "$stdout" 2> "$log" || rc=$?
    else
        "$PY" - "$tfile" "$@" > "$stdout" 2> "$log" <<'PYEOF' || rc=$?
import os, subprocess, sys, time
t = time.perf_counter()
p = subprocess.Popen(sys.argv[2:])
_, status, ru = os.wait4(p.pid, 0)
wall = time.perf_counter() - t
with open(sys.argv[1], "w") as f:
    f.write(f"\tElapsed (wall clock) time (h:mm:ss or m:ss): 0:{wall:.2f}\n")
    f.write(f"\tMaximum resident set size (kbytes): {ru.ru_maxrss}\n")
sys.exit(os.waitstatus_to_exitcode(status))
PYEOF
    fi
    "$PY" - "$RESULTS" "$label" "$case" "$code" "$engine" "$threads" "$json" "$tfile" "$log" "$rc" <<'PYEOF'
import json, sys
res, label, case, code, engine, threads, jf, tf, log, rc = sys.argv[1:]
wall = rss = None
for line in open(tf, errors="replace"):
    line = line.strip()
    if line.startswith("Elapsed (wall clock)"):
        v = line.rsplit(": ", 1)[1].split(":")
        wall = sum(float(x) * 60 ** i for i, x in enumerate(reversed(v)))
    elif line.startswith("Maximum resident set size"):
        rss = int(line.rsplit(": ", 1)[1]) * 1024
data = None
try:
    text = open(jf).read()
    start = text.find("{")  # lumen --json: one object on stdout
    data = json.JSONDecoder().raw_decode(text[start:])[0] if start >= 0 else None
except (OSError, ValueError):
    pass
status = "ok" if rc == "0" and data is not None else f"failed (exit {rc})"
if status != "ok":
    tail = open(log, errors="replace").read().strip().splitlines()[-3:]
    status += ": " + " | ".join(tail)
rec = dict(label=label, case=case, code=code, engine=engine, threads=threads, status=status,
           process_wall_s=wall, peak_rss_bytes=rss, data=data)
with open(res, "a") as f:
    f.write(json.dumps(rec) + "\n")
d = data or {}
if "cases" in d:  # meep_baseline.py: {"cases": {name: {...}}}
    d = next(iter(d["cases"].values()), {})
rate = d.get("cell_updates_per_s")
print(f"   {status}; process {wall:.1f} s, peak RSS {rss / 2**20:.0f} MiB"
      + (f", {rate / 1e6:.1f} M cell-updates/s" if rate else ""), flush=True)
PYEOF
}

lumen_runs() { # CASE SCENE SETARG
    local case="$1" scene="$2" set="$3"
    local common=(run "$scene" --json --quiet --set "$set")
    if [ "$HAVE_BACKEND" = 1 ]; then
        run "${case}_lumen_cpu_1t" "$case" lumen cpu 1 - -- \
            env RAYON_NUM_THREADS=1 "$LUMEN" "${common[@]}" --backend cpu -o "$OUT/${case}_lumen_cpu_1t.h5"
        run "${case}_lumen_cpu" "$case" lumen cpu "$NPROC" - -- \
            env -u RAYON_NUM_THREADS "$LUMEN" "${common[@]}" --backend cpu -o "$OUT/${case}_lumen_cpu.h5"
        if [ "$GPU" = 1 ]; then
            run "${case}_lumen_gpu" "$case" lumen gpu - - -- \
                "$LUMEN" "${common[@]}" --backend gpu -o "$OUT/${case}_lumen_gpu.h5"
        fi
    else
        # Before --backend exists: lumen's only path (WGSL on the adapter found).
        if [ "$GPU" = 1 ]; then
            run "${case}_lumen_default" "$case" lumen default - - -- \
                "$LUMEN" "${common[@]}" -o "$OUT/${case}_lumen_default.h5"
        fi
    fi
}

T0=$(date +%s)
{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "git: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet 2>/dev/null || echo ' (dirty tree)')"
    echo "cpu: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $NPROC logical CPUs"
    echo "lumen --backend: $([ "$HAVE_BACKEND" = 1 ] && echo yes || echo 'no (old binary: default path only)')"
    echo "scale: $SCALE"
    echo "adapters:"; "$LUMEN" devices 2>/dev/null | sed 's/^/  /' || true
} > "$OUT/machine.txt"
cat "$OUT/machine.txt"

IFS=',' read -r -a CASE_LIST <<< "$CASES"
for case in "${CASE_LIST[@]}"; do
    t=$(date +%s)
    case "$case" in
        slab2d)
            lumen_runs slab2d benches/scenes/slab_coupling_2d.toml "run.until_fs=$SLAB_FS"
            if [ "$MEEP" = 1 ]; then
                run slab2d_meep slab2d meep serial 1 "$OUT/slab2d_meep.json" -- \
                    env OMP_NUM_THREADS=1 "$MEEP_PY" scripts/meep_slab_coupling.py --until-fs "$SLAB_FS" --json "$OUT/slab2d_meep.json"
            fi
            ;;
        3d128|3d128vac|2d2048|3d256)
            case "$case" in
                3d128) scene=step_3d128; mcase=3d128_pml; n=$(steps_of 100) ;;
                3d128vac) scene=step_3d128_vac; mcase=3d128_vac; n=$(steps_of 100) ;;
                2d2048) scene=step_2d2048; mcase=2d2048_pml; n=$(steps_of 100) ;;
                3d256) scene=step_3d256; mcase=3d256_pml; n=$(steps_of 20) ;;
            esac
            lumen_runs "$case" "benches/scenes/$scene.toml" "run.until_fs=$(until_of "$n")"
            if [ "$MEEP" = 1 ]; then
                # 10 untimed warm-up steps, then n timed ones (lumen: n steps from t = 0).
                run "${case}_meep" "$case" meep serial 1 "$OUT/${case}_meep.json" -- \
                    env OMP_NUM_THREADS=1 "$MEEP_PY" scripts/meep_baseline.py --cases "$mcase" \
                    --steps "$n" --warmup 10 --repeats 1 --json "$OUT/${case}_meep.json"
            fi
            ;;
        *) echo "unknown case $case (slab2d, 3d128, 3d128vac, 2d2048, 3d256)" >&2; exit 2 ;;
    esac
    echo "-- $case: $(( $(date +%s) - t )) s"
done
echo "-- all: $(( $(date +%s) - T0 )) s"

"$PY" "$ROOT/scripts/bench_vs_meep_table.py" "$OUT" | tee "$OUT/bench_vs_meep.md"
echo "(written to $OUT/bench_vs_meep.md)"
