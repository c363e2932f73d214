//! The native engine's Yee updates: the twin of shaders/yee.wgsl
//! (`update_h`, `update_e`), written for speed.
//!
//! update_h: H -= ch * curl E            (forward differences)
//! update_e: E  = ca * E + cb * curl H   (backward differences)
//!
//! The grid is walked row by row (a row is the nx samples of one (j, k)),
//! rayon over blocks of rows, all components of a half step in one pass, so
//! each row of E (or H) is read once from memory per half step. A row's
//! neighbours along y and z are whole rows, resolved once per row (the next
//! row, the periodic wrap, or a row of zeros beyond a PEC wall), so the loop
//! along x has no per-cell branch and LLVM vectorises it; only the first or
//! last sample of a row, whose x neighbour wraps or is zero, is done apart.
//! The arithmetic is the shader's, in the same order (no fused multiply-add),
//! so the two agree to rounding. The CPML slabs are corrected here too, each
//! row right after its interior update ([`Slabs`]).

use rayon::prelude::*;

use super::cpml::Slabs;

/// Where a row's neighbours are. Rows are numbered r = j + ny * k.
#[derive(Clone, Debug)]
pub(super) struct Rows {
    pub nx: usize,
    pub ny: usize,
    pub nz: usize,
    pub periodic: [bool; 3],
    /// Rows per parallel task.
    pub block: usize,
    /// Graded-mesh stretch factors of y and z ([`crate::Grid::stretch`]):
    /// [axis y, z][backward (E), forward (H)][index]; all 1 on a uniform axis,
    /// where multiplying by them changes no bit.
    pub stretch: [[Vec<f32>; 2]; 2],
}

impl Rows {
    /// The y and z stretch factors of row r for the E (`h = 0`) or H
    /// (`h = 1`) update.
    #[inline]
    fn stretch(&self, r: usize, h: usize) -> (f32, f32) {
        (self.stretch[0][h][r % self.ny], self.stretch[1][h][r / self.ny])
    }
    /// Row after r along axis 1 (y) or 2 (z); None beyond a wall.
    #[inline]
    fn next(&self, r: usize, axis: usize) -> Option<usize> {
        let (j, k) = (r % self.ny, r / self.ny);
        match axis {
            1 if j + 1 < self.ny => Some(r + 1),
            1 if self.periodic[1] => Some(r + 1 - self.ny),
            2 if k + 1 < self.nz => Some(r + self.ny),
            2 if self.periodic[2] => Some(j),
            _ => None,
        }
    }
    /// Row before r along axis 1 or 2; None beyond a wall.
    #[inline]
    fn prev(&self, r: usize, axis: usize) -> Option<usize> {
        let (j, k) = (r % self.ny, r / self.ny);
        match axis {
            1 if j > 0 => Some(r - 1),
            1 if self.periodic[1] => Some(r + self.ny - 1),
            2 if k > 0 => Some(r - self.ny),
            2 if self.periodic[2] => Some(j + self.ny * (self.nz - 1)),
            _ => None,
        }
    }
}

/// Row `r` of `f`, or the zero row when there is none.
#[inline]
fn row<'a>(f: &'a [f32], r: Option<usize>, nx: usize, zero: &'a [f32]) -> &'a [f32] {
    match r {
        Some(r) => &f[r * nx..(r + 1) * nx],
        None => zero,
    }
}

