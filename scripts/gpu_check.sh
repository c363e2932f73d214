#!/usr/bin/env bash
# GPU check from prebuilt binaries (no cargo on the target): the twin
# agreement and physics tests that matter, and the step throughput at 256^3
# and 512^3 (3D, 16-cell CPML, n = 2 block, dipole: the benches/step.rs scene).
# Budget: under 8 minutes on one GPU.
#
# Prepare on a build machine (same OS / glibc as the target):
#   cargo test --release --no-run --test gpu_vs_cpu --test cpml --test dispersive --test modes
#   cargo build --release --example gpu_bench
#   scripts/gpu_check.sh --collect BIN_DIR     # copies the binaries into BIN_DIR
# then copy BIN_DIR and this script to the target and run
#   scripts/gpu_check.sh BIN_DIR [REPORT]      # REPORT default: gpu_check_report.txt
#
# The target needs a Vulkan loader (libvulkan1) and the NVIDIA ICD. Without a
# system loader, unpack the Debian packages (apt-get download libvulkan1 ...)
# with dpkg -x into / and run ldconfig; if no driver is found, set
#   VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
# The adapter comes from WGPU_BACKEND (default here: vulkan) and LUMEN_ADAPTER.
set -u

if [ "${1:-}" = "--collect" ]; then
    out=${2:?usage: gpu_check.sh --collect BIN_DIR}
    root=$(cd "$(dirname "$0")/.." && pwd)
    mkdir -p "$out"
    for t in gpu_vs_cpu cpml dispersive modes; do
        # The newest test executable of that name (cargo appends a hash).
        f=$(ls -t "$root"/target/release/deps/"$t"-* 2>/dev/null | grep -v '\.d$' | head -1)
        [ -n "$f" ] || { echo "no test binary $t: run cargo test --release --no-run first" >&2; exit 1; }
        cp "$f" "$out/$t"
    done
    cp "$root/target/release/examples/gpu_bench" "$out/gpu_bench" || exit 1
    echo "binaries in $out"
    exit 0
fi

bin=${1:?usage: gpu_check.sh BIN_DIR [REPORT] | --collect BIN_DIR}
report=${2:-gpu_check_report.txt}
export WGPU_BACKEND=${WGPU_BACKEND:-vulkan}
# The physics tests step on the native CPU engine unless told otherwise
# (tests/common/mod.rs); here they must run the WGSL path on the GPU.
export LUMEN_TEST_BACKEND=gpu
log=$(mktemp -d)
fail=0
{
    echo "lumen-fdtd GPU check, $(date -u +%Y-%m-%dT%H:%M:%SZ), host $(hostname)"
    command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
    echo "WGPU_BACKEND=$WGPU_BACKEND LUMEN_ADAPTER=${LUMEN_ADAPTER:-}"
} >"$report"

run_test() { # name binary filter...
    local name=$1 b=$2; shift 2
    local t0=$SECONDS
    if timeout 150 "$bin/$b" --test-threads=1 "$@" >"$log/$name.txt" 2>&1; then
        echo "PASS $name ($((SECONDS - t0)) s)" >>"$report"
    else
        echo "FAIL $name ($((SECONDS - t0)) s): $(grep -m1 -E 'panicked|error' "$log/$name.txt")" >>"$report"
        fail=1
    fi
    grep -m1 '^adapter:' "$log/$name.txt" >>"$log/adapters.txt"
}

run_test twin gpu_vs_cpu
run_test cpml cpml
run_test dispersive dispersive
run_test mode_port modes mode_source_and_port_in_3d
sort -u "$log/adapters.txt" | sed 's/^/tests ran on /' >>"$report"

for case in "256 50" "512 20"; do
    if timeout 120 "$bin/gpu_bench" $case >"$log/bench.txt" 2>&1; then
        r=$(grep '^RESULT' "$log/bench.txt")
        echo "BENCH ${r#RESULT }" >>"$report"
    else
        echo "FAIL bench $case: $(tail -1 "$log/bench.txt")" >>"$report"
        fail=1
    fi
done
echo "overall: $([ $fail = 0 ] && echo PASS || echo FAIL)" >>"$report"
cat "$report"
exit $fail
