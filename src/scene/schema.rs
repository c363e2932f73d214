//! The scene file as written: serde structs that mirror the TOML layout
//! (see docs/scene-format.md). Every table denies unknown keys. Nothing here
//! converts units or checks ranges; that is [`super::build`]'s job.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::value::MapAccessDeserializer;
use serde::de::{self, IgnoredAny, IntoDeserializer, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use toml::de::ValueDeserializer;

use crate::grid::Component;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SceneFile {
    pub simulation: SimulationSpec,
    #[serde(default)]
    pub boundaries: BoundariesSpec,
    /// Mirror planes through the domain centre (docs/scene-format.md, "Symmetry").
    #[serde(default)]
    pub symmetry: SymmetrySpec,
    #[serde(default)]
    pub materials: BTreeMap<String, MaterialSpec>,
    /// `[[geometry]]` and `[[monitors]]` entries are tagged by `type`; they are
    /// read one by one from the span tree ([`super::tagged`]) rather than by
    /// `#[serde(tag = "type")]`, whose buffering would lose the line of an
    /// error inside an entry.
    #[serde(default, rename = "geometry")]
    _geometry: Vec<IgnoredAny>,
    #[serde(default)]
    pub sources: Vec<SourceSpec>,
    #[serde(default, rename = "monitors")]
    _monitors: Vec<IgnoredAny>,
    pub run: RunSpec,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SimulationSpec {
    pub dimensions: Option<DimensionsName>,
    pub polarization: Option<PolarizationName>,
    pub size_um: Vec<f64>,
    pub resolution: f64,
    pub courant: Option<f64>,
    pub background: Option<String>,
    pub subpixel_smoothing: Option<bool>,
    /// `[[simulation.refine]]`: graded-mesh ranges (src/mesh.rs).
    #[serde(default)]
    pub refine: Vec<RefineSpec>,
}

/// One `[[simulation.refine]]` entry: a range of an axis meshed finer.
#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub(super) struct RefineSpec {
    pub axis: String,
    pub range_um: Vec<f64>,
    pub resolution: f64,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
pub(super) enum DimensionsName {
    #[serde(rename = "2d", alias = "2D")]
    Two,
    #[serde(rename = "3d", alias = "3D")]
    Three,
}

/// `[symmetry]`: per axis, the parity of E under the mirror through the
/// domain centre.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct SymmetrySpec {
    pub x: Option<ParityName>,
    pub y: Option<ParityName>,
    pub z: Option<ParityName>,
    /// false: step the whole grid (the same cells and sources), to check.
    pub fold: Option<bool>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub(super) enum ParityName {
    Even,
    Odd,
    Auto,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub(super) enum PolarizationName {
    #[serde(alias = "TM")]
    Tm,
    #[serde(alias = "TE")]
    Te,
}

/// A field component as written in the file ("Ez").
#[derive(Deserialize, Clone, Copy)]
pub(super) enum ComponentName {
    Ex,
    Ey,
    Ez,
    Hx,
    Hy,
    Hz,
}

impl From<ComponentName> for Component {
    fn from(c: ComponentName) -> Component {
        match c {
            ComponentName::Ex => Component::Ex,
            ComponentName::Ey => Component::Ey,
            ComponentName::Ez => Component::Ez,
            ComponentName::Hx => Component::Hx,
            ComponentName::Hy => Component::Hy,
            ComponentName::Hz => Component::Hz,
        }
    }
}

/// `[boundaries]`: a default, per-axis and per-face entries; the most
/// specific one wins.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct BoundariesSpec {
    pub default: Option<BoundarySpec>,
    pub x: Option<BoundarySpec>,
    pub y: Option<BoundarySpec>,
    pub z: Option<BoundarySpec>,
    pub xmin: Option<BoundarySpec>,
    pub xmax: Option<BoundarySpec>,
    pub ymin: Option<BoundarySpec>,
    pub ymax: Option<BoundarySpec>,
    pub zmin: Option<BoundarySpec>,
    pub zmax: Option<BoundarySpec>,
}

impl BoundariesSpec {
    /// The entry for `key` (one of the field names).
    pub fn get(&self, key: &str) -> Option<&BoundarySpec> {
        match key {
            "default" => self.default.as_ref(),
            "x" => self.x.as_ref(),
            "y" => self.y.as_ref(),
            "z" => self.z.as_ref(),
            "xmin" => self.xmin.as_ref(),
            "xmax" => self.xmax.as_ref(),
            "ymin" => self.ymin.as_ref(),
            "ymax" => self.ymax.as_ref(),
            "zmin" => self.zmin.as_ref(),
            "zmax" => self.zmax.as_ref(),
            _ => None,
        }
    }
}

/// `"pml"` or `{ type = "pml", thickness_um = 1.0, ... }`.
pub(super) enum BoundarySpec {
    Kind(BoundaryKind),
    Table(BoundaryTable),
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "lowercase")]
pub(super) enum BoundaryKind {
    Pml,
    Pec,
    Periodic,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BoundaryTable {
    #[serde(rename = "type")]
    pub kind: BoundaryKind,
    pub thickness_um: Option<f64>,
    pub cells: Option<usize>,
    pub order: Option<f64>,
    pub sigma_factor: Option<f64>,
    pub kappa_max: Option<f64>,
    pub alpha_max: Option<f64>,
}

// A string or a table, without serde(untagged): that would buffer the value
// and lose both the line and the reason of an error inside the table.
impl<'de> Deserialize<'de> for BoundarySpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = BoundarySpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(r#""pml", "pec", "periodic" or a table such as { type = "pml", thickness_um = 1.0 }"#)
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<BoundarySpec, E> {
                BoundaryKind::deserialize(s.into_deserializer()).map(BoundarySpec::Kind)
            }
            fn visit_map<A: MapAccess<'de>>(self, m: A) -> Result<BoundarySpec, A::Error> {
                BoundaryTable::deserialize(MapAccessDeserializer::new(m)).map(BoundarySpec::Table)
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MaterialSpec {
    pub index: Option<f64>,
    pub eps: Option<f64>,
    pub conductivity_s_per_m: Option<f64>,
    pub k: Option<f64>,
    pub k_wavelength_um: Option<f64>,
    /// A built-in material (crate::library), dispersive unless `at_wavelength_um`.
    pub library: Option<String>,
    pub at_wavelength_um: Option<f64>,
    /// Dispersive terms added to eps (eps_inf).
    #[serde(default)]
    pub poles: Vec<PoleSpec>,
}

/// One dispersive term of a material (frequencies in 1/um = c/um).
#[derive(Deserialize)]
#[serde(deny_unknown_fields, tag = "type", rename_all = "snake_case")]
pub(super) enum PoleSpec {
    Lorentz { frequency: f64, gamma: f64, sigma: f64 },
    Drude { frequency: f64, gamma: f64, sigma: f64 },
    Debye { delta_eps: f64, tau_fs: f64 },
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(super) enum GeometryType {
    Box,
    Cylinder,
    Sphere,
    Ellipsoid,
    #[serde(alias = "frustum")]
    Cone,
    #[serde(alias = "prism")]
    Polygon,
    Gds,
    Stack,
    Group,
}

/// One `[[geometry]]` entry (or a member of a group's `shapes`). Open for
/// more shapes: add a `GeometryType` variant, its struct and a line in
/// [`GeometrySpec::read`]; the conversion is in `scene/geometry.rs`.
pub(super) enum GeometrySpec {
    Box(BoxSpec),
    Cylinder(CylinderSpec),
    Sphere(SphereSpec),
    Ellipsoid(EllipsoidSpec),
    Cone(ConeSpec),
    Polygon(PolygonSpec),
    Gds(GdsSpec),
    Stack(StackSpec),
    Group(GroupSpec),
}

impl GeometrySpec {
    pub fn read(kind: GeometryType, de: ValueDeserializer) -> Result<GeometrySpec, toml::de::Error> {
        Ok(match kind {
            GeometryType::Box => GeometrySpec::Box(BoxSpec::deserialize(de)?),
            GeometryType::Cylinder => GeometrySpec::Cylinder(CylinderSpec::deserialize(de)?),
            GeometryType::Sphere => GeometrySpec::Sphere(SphereSpec::deserialize(de)?),
            GeometryType::Ellipsoid => GeometrySpec::Ellipsoid(EllipsoidSpec::deserialize(de)?),
            GeometryType::Cone => GeometrySpec::Cone(ConeSpec::deserialize(de)?),
            GeometryType::Polygon => GeometrySpec::Polygon(PolygonSpec::deserialize(de)?),
            GeometryType::Gds => GeometrySpec::Gds(GdsSpec::deserialize(de)?),
            GeometryType::Stack => GeometrySpec::Stack(StackSpec::deserialize(de)?),
            GeometryType::Group => GeometrySpec::Group(GroupSpec::deserialize(de)?),
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BoxSpec {
    #[serde(rename = "type")]
    _type: IgnoredAny,
    pub center_um: Vec<f64>,
    pub size_um: Vec<f64>,
    pub material: String,
    pub array: Option<ArraySpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CylinderSpec {
    #[serde(rename = "type")]
    _type: IgnoredAny,
    pub center_um: Vec<f64>,
    pub axis: Option<AxisSpec>,
    pub radius_um: f64,
    pub height_um: Option<f64>,
    pub material: String,
    pub array: Option<ArraySpec>,
    pub graded: Option<GradedSpec>,
}

/// A graded-index cylinder: n(r) = n_axis sqrt(1 - 2 Delta (r/a)^exponent)
/// inside, the cylinder's material (the cladding) at r = a.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct GradedSpec {
    pub n_axis: f64,
    pub exponent: Option<f64>,
    pub steps: Option<usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SphereSpec {
    #[serde(rename = "type")]
    _type: IgnoredAny,
    pub center_um: Vec<f64>,
    pub radius_um: f64,
    pub material: String,
    pub array: Option<ArraySpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct EllipsoidSpec {
    #[serde(rename = "type")]
    _type: IgnoredAny,
    pub center_um: Vec<f64>,
    pub radii_um: Vec<f64>,
    pub material: String,
    pub array: Option<ArraySpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ConeSpec {
    #[serde(rename = "type")]
    _type: IgnoredAny,
    pub center_um: Vec<f64>,
    pub axis: Option<AxisSpec>,
    pub height_um: f64,
    pub radius_um: f64,
    pub top_radius_um: Option<f64>,
    pub sidewall_angle_deg: Option<f64>,
    pub material: String,
    pub array: Option<ArraySpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PolygonSpec {
    #[serde(rename = "type")]
    _type: IgnoredAny,
    pub vertices_um: Vec<Vec<f64>>,
    pub axis: Option<AxisName>,
    pub height_um: Option<f64>,
    pub axis_center_um: Option<f64>,
    pub material: String,
    pub array: Option<ArraySpec>,
}

/// The polygons of one layer of a GDSII layout (scene/gds.rs), each
/// extruded like a `polygon` entry (same `axis`, `height_um`,
/// `axis_center_um`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct GdsSpec {
    #[serde(rename = "type")]
    _type: IgnoredAny,
    /// Relative to the scene file's folder.
    pub file: String,
    /// Default: the layout's only top cell.
    pub cell: Option<String>,
    pub layer: i64,
    pub datatype: Option<i64>,
    pub axis: Option<AxisName>,
    pub height_um: Option<f64>,
    pub axis_center_um: Option<f64>,
    /// Layout coordinates (um) times `scale`, plus `offset_um`.
    pub offset_um: Option<Vec<f64>>,
    pub scale: Option<f64>,
    pub material: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StackSpec {
    #[serde(rename = "type")]
    _type: IgnoredAny,
    pub axis: Option<AxisName>,
    pub start_um: f64,
    pub layers: Vec<LayerSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LayerSpec {
    pub material: String,
    pub thickness_um: f64,
}

/// `shapes` are `type`-tagged entries like `[[geometry]]`, read from the
/// span tree by the caller.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct GroupSpec {
    #[serde(rename = "type")]
    _type: IgnoredAny,
    #[serde(rename = "shapes")]
    _shapes: Vec<IgnoredAny>,
    pub array: ArraySpec,
}

/// `array = { ... }` of a shape or a group.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ArraySpec {
    pub lattice: Option<LatticeName>,
    pub vectors_um: Option<Vec<Vec<f64>>>,
    pub counts: Option<Vec<usize>>,
    pub pitch_um: Option<f64>,
    pub rings: Option<usize>,
    pub axis: Option<AxisName>,
    pub rotation_deg: Option<f64>,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub(super) enum LatticeName {
    Vectors,
    #[serde(alias = "hexagonal")]
    Hex,
}

/// A coordinate axis.
#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "lowercase")]
pub(super) enum AxisName {
    #[serde(alias = "X")]
    X,
    #[serde(alias = "Y")]
    Y,
    #[serde(alias = "Z")]
    Z,
}

impl AxisName {
    pub fn index(self) -> usize {
        match self {
            AxisName::X => 0,
            AxisName::Y => 1,
            AxisName::Z => 2,
        }
    }
}

/// `"x"`, `"y"`, `"z"` or a direction `[x, y, z]`.
pub(super) enum AxisSpec {
    Name(AxisName),
    Vector(Vec<f64>),
}

// A string or an array, read without serde(untagged) (see BoundarySpec).
impl<'de> Deserialize<'de> for AxisSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = AxisSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(r#""x", "y", "z" or a direction [x, y, z]"#)
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<AxisSpec, E> {
                AxisName::deserialize(s.into_deserializer()).map(AxisSpec::Name)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<AxisSpec, A::Error> {
                Vec::<f64>::deserialize(de::value::SeqAccessDeserializer::new(seq)).map(AxisSpec::Vector)
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub(super) enum SourceType {
    Dipole,
    Plane,
    Region,
    Mode,
    Led,
}

/// `orientations` of an LED: "all", "in_plane", or a list of axes.
#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum OrientationSpec {
    Named(String),
    Axes(Vec<String>),
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub(super) enum ProfileName {
    Gaussian,
    Cw,
}

/// One `[[sources]]` entry; which keys a type takes is checked in `build`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SourceSpec {
    #[serde(rename = "type")]
    pub kind: SourceType,
    pub name: Option<String>,
    pub position_um: Option<Vec<f64>>,
    pub center_um: Option<Vec<f64>>,
    pub size_um: Option<Vec<f64>>,
    pub component: Option<ComponentName>,
    pub direction: Option<Vec<f64>>,
    pub amplitude: Option<f64>,
    pub profile: Option<ProfileName>,
    pub wavelength_um: f64,
    pub bandwidth_um: Option<f64>,
    pub fwhm_frequency: Option<f64>,
    pub ramp_periods: Option<f64>,
    // type = "mode"
    pub mode: Option<usize>,
    pub launch: Option<FluxDirection>,
    // type = "led"
    pub positions: Option<Vec<usize>>,
    pub points_um: Option<Vec<Vec<f64>>>,
    pub orientations: Option<OrientationSpec>,
    pub well_normal: Option<String>,
    pub symmetry: Option<Vec<String>>,
    pub target_port: Option<String>,
    pub extraction_monitor: Option<String>,
    pub wavelengths_um: Option<Vec<f64>>,
    pub wavelength_range_um: Option<Vec<f64>>,
    pub points: Option<usize>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub(super) enum MonitorType {
    Probe,
    Dft,
    Flux,
    SourcePower,
    Snapshot,
    Mode,
    FarField,
    Acceptance,
}

/// One `[[monitors]]` entry.
pub(super) enum MonitorSpec {
    Probe(ProbeSpec),
    Dft(DftSpec),
    Flux(FluxSpec),
    SourcePower(SourcePowerSpec),
    Snapshot(SnapshotSpec),
    Mode(ModeSpec),
    FarField(FarFieldSpec),
    Acceptance(AcceptanceSpec),
}

impl MonitorSpec {
    pub fn read(kind: MonitorType, de: ValueDeserializer) -> Result<MonitorSpec, toml::de::Error> {
        Ok(match kind {
            MonitorType::Probe => MonitorSpec::Probe(ProbeSpec::deserialize(de)?),
            MonitorType::Dft => MonitorSpec::Dft(DftSpec::deserialize(de)?),
            MonitorType::Flux => MonitorSpec::Flux(FluxSpec::deserialize(de)?),
            MonitorType::SourcePower => MonitorSpec::SourcePower(SourcePowerSpec::deserialize(de)?),
            MonitorType::Snapshot => MonitorSpec::Snapshot(SnapshotSpec::deserialize(de)?),
            MonitorType::Mode => MonitorSpec::Mode(ModeSpec::deserialize(de)?),
            MonitorType::FarField => MonitorSpec::FarField(FarFieldSpec::deserialize(de)?),
            MonitorType::Acceptance => MonitorSpec::Acceptance(AcceptanceSpec::deserialize(de)?),
        })
    }
    pub fn name(&self) -> &str {
        match self {
            MonitorSpec::Probe(m) => &m.name,
            MonitorSpec::Dft(m) => &m.name,
            MonitorSpec::Flux(m) => &m.name,
            MonitorSpec::SourcePower(m) => &m.name,
            MonitorSpec::Snapshot(m) => &m.name,
            MonitorSpec::Mode(m) => &m.name,
            MonitorSpec::FarField(m) => &m.name,
            MonitorSpec::Acceptance(m) => &m.name,
        }
    }
}

/// `wavelengths_um = [..]`, or `wavelength_range_um = [min, max]` with `points`.
pub(super) struct Spectrum<'a> {
    pub list: Option<&'a [f64]>,
    pub range: Option<&'a [f64]>,
    pub points: Option<usize>,
}

macro_rules! spectrum {
    ($t:ty) => {
        impl $t {
            pub fn spectrum(&self) -> Spectrum<'_> {
                Spectrum {
                    list: self.wavelengths_um.as_deref(),
                    range: self.wavelength_range_um.as_deref(),
                    points: self.points,
                }
            }
        }
    };
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ProbeSpec {
    #[serde(rename = "type")]
    _type: IgnoredAny,
    pub name: String,
    pub position_um: Vec<f64>,
    pub components: Vec<ComponentName>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DftSpec {
    #[serde(rename = "type")]
    _type: IgnoredAny,
    pub name: String,
    pub center_um: Vec<f64>,
    pub size_um: Vec<f64>,
    pub components: Vec<ComponentName>,
    pub wavelengths_um: Option<Vec<f64>>,
    pub wavelength_range_um: Option<Vec<f64>>,
    pub points: Option<usize>,
}
spectrum!(DftSpec);

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
pub(super) enum FluxDirection {
    #[serde(rename = "+")]
    Plus,
    #[serde(rename = "-")]
    Minus,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FluxSpec {
    #[serde(rename = "type")]
    _type: IgnoredAny,
    pub name: String,
    pub center_um: Vec<f64>,
    pub size_um: Vec<f64>,
    pub direction: Option<FluxDirection>,
    pub normalize_with: Option<String>,
    pub subtract_incident: Option<bool>,
    pub wavelengths_um: Option<Vec<f64>>,
    pub wavelength_range_um: Option<Vec<f64>>,
    pub points: Option<usize>,
}
spectrum!(FluxSpec);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SourcePowerSpec {
    #[serde(rename = "type")]
    _type: IgnoredAny,
    pub name: String,
    pub source: SourceRef,
    pub wavelengths_um: Option<Vec<f64>>,
    pub wavelength_range_um: Option<Vec<f64>>,
    pub points: Option<usize>,
}
spectrum!(SourcePowerSpec);
spectrum!(SourceSpec);

/// `type = "mode"`: guided-mode power through a port line (2D runs).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ModeSpec {
    #[serde(rename = "type")]
    _type: IgnoredAny,
    pub name: String,
    pub center_um: Vec<f64>,
    pub size_um: Vec<f64>,
    pub direction: Option<FluxDirection>,
    pub modes: Option<usize>,
    pub wavelengths_um: Option<Vec<f64>>,
    pub wavelength_range_um: Option<Vec<f64>>,
    pub points: Option<usize>,
    pub coupling_map: Option<CouplingMapSpec>,
}
spectrum!(ModeSpec);

/// `coupling_map = { ... }` of a port: where a dipole couples into its
/// modes, by reciprocity (src/reciprocity.rs).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CouplingMapSpec {
    pub center_um: Vec<f64>,
    pub size_um: Vec<f64>,
    pub modes: Option<Vec<usize>>,
    pub emitter_index: Option<f64>,
}

/// `type = "far_field"`: near-to-far projection from a closed box, or from
/// an open plane with `direction`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FarFieldSpec {
    #[serde(rename = "type")]
    _type: IgnoredAny,
    pub name: String,
    pub center_um: Vec<f64>,
    pub size_um: Vec<f64>,
    pub angular_points: Option<usize>,
    pub na: Option<f64>,
    pub wavelengths_um: Option<Vec<f64>>,
    pub wavelength_range_um: Option<Vec<f64>>,
    pub points: Option<usize>,
    /// An open plane (one zero size): the half-space it projects into.
    pub direction: Option<FluxDirection>,
    /// An open plane: fraction of each half-size tapered to zero at the edges.
    pub edge_taper: Option<f64>,
}
spectrum!(FarFieldSpec);

/// `type = "acceptance"`: power into a multimode core within its NA.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AcceptanceSpec {
    #[serde(rename = "type")]
    _type: IgnoredAny,
    pub name: String,
    pub center_um: Vec<f64>,
    pub size_um: Vec<f64>,
    pub direction: Option<FluxDirection>,
    pub core_radius_um: Option<f64>,
    pub na: Option<f64>,
    pub wavelengths_um: Option<Vec<f64>>,
    pub wavelength_range_um: Option<Vec<f64>>,
    pub points: Option<usize>,
}
spectrum!(AcceptanceSpec);

/// A source by index (0-based, file order) or by name.
pub(super) enum SourceRef {
    Index(usize),
    Name(String),
}

impl<'de> Deserialize<'de> for SourceRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = SourceRef;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a source index (0, 1, ...) or a source name")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<SourceRef, E> {
                usize::try_from(v)
                    .map(SourceRef::Index)
                    .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<SourceRef, E> {
                usize::try_from(v)
                    .map(SourceRef::Index)
                    .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<SourceRef, E> {
                Ok(SourceRef::Name(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SnapshotSpec {
    #[serde(rename = "type")]
    _type: IgnoredAny,
    pub name: String,
    pub center_um: Vec<f64>,
    pub size_um: Vec<f64>,
    pub component: ComponentName,
    pub every_fs: f64,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub(super) enum UntilName {
    Decayed,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RunSpec {
    pub until_fs: Option<f64>,
    pub until: Option<UntilName>,
    pub decay_by: Option<f64>,
    pub decay_component: Option<ComponentName>,
    pub decay_position_um: Option<Vec<f64>>,
    pub check_every_fs: Option<f64>,
    pub max_fs: Option<f64>,
    pub output: Option<String>,
}