/// The field arrays of one half step: the three components updated (empty
/// when not evolved) and the three read.
pub(super) struct Half<'a> {
    pub out: [&'a mut [f32]; 3],
    pub inp: [&'a [f32]; 3],
}

/// H -= ch * curl E over the whole grid (yee.wgsl `update_h`).
pub(super) fn update_h(rows: &Rows, h: Half<'_>, ch: f32, two_d: bool, zero: &[f32], slabs: Option<&Slabs<'_>>) {
    let nx = rows.nx;
    let chunk = rows.block * nx;
    let [ex, ey, ez] = h.inp;
    let [hx, hy, hz] = h.out;
    let px = rows.periodic[0];
    let tm = !hx.is_empty();
    let te = !hz.is_empty();
    // Hx, Hy (TM family) and Hz (TE family), one row at a time.
    let do_row = |r: usize, hx: &mut [f32], hy: &mut [f32], hz: &mut [f32]| {
        let here = Some(r);
        let jp = rows.next(r, 1);
        let w = rows.stretch(r, 1);
        if tm {
            let ez0 = row(ez, here, nx, zero);
            let ez_jp = row(ez, jp, nx, zero);
            if two_d {
                hx_row::<false>(hx, ez0, ez_jp, zero, zero, ch, w);
                hy_row::<false>(hy, ez0, zero, zero, px, ch, w.1);
            } else {
                let kp = rows.next(r, 2);
                hx_row::<true>(hx, ez0, ez_jp, row(ey, here, nx, zero), row(ey, kp, nx, zero), ch, w);
                hy_row::<true>(hy, ez0, row(ex, here, nx, zero), row(ex, kp, nx, zero), px, ch, w.1);
            }
        }
        if te {
            hz_row(
                hz,
                row(ey, here, nx, zero),
                row(ex, here, nx, zero),
                row(ex, jp, nx, zero),
                px,
                ch,
                w.0,
            );
        }
        if let Some(s) = slabs {
            s.h_row(r, [hx, hy, hz], [ex, ey, ez], ch);
        }
    };
    // Rayon zips stop at the shortest input, so the components a run does not
    // evolve (empty arrays) are left out of the zip.
    match (tm, te) {
        (true, true) => hx
            .par_chunks_mut(chunk)
            .zip(hy.par_chunks_mut(chunk))
            .zip(hz.par_chunks_mut(chunk))
            .enumerate()
            .for_each(|(c, ((hx, hy), hz))| {
                for (q, ((hx, hy), hz)) in hx
                    .chunks_exact_mut(nx)
                    .zip(hy.chunks_exact_mut(nx))
                    .zip(hz.chunks_exact_mut(nx))
                    .enumerate()
                {
                    do_row(c * rows.block + q, hx, hy, hz);
                }
            }),
        (true, false) => hx
            .par_chunks_mut(chunk)
            .zip(hy.par_chunks_mut(chunk))
            .enumerate()
            .for_each(|(c, (hx, hy))| {
                for (q, (hx, hy)) in hx.chunks_exact_mut(nx).zip(hy.chunks_exact_mut(nx)).enumerate() {
                    do_row(c * rows.block + q, hx, hy, &mut []);
                }
            }),
        (false, true) => hz.par_chunks_mut(chunk).enumerate().for_each(|(c, hz)| {
            for (q, hz) in hz.chunks_exact_mut(nx).enumerate() {
                do_row(c * rows.block + q, &mut [], &mut [], hz);
            }
        }),
        (false, false) => {}
    }
}

/// E = ca E + cb curl H over the whole grid (yee.wgsl `update_e`); `ca` is
/// None for a lossless run.
#[allow(clippy::too_many_arguments)]
pub(super) fn update_e(
    rows: &Rows,
    e: Half<'_>,
    cb: [&[f32]; 3],
    ca: Option<[&[f32]; 3]>,
    two_d: bool,
    zero: &[f32],
    slabs: Option<&Slabs<'_>>,
) {
    match ca {
        Some(ca) => update_e_with::<true>(rows, e, cb, ca, two_d, zero, slabs),
        // Without loss ca is never read; cb stands in for it.
        None => update_e_with::<false>(rows, e, cb, cb, two_d, zero, slabs),
    }
}

#[allow(clippy::too_many_arguments)]
fn update_e_with<const LOSS: bool>(
    rows: &Rows,
    e: Half<'_>,
    cb: [&[f32]; 3],
    ca: [&[f32]; 3],
    two_d: bool,
    zero: &[f32],
    slabs: Option<&Slabs<'_>>,
) {
    let nx = rows.nx;
    let chunk = rows.block * nx;
    let [hx, hy, hz] = e.inp;
    let [ex, ey, ez] = e.out;
    let px = rows.periodic[0];
    let te = !ex.is_empty();
    let tm = !ez.is_empty();
    let span = |r: usize| r * nx..(r + 1) * nx;
    let do_row = |r: usize, ex: &mut [f32], ey: &mut [f32], ez: &mut [f32]| {
        let here = Some(r);
        let jm = rows.prev(r, 1);
        let w = rows.stretch(r, 0);
        if te {
            let hz0 = row(hz, here, nx, zero);
            let hz_jm = row(hz, jm, nx, zero);
            let (cbx, cby, cax, cay) = (&cb[0][span(r)], &cb[1][span(r)], &ca[0][span(r)], &ca[1][span(r)]);
            if two_d {
                ex_row::<false, LOSS>(ex, hz0, hz_jm, zero, zero, cax, cbx, w);
                ey_row::<false, LOSS>(ey, hz0, zero, zero, px, cay, cby, w.1);
            } else {
                let km = rows.prev(r, 2);
                ex_row::<true, LOSS>(ex, hz0, hz_jm, row(hy, here, nx, zero), row(hy, km, nx, zero), cax, cbx, w);
                ey_row::<true, LOSS>(ey, hz0, row(hx, here, nx, zero), row(hx, km, nx, zero), px, cay, cby, w.1);
            }
        }
        if tm {
            let (cbz, caz) = (&cb[2][span(r)], &ca[2][span(r)]);
            ez_row::<LOSS>(
                ez,
                row(hy, here, nx, zero),
                row(hx, here, nx, zero),
                row(hx, jm, nx, zero),
                px,
                caz,
                cbz,
                w.0,
            );
        }
        if let Some(s) = slabs {
            s.e_row(r, [ex, ey, ez], [hx, hy, hz], cb);
        }
    };
    match (te, tm) {
        (true, true) => ex
            .par_chunks_mut(chunk)
            .zip(ey.par_chunks_mut(chunk))
            .zip(ez.par_chunks_mut(chunk))
            .enumerate()
            .for_each(|(c, ((ex, ey), ez))| {
                for (q, ((ex, ey), ez)) in ex
                    .chunks_exact_mut(nx)
                    .zip(ey.chunks_exact_mut(nx))
                    .zip(ez.chunks_exact_mut(nx))
                    .enumerate()
                {
                    do_row(c * rows.block + q, ex, ey, ez);
                }
            }),
        (true, false) => ex
            .par_chunks_mut(chunk)
            .zip(ey.par_chunks_mut(chunk))
            .enumerate()
            .for_each(|(c, (ex, ey))| {
                for (q, (ex, ey)) in ex.chunks_exact_mut(nx).zip(ey.chunks_exact_mut(nx)).enumerate() {
                    do_row(c * rows.block + q, ex, ey, &mut []);
                }
            }),
        (false, true) => ez.par_chunks_mut(chunk).enumerate().for_each(|(c, ez)| {
            for (q, ez) in ez.chunks_exact_mut(nx).enumerate() {
                do_row(c * rows.block + q, &mut [], &mut [], ez);
            }
        }),
        (false, false) => {}
    }
}

// Row kernels. `Z` = the z terms exist (3D). Names: a0 = this row, a_jp /
// a_kp = the next row along y / z, a_jm / a_km = the previous one.

// `wy`, `wz`: the row's stretch factors of the y and z differences (1 on a
// uniform grid; src/mesh.rs).

/// Hx -= ch * ((Ez(j+1) - Ez) wy - (Ey(k+1) - Ey) wz).
#[inline]
fn hx_row<const Z: bool>(hx: &mut [f32], ez0: &[f32], ez_jp: &[f32], ey0: &[f32], ey_kp: &[f32], ch: f32, (wy, wz): (f32, f32)) {
    if Z {
        for ((h, (&a1, &a0)), (&b1, &b0)) in hx.iter_mut().zip(ez_jp.iter().zip(ez0)).zip(ey_kp.iter().zip(ey0)) {
            *h -= ch * ((a1 - a0) * wy - (b1 - b0) * wz);
        }
    } else {
        for (h, (&a1, &a0)) in hx.iter_mut().zip(ez_jp.iter().zip(ez0)) {
            *h -= ch * ((a1 - a0) * wy);
        }
    }
}

/// Hy -= ch * (-(Ez(i+1) - Ez) + (Ex(k+1) - Ex) wz).
#[inline]
fn hy_row<const Z: bool>(hy: &mut [f32], ez0: &[f32], ex0: &[f32], ex_kp: &[f32], px: bool, ch: f32, wz: f32) {
    let n = hy.len();
    let ez_ip_last = if px { ez0[0] } else { 0.0 };
    let one = |h: &mut f32, ez_ip: f32, ez: f32, x1: f32, x0: f32| {
        let mut c = -(ez_ip - ez);
        if Z {
            c += (x1 - x0) * wz;
        }
        *h -= ch * c;
    };
    if Z {
        for ((h, (&a1, &a0)), (&b1, &b0)) in hy[..n - 1]
            .iter_mut()
            .zip(ez0[1..].iter().zip(&ez0[..n - 1]))
            .zip(ex_kp[..n - 1].iter().zip(&ex0[..n - 1]))
        {
            one(h, a1, a0, b1, b0);
        }
        one(&mut hy[n - 1], ez_ip_last, ez0[n - 1], ex_kp[n - 1], ex0[n - 1]);
    } else {
        for (h, (&a1, &a0)) in hy[..n - 1].iter_mut().zip(ez0[1..].iter().zip(&ez0[..n - 1])) {
            one(h, a1, a0, 0.0, 0.0);
        }
        one(&mut hy[n - 1], ez_ip_last, ez0[n - 1], 0.0, 0.0);
    }
}

/// Hz -= ch * ((Ey(i+1) - Ey) - (Ex(j+1) - Ex) wy).
#[inline]
fn hz_row(hz: &mut [f32], ey0: &[f32], ex0: &[f32], ex_jp: &[f32], px: bool, ch: f32, wy: f32) {
    let n = hz.len();
    for ((h, (&a1, &a0)), (&b1, &b0)) in hz[..n - 1]
        .iter_mut()
        .zip(ey0[1..].iter().zip(&ey0[..n - 1]))
        .zip(ex_jp[..n - 1].iter().zip(&ex0[..n - 1]))
    {
        *h -= ch * ((a1 - a0) - (b1 - b0) * wy);
    }
    let ey_ip = if px { ey0[0] } else { 0.0 };
    hz[n - 1] -= ch * ((ey_ip - ey0[n - 1]) - (ex_jp[n - 1] - ex0[n - 1]) * wy);
}

#[inline(always)]
fn store<const LOSS: bool>(e: &mut f32, ca: f32, cb: f32, curl: f32) {
    let old = if LOSS { ca * *e } else { *e };
    *e = old + cb * curl;
}

/// Ex = ca Ex + cb ((Hz - Hz(j-1)) wy - (Hy - Hy(k-1)) wz).
#[inline]
#[allow(clippy::too_many_arguments)]
fn ex_row<const Z: bool, const LOSS: bool>(
    ex: &mut [f32],
    hz0: &[f32],
    hz_jm: &[f32],
    hy0: &[f32],
    hy_km: &[f32],
    ca: &[f32],
    cb: &[f32],
    (wy, wz): (f32, f32),
) {
    if Z {
        for ((((e, (&a0, &a1)), (&b0, &b1)), &ca), &cb) in
            ex.iter_mut().zip(hz0.iter().zip(hz_jm)).zip(hy0.iter().zip(hy_km)).zip(ca).zip(cb)
        {
            store::<LOSS>(e, ca, cb, (a0 - a1) * wy - (b0 - b1) * wz);
        }
    } else {
        for (((e, (&a0, &a1)), &ca), &cb) in ex.iter_mut().zip(hz0.iter().zip(hz_jm)).zip(ca).zip(cb) {
            store::<LOSS>(e, ca, cb, (a0 - a1) * wy);
        }
    }
}

/// Ey = ca Ey + cb (-(Hz - Hz(i-1)) + (Hx - Hx(k-1)) wz).
#[inline]
#[allow(clippy::too_many_arguments)]
fn ey_row<const Z: bool, const LOSS: bool>(
    ey: &mut [f32],
    hz0: &[f32],
    hx0: &[f32],
    hx_km: &[f32],
    px: bool,
    ca: &[f32],
    cb: &[f32],
    wz: f32,
) {
    let n = ey.len();
    let hz_im_first = if px { hz0[n - 1] } else { 0.0 };
    let one = |e: &mut f32, hz: f32, hz_im: f32, x0: f32, x1: f32, ca: f32, cb: f32| {
        let mut c = -(hz - hz_im);
        if Z {
            c += (x0 - x1) * wz;
        }
        store::<LOSS>(e, ca, cb, c);
    };
    if Z {
        one(&mut ey[0], hz0[0], hz_im_first, hx0[0], hx_km[0], ca[0], cb[0]);
        for ((((e, (&a0, &a1)), (&b0, &b1)), &ca), &cb) in ey[1..]
            .iter_mut()
            .zip(hz0[1..].iter().zip(&hz0[..n - 1]))
            .zip(hx0[1..].iter().zip(&hx_km[1..]))
            .zip(&ca[1..])
            .zip(&cb[1..])
        {
            one(e, a0, a1, b0, b1, ca, cb);
        }
    } else {
        one(&mut ey[0], hz0[0], hz_im_first, 0.0, 0.0, ca[0], cb[0]);
        for (((e, (&a0, &a1)), &ca), &cb) in ey[1..]
            .iter_mut()
            .zip(hz0[1..].iter().zip(&hz0[..n - 1]))
            .zip(&ca[1..])
            .zip(&cb[1..])
        {
            one(e, a0, a1, 0.0, 0.0, ca, cb);
        }
    }
}

/// Ez = ca Ez + cb ((Hy - Hy(i-1)) - (Hx - Hx(j-1)) wy).
#[inline]
#[allow(clippy::too_many_arguments)]
fn ez_row<const LOSS: bool>(ez: &mut [f32], hy0: &[f32], hx0: &[f32], hx_jm: &[f32], px: bool, ca: &[f32], cb: &[f32], wy: f32) {
    let n = ez.len();
    let hy_im = if px { hy0[n - 1] } else { 0.0 };
    store::<LOSS>(&mut ez[0], ca[0], cb[0], (hy0[0] - hy_im) - (hx0[0] - hx_jm[0]) * wy);
    for ((((e, (&a0, &a1)), (&b0, &b1)), &ca), &cb) in ez[1..]
        .iter_mut()
        .zip(hy0[1..].iter().zip(&hy0[..n - 1]))
        .zip(hx0[1..].iter().zip(&hx_jm[1..]))
        .zip(&ca[1..])
        .zip(&cb[1..])
    {
        store::<LOSS>(e, ca, cb, (a0 - a1) - (b0 - b1) * wy);
    }
}
