//! Reciprocity coupling maps (`coupling_maps/<port>/mode<m>` of a result
//! file, src/reciprocity.rs): the coupling efficiency of a dipole over the
//! emitter region at one wavelength, averaged over the evolved dipole
//! orientations (an isotropic emitter), drawn over the region with the
//! outline of the index steps (from the stored scene). 3D maps are cut at
//! the region's middle z sample.

use std::path::Path;

use ::hdf5::File;

use super::figure::Image;
use super::{fmt_num, PlotError};
use crate::grid::Component;
use crate::output::{FileSummary, OutputError};

/// The group prefix of the maps in a result file.
pub const MAPS: &str = "coupling_maps";

fn h5(path: &Path, what: String) -> impl FnOnce(::hdf5::Error) -> PlotError + '_ {
    move |e| {
        PlotError::Read(OutputError::Hdf5 {
            path: path.to_path_buf(),
            what,
            source: e,
        })
    }
}

/// The maps of a result file: `coupling_maps/<port>/mode<m>`.
pub fn map_targets(path: &Path) -> Result<Vec<String>, PlotError> {
    let f = File::open(path).map_err(h5(path, "open".into()))?;
    let mut out = Vec::new();
    if !f.link_exists(MAPS) {
        return Ok(out);
    }
    let g = f.group(MAPS).map_err(h5(path, format!("open `{MAPS}`")))?;
    for port in g.member_names().map_err(h5(path, format!("list `{MAPS}`")))? {
        let pg = g.group(&port).map_err(h5(path, format!("open `{MAPS}/{port}`")))?;
        for m in pg.member_names().map_err(h5(path, format!("list `{MAPS}/{port}`")))? {
            out.push(format!("{MAPS}/{port}/{m}"));
        }
    }
    Ok(out)
}

/// Draw the map `target` at `wavelength_um` (default the middle one).
pub fn coupling_map_plot(
    path: &Path,
    file: &str,
    summary: &FileSummary,
    target: &str,
    wavelength_um: Option<f64>,
) -> Result<(Image, String), PlotError> {
    let f = File::open(path).map_err(h5(path, "open".into()))?;
    let g = f.group(target).map_err(|_| {
        let known = map_targets(path).unwrap_or_default().join(", ");
        PlotError::invalid("--monitor", format!("no map `{target}` in the file (maps: {known})"))
    })?;
    let read = |name: &str| -> Result<Vec<f64>, PlotError> {
        g.dataset(name)
            .and_then(|d| d.read_raw::<f64>())
            .map_err(h5(path, format!("read `{target}/{name}`")))
    };
    let wls = read("wavelengths_um")?;
    let fi = match wavelength_um {
        None => (wls.len().max(1) - 1) / 2,
        // The nearest stored wavelength, inside their range.
        Some(w) => {
            let (lo, hi) = wls.iter().fold((f64::INFINITY, 0.0f64), |(l, h), &x| (l.min(x), h.max(x)));
            (0..wls.len())
                .min_by(|&a, &b| (wls[a] - w).abs().total_cmp(&(wls[b] - w).abs()))
                .filter(|_| w >= lo * (1.0 - 1e-9) && w <= hi * (1.0 + 1e-9))
                .ok_or_else(|| PlotError::invalid("--wavelength-um", format!("{w} is outside the map's wavelengths ({lo} to {hi} um)")))?
        }
    };
    let comps: Vec<Component> = Component::ALL[..3]
        .iter()
        .copied()
        .filter(|c| g.link_exists(&format!("efficiency_{}", c.name())))
        .collect();
    let Some(&first) = comps.first() else {
        return Err(PlotError::invalid("--monitor", format!("`{target}` holds no map")));
    };
    let pos = |c: Component, a: &str| read(&format!("{}_{a}_um", c.name()));
    let (xs, ys, zs) = (pos(first, "x")?, pos(first, "y")?, pos(first, "z")?);
    let k = zs.len() / 2;
    // Mean over the orientations, each component taken at its sample
    // nearest to the first component's (they sit half a cell apart).
    let mut values = vec![0.0; xs.len() * ys.len()];
    for &c in &comps {
        let (cx, cy, cz) = (pos(c, "x")?, pos(c, "y")?, pos(c, "z")?);
        let a = g
            .dataset(&format!("efficiency_{}", c.name()))
            .and_then(|d| d.read_dyn::<f64>())
            .map_err(h5(path, format!("read `{target}/efficiency_{}`", c.name())))?;
        let near = |v: &[f64], t: f64| {
            (0..v.len())
                .min_by(|&i, &j| (v[i] - t).abs().total_cmp(&(v[j] - t).abs()))
                .unwrap_or(0)
        };
        let kk = near(&cz, zs[k]);
        for (j, y) in ys.iter().enumerate() {
            let jj = near(&cy, *y);
            for (i, x) in xs.iter().enumerate() {
                let ii = near(&cx, *x);
                values[i + xs.len() * j] += a[[fi, kk, jj, ii]] / comps.len() as f64;
            }
        }
    }
    // The index steps, from the stored scene (none if it cannot be rebuilt).
    let eps = super::result::stored_scene(summary).ok().map(|scene| {
        let g = &scene.prepared.grid;
        let o = scene.origin_offset_um;
        let e = &scene.prepared.materials.eps[first.index()];
        let mut v = Vec::with_capacity(values.len());
        for y in &ys {
            for x in &xs {
                let ijk = g.nearest(first, [x + o[0], y + o[1], zs[k] + o[2]]).unwrap_or([0; 3]);
                v.push(e.get(g.index(ijk[0], ijk[1], ijk[2])).copied().unwrap_or(1.0) as f64);
            }
        }
        v
    });
    let mode_name = g
        .attr("mode_name")
        .and_then(|a| a.read_scalar::<::hdf5::types::VarLenUnicode>())
        .map(|s| s.as_str().to_string())
        .unwrap_or_default();
    let port = target.split('/').nth(1).unwrap_or("");
    let best = values.iter().copied().fold(0.0f64, f64::max);
    let orient: Vec<&str> = comps.iter().map(|c| &c.name()[1..]).collect();
    let title = format!(
        "{file}: coupling into port `{port}` {mode_name} at {} µm (reciprocity)",
        fmt_num(wls[fi])
    );
    let mut footer = format!(
        "efficiency vs a dipole in bulk emitter medium, mean over orientations {}; max {:.3e}; x horizontal, y vertical (µm)",
        orient.join(", "),
        best
    );
    if zs.len() > 1 {
        footer.push_str(&format!("; cut at z = {} µm", fmt_num(zs[k])));
    }
    let image = super::mode::mode_map_image(&title, &footer, &xs, &ys, &values, eps.as_deref())?;
    Ok((
        image,
        format!("coupling map `{target}` at {} um: max efficiency {best:.3e}", fmt_num(wls[fi])),
    ))
}
