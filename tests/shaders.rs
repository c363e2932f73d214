//! Every WGSL file parses and validates with naga (so a shader typo fails
//! `cargo test`, not a user's run), and the host structs that mirror WGSL
//! structs have the sizes naga computes for them.

use lumen_fdtd::dispersion::DispersiveSample;
use lumen_fdtd::gpu::stepper::{CountParams, DispersionParams, YeeParams, DFT_WGSL, DISPERSION_WGSL, PROBES_WGSL, SOURCES_WGSL, YEE_WGSL};
use lumen_fdtd::monitor::dft::DftSample;
use lumen_fdtd::sim::{ProbeCell, SourceCell};

fn module(name: &str, src: &str) -> naga::Module {
    let m = naga::front::wgsl::parse_str(src).unwrap_or_else(|e| panic!("{name}: {}", e.emit_to_string(src)));
    let mut v = naga::valid::Validator::new(naga::valid::ValidationFlags::all(), naga::valid::Capabilities::empty());
    v.validate(&m).unwrap_or_else(|e| panic!("{name}: {}", e.emit_to_string(src)));
    m
}

fn struct_size(m: &naga::Module, name: &str) -> u32 {
    let mut layouter = naga::proc::Layouter::default();
    layouter.update(m.to_ctx()).unwrap();
    let (h, _) = m
        .types
        .iter()
        .find(|(_, t)| t.name.as_deref() == Some(name))
        .unwrap_or_else(|| panic!("no struct {name}"));
    layouter[h].size
}

#[test]
fn all_shaders_validate() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("shaders");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) == Some("wgsl") {
            let src = std::fs::read_to_string(&path).unwrap();
            module(&path.display().to_string(), &src);
            n += 1;
        }
    }
    // yee (with the CPML folded in), sources, probes, dft, dispersion.
    assert!(n >= 5, "expected the five kernel families, found {n} shaders");
}

#[test]
fn host_structs_match_wgsl() {
    let yee = module("yee", YEE_WGSL);
    assert_eq!(struct_size(&yee, "Params") as usize, std::mem::size_of::<YeeParams>());
    let src = module("sources", SOURCES_WGSL);
    assert_eq!(struct_size(&src, "Params") as usize, std::mem::size_of::<CountParams>());
    assert_eq!(struct_size(&src, "SourceCell") as usize, std::mem::size_of::<SourceCell>());
    let probes = module("probes", PROBES_WGSL);
    assert_eq!(struct_size(&probes, "Params") as usize, std::mem::size_of::<CountParams>());
    assert_eq!(struct_size(&probes, "ProbeCell") as usize, std::mem::size_of::<ProbeCell>());
    let dft = module("dft", DFT_WGSL);
    assert_eq!(struct_size(&dft, "Params") as usize, std::mem::size_of::<CountParams>());
    assert_eq!(struct_size(&dft, "DftSample") as usize, std::mem::size_of::<DftSample>());
    let disp = module("dispersion", DISPERSION_WGSL);
    assert_eq!(struct_size(&disp, "Params") as usize, std::mem::size_of::<DispersionParams>());
    assert_eq!(struct_size(&disp, "Sample") as usize, std::mem::size_of::<DispersiveSample>());
}
