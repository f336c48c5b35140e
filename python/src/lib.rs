//! `rwc._native`: the compiled half of the Python package.
//!
//! Sits at the edge of the pipeline, beside the CLI: `compile_*` run the
//! whole compiler (parse, check, verify with Z3, lower) exactly as `rwc
//! compile` does, `load` validates an artifact, and [`Program::evaluate`] /
//! [`Batch::step`] run the scalar reference evaluator over numpy columns.
//!
//! The Python layer (`python/rwc/__init__.py`) turns user input into the
//! columns this module takes: one 1-D contiguous array per input in the
//! artifact's order (`uint8` holding 0/1 for bool, `int32`, `float32`,
//! vectors flattened lane-major) or, for checklists, a tuple of `uint32`
//! offsets and `float32` weights and verdicts. Those arrays are read in
//! place (no copy), with the GIL released while the evaluator runs.

use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};
use rw_runtime::artifact::{InputKind, Op, ValueType};
use rw_runtime::{Artifact, Column, Evaluator, Isa, Options, OwnedEvaluator, StepError, StepInput, StepOutput};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

pyo3::create_exception!(
    _native,
    InputError,
    PyValueError,
    "An input column is missing, mistyped, misshapen or outside its declared range."
);
pyo3::create_exception!(_native, LoadError, PyValueError, "Bytes that are not a valid artifact for this runtime.");
pyo3::create_exception!(_native, CompileError, PyValueError, "A spec with errors; `diagnostics` holds them.");
pyo3::create_exception!(_native, EvaluationError, PyValueError, "An output is NaN (with the place the NaN came from).");

fn step_error(e: StepError) -> PyErr {
    match e {
        StepError::NotANumber { .. } => EvaluationError::new_err(e.to_string()),
        _ => InputError::new_err(e.to_string()),
    }
}

/// `(name, kind, width, (lo, hi, inclusive))` of one input.
type InputDescription = (String, String, u32, Option<(f64, f64, bool)>);

/// A loaded, validated program. Immutable, so one program serves any number
/// of threads and batches.
#[pyclass(frozen, module = "rwc._native")]
struct Program {
    artifact: Arc<Artifact>,
    bytes: Vec<u8>,
    /// Rendered warnings of the compile that produced it (empty for `load`).
    warnings: Vec<String>,
    /// Evaluators `evaluate` finished with, reset, for the next call with
    /// the same lanes and options (saves allocating and zeroing columns).
    pool: Mutex<Vec<(usize, Options, OwnedEvaluator)>>,
}

/// Evaluators kept per program.
const POOL_SIZE: usize = 4;

fn same_options(a: &Options, b: &Options) -> bool {
    (a.ignore_done, a.check_ranges, a.check_nan, a.isa) == (b.ignore_done, b.check_ranges, b.check_nan, b.isa)
}

impl Program {
    fn new(artifact: Artifact, bytes: Vec<u8>, warnings: Vec<String>) -> Program {
        Program { artifact: Arc::new(artifact), bytes, warnings, pool: Mutex::new(Vec::new()) }
    }

    /// A fresh evaluator: a pooled one, or a new one.
    fn evaluator(&self, lanes: usize, options: Options) -> Result<OwnedEvaluator, StepError> {
        let mut pool = self.pool.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match pool.iter().position(|(n, o, _)| *n == lanes && same_options(o, &options)) {
            Some(k) => Ok(pool.swap_remove(k).2),
            None => {
                drop(pool);
                OwnedEvaluator::try_new(self.artifact.clone(), lanes, options)
            }
        }
    }

    fn give_back(&self, lanes: usize, options: Options, mut evaluator: OwnedEvaluator) {
        evaluator.with_mut(|e| e.reset());
        let mut pool = self.pool.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if pool.len() >= POOL_SIZE {
            pool.remove(0);
        }
        pool.push((lanes, options, evaluator));
    }
}

fn from_checked(py: Python<'_>, mut checked: rw_compiler::sema::Checked) -> PyResult<Program> {
    let artifact = py.detach(|| {
        if !checked.has_errors() {
            rw_verify::verify(&mut checked, &rw_verify::Options::default());
        }
        if checked.has_errors() { Err(checked.diagnostics.clone()) } else { rw_compiler::compile(&checked) }
    });
    let render = |diagnostics: &[rw_compiler::Diagnostic]| -> (String, Vec<String>) {
        let text = rwc::render::human(&checked.sources, diagnostics, false);
        let json = diagnostics.iter().map(|d| rwc::render::json(&checked.sources, d).to_string()).collect();
        (text, json)
    };
    match artifact {
        Ok(artifact) => {
            let warnings = checked
                .diagnostics
                .iter()
                .filter(|d| d.severity == rw_compiler::diagnostic::Severity::Warning)
                .map(|d| rwc::render::human(&checked.sources, std::slice::from_ref(d), false))
                .collect();
            let bytes = artifact.to_bytes();
            Ok(Program::new(artifact, bytes, warnings))
        }
        Err(diagnostics) => {
            let (text, json) = render(&diagnostics);
            let err = CompileError::new_err(text);
            err.value(py).setattr("diagnostics", json)?;
            Err(err)
        }
    }
}

/// Checks, verifies and compiles a `.rw` file.
#[pyfunction]
fn compile_file(py: Python<'_>, path: PathBuf) -> PyResult<Program> {
    let checked = py.detach(|| rw_compiler::check_file(&path)).map_err(|e| {
        pyo3::exceptions::PyOSError::new_err(format!(
            "cannot read `{}`: {}",
            path.display(),
            rwc::check::describe_io(&e)
        ))
    })?;
    from_checked(py, checked)
}

/// Checks, verifies and compiles spec text; `use` paths resolve from `base_dir`.
#[pyfunction]
#[pyo3(signature = (name, text, base_dir=None))]
fn compile_source(py: Python<'_>, name: &str, text: &str, base_dir: Option<PathBuf>) -> PyResult<Program> {
    let checked = py.detach(|| rw_compiler::check_text(name, text, base_dir.as_deref()));
    from_checked(py, checked)
}

/// Loads and validates artifact bytes (a `.rwc` file's contents).
#[pyfunction]
fn load(data: &[u8]) -> PyResult<Program> {
    let artifact = Artifact::from_bytes(data).map_err(|e| LoadError::new_err(e.to_string()))?;
    Ok(Program::new(artifact, data.to_vec(), Vec::new()))
}

/// Input columns held for one call: numpy borrows that stay valid while the
/// GIL is released.
enum Held<'py> {
    Bool(PyReadonlyArray1<'py, u8>),
    /// A bool prop as one bit of each lane's label byte (`rwc.Bits`).
    Bits(PyReadonlyArray1<'py, u8>, u8),
    Int(PyReadonlyArray1<'py, i32>),
    F32(PyReadonlyArray1<'py, f32>),
    Criteria(PyReadonlyArray1<'py, u32>, PyReadonlyArray1<'py, f32>, PyReadonlyArray1<'py, f32>),
}

fn contiguous<'a, T: numpy::Element>(name: &str, a: &'a PyReadonlyArray1<'_, T>) -> PyResult<&'a [T]> {
    a.as_slice().map_err(|_| InputError::new_err(format!("input `{name}` must be a contiguous array")))
}

fn as_bools<'a>(name: &str, bytes: &'a [u8]) -> PyResult<&'a [bool]> {
    // Every byte is 0 or 1 exactly when their OR is: a branch-free pass
    // that vectorises (a byte-by-byte check was a tenth of a W2 call).
    if bytes.iter().fold(0u8, |any, &b| any | b) > 1 {
        return Err(InputError::new_err(format!("input `{name}` must hold booleans (0 or 1)")));
    }
    // SAFETY: every byte is 0 or 1, a valid `bool`, and `bool` has the size
    // and alignment of `u8`.
    Ok(unsafe { std::slice::from_raw_parts(bytes.as_ptr().cast::<bool>(), bytes.len()) })
}

fn hold<'py>(program: &Artifact, columns: &Bound<'py, PyList>) -> PyResult<Vec<Held<'py>>> {
    if columns.len() != program.inputs.len() {
        return Err(InputError::new_err(format!(
            "expected {} input columns, found {}",
            program.inputs.len(),
            columns.len()
        )));
    }
    program
        .inputs
        .iter()
        .zip(columns.iter())
        .map(|(spec, column)| {
            let wrong = |what: &str| InputError::new_err(format!("input `{}` must be {what}", spec.name));
            Ok(match spec.kind {
                InputKind::Scalar(ValueType::Bool) if column.is_instance_of::<PyTuple>() => {
                    let (bytes, bit): (PyReadonlyArray1<'py, u8>, u8) =
                        column.extract().map_err(|_| wrong("a uint8 array of label bytes and a bit (0 to 7)"))?;
                    if bit >= 8 {
                        return Err(wrong(&format!("a bit of a byte (0 to 7), not {bit}")));
                    }
                    Held::Bits(bytes, bit)
                }
                InputKind::Scalar(ValueType::Bool) | InputKind::Vector(ValueType::Bool, _) => {
                    Held::Bool(column.extract().map_err(|_| wrong("a uint8 array of 0/1"))?)
                }
                InputKind::Scalar(ValueType::Int) | InputKind::Vector(ValueType::Int, _) => {
                    Held::Int(column.extract().map_err(|_| wrong("an int32 array"))?)
                }
                InputKind::Scalar(ValueType::F32) | InputKind::Vector(ValueType::F32, _) => {
                    Held::F32(column.extract().map_err(|_| wrong("a float32 array"))?)
                }
                InputKind::Criteria => {
                    let (o, w, v) = column
                        .extract()
                        .map_err(|_| wrong("a tuple of uint32 offsets, float32 weights and float32 verdicts"))?;
                    Held::Criteria(o, w, v)
                }
            })
        })
        .collect()
}

fn bind_columns<'a>(program: &Artifact, held: &'a [Held<'_>]) -> PyResult<Vec<Column<'a>>> {
    program
        .inputs
        .iter()
        .zip(held)
        .map(|(spec, h)| {
            let name = spec.name.as_str();
            let vector = matches!(spec.kind, InputKind::Vector(..));
            Ok(match h {
                Held::Bool(a) => {
                    let c = as_bools(name, contiguous(name, a)?)?;
                    if vector { Column::BoolVec(c) } else { Column::Bool(c) }
                }
                Held::Bits(a, bit) => Column::Bits { bytes: contiguous(name, a)?, bit: *bit },
                Held::Int(a) => {
                    let c = contiguous(name, a)?;
                    if vector { Column::IntVec(c) } else { Column::Int(c) }
                }
                Held::F32(a) => {
                    let c = contiguous(name, a)?;
                    if vector { Column::F32Vec(c) } else { Column::F32(c) }
                }
                Held::Criteria(o, w, v) => Column::Criteria {
                    offsets: contiguous(name, o)?,
                    weights: contiguous(name, w)?,
                    verdicts: contiguous(name, v)?,
                },
            })
        })
        .collect()
}

/// Per-lane flags and groups of one call.
struct Flags<'py> {
    last: Option<PyReadonlyArray1<'py, u8>>,
    groups: Option<PyReadonlyArray1<'py, u32>>,
    active: Option<PyReadonlyArray1<'py, u8>>,
}

struct FlagSlices<'a> {
    last: Option<&'a [bool]>,
    groups: Option<&'a [u32]>,
    active: Option<&'a [bool]>,
}

fn bool_flags<'a>(name: &str, a: &'a Option<PyReadonlyArray1<'_, u8>>) -> PyResult<Option<&'a [bool]>> {
    a.as_ref().map(|a| contiguous(name, a).and_then(|b| as_bools(name, b))).transpose()
}

impl Flags<'_> {
    fn slices(&self) -> PyResult<FlagSlices<'_>> {
        Ok(FlagSlices {
            last: bool_flags("truncated", &self.last)?,
            groups: self.groups.as_ref().map(|g| contiguous("group", g)).transpose()?,
            active: bool_flags("active", &self.active)?,
        })
    }
}

fn value_array<'py>(py: Python<'py>, ty: ValueType, bits: &[u32]) -> Bound<'py, PyAny> {
    match ty {
        ValueType::F32 => PyArray1::from_slice(py, bytemuck::cast_slice::<u32, f32>(bits)).into_any(),
        ValueType::Int => PyArray1::from_slice(py, bytemuck::cast_slice::<u32, i32>(bits)).into_any(),
        ValueType::Bool => PyArray1::from_iter(py, bits.iter().map(|&b| b != 0)).into_any(),
    }
}

/// `{"reward", "done", "episode_end", "discount", "logs": {name: array}}`
/// (`discount` is 1.0 where the spec declares none).
fn outputs<'py>(py: Python<'py>, program: &Artifact, out: &StepOutput) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item("reward", PyArray1::from_slice(py, &out.reward))?;
    dict.set_item("done", PyArray1::from_slice(py, &out.done))?;
    dict.set_item("episode_end", PyArray1::from_slice(py, &out.episode_end))?;
    dict.set_item("discount", PyArray1::from_slice(py, &out.discount))?;
    let logs = PyDict::new(py);
    for (spec, bits) in program.logs.iter().zip(&out.logs) {
        logs.set_item(&spec.name, value_array(py, spec.ty, bits))?;
    }
    dict.set_item("logs", logs)?;
    Ok(dict)
}

fn options(check_ranges: bool, check_nan: bool, isa: &str) -> PyResult<Options> {
    let isa = Isa::parse(isa).ok_or_else(|| {
        PyValueError::new_err(format!("unknown evaluation path `{isa}` (scalar, portable, avx2, avx512 or auto)"))
    })?;
    if !isa.available() {
        let have: Vec<&str> = Isa::available_paths().iter().map(|i| i.name()).collect();
        return Err(PyValueError::new_err(format!(
            "evaluation path `{isa}` is not available on this CPU (it has {})",
            have.join(", ")
        )));
    }
    Ok(Options { ignore_done: false, check_ranges, check_nan, isa })
}

/// The number of lanes the columns describe (the first input's length).
fn lanes_of(program: &Artifact, columns: &[Column<'_>], flags: &FlagSlices<'_>) -> PyResult<usize> {
    if let Some((spec, column)) = program.inputs.iter().zip(columns).next() {
        let width = match spec.kind {
            InputKind::Vector(_, k) => k as usize,
            _ => 1,
        };
        return Ok(match column {
            Column::Bool(c) => c.len(),
            Column::Bits { bytes, .. } => bytes.len(),
            Column::Int(c) => c.len(),
            Column::F32(c) => c.len(),
            Column::BoolVec(c) => c.len() / width.max(1),
            Column::IntVec(c) => c.len() / width.max(1),
            Column::F32Vec(c) => c.len() / width.max(1),
            Column::Criteria { offsets, .. } => offsets.len().saturating_sub(1),
        });
    }
    flags
        .last
        .map(<[bool]>::len)
        .or(flags.groups.map(<[u32]>::len))
        .ok_or_else(|| InputError::new_err("a program without inputs needs `lanes` to know the batch size"))
}

fn set_param_bits(
    program: &Artifact,
    params: &mut Vec<(usize, u32)>,
    name: &str,
    value: &Bound<'_, PyAny>,
) -> PyResult<()> {
    let Some(k) = program.params.iter().position(|p| p.name == name) else {
        let known: Vec<String> = program.params.iter().map(|p| format!("`{}`", p.name)).collect();
        return Err(PyValueError::new_err(format!(
            "unknown param `{name}` (the spec declares {})",
            if known.is_empty() { "none".to_string() } else { known.join(", ") }
        )));
    };
    let spec = &program.params[k];
    let (bits, number) = match spec.ty {
        ValueType::Bool => {
            let b: bool = value.extract().map_err(|_| PyValueError::new_err(format!("param `{name}` is a bool")))?;
            (u32::from(b), None)
        }
        ValueType::Int => {
            let i: i64 = value.extract().map_err(|_| PyValueError::new_err(format!("param `{name}` is an int")))?;
            let i = i32::try_from(i)
                .map_err(|_| PyValueError::new_err(format!("param `{name}` is an int; {i} does not fit in 32 bits")))?;
            (i as u32, Some(f64::from(i)))
        }
        ValueType::F32 => {
            let x: f64 = value.extract().map_err(|_| PyValueError::new_err(format!("param `{name}` is an f32")))?;
            let x = x as f32;
            (x.to_bits(), Some(f64::from(x)))
        }
    };
    if let (Some(r), Some(x)) = (spec.range, number)
        && (x.is_nan() || x < r.lo || if r.inclusive { x > r.hi } else { x >= r.hi })
    {
        let op = if r.inclusive { "..=" } else { ".." };
        return Err(PyValueError::new_err(format!(
            "param `{name}` is {x}, outside its declared range {}{op}{}",
            r.lo, r.hi
        )));
    }
    params.push((k, bits));
    Ok(())
}

fn param_value<'py>(py: Python<'py>, ty: ValueType, bits: u32) -> PyResult<Bound<'py, PyAny>> {
    Ok(match ty {
        ValueType::F32 => f64::from(f32::from_bits(bits)).into_pyobject(py)?.into_any(),
        ValueType::Int => (bits as i32).into_pyobject(py)?.into_any(),
        ValueType::Bool => (bits != 0).into_pyobject(py)?.to_owned().into_any(),
    })
}

#[pymethods]
impl Program {
    /// The artifact's bytes (what `rwc compile` writes to a `.rwc` file).
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.bytes)
    }

    /// The schema as the JSON text of `rwc inspect --format json`.
    fn schema_json(&self) -> String {
        rwc::inspect::schema(&self.artifact).to_string()
    }

    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.warnings.clone()
    }

    /// `[(name, kind, width, range)]` in input order: kind is `bool`, `int`,
    /// `f32` or `criteria`, width the vector length (0 for scalars), range
    /// `(lo, hi, inclusive)` or None.
    fn inputs(&self) -> Vec<InputDescription> {
        self.artifact
            .inputs
            .iter()
            .map(|i| {
                let (kind, width) = match i.kind {
                    InputKind::Scalar(t) => (t.to_string(), 0),
                    InputKind::Vector(t, k) => (t.to_string(), k),
                    InputKind::Criteria => ("criteria".to_string(), 0),
                };
                (i.name.clone(), kind, width, i.range.map(|r| (r.lo, r.hi, r.inclusive)))
            })
            .collect()
    }

    /// Whether group terms (`group_mean`, ...) appear: they need `group=`.
    fn uses_groups(&self) -> bool {
        self.artifact.code.iter().any(|i| matches!(i.op, Op::Group(op, _) if !op.is_batch()))
    }

    /// `[(constraint name, param name)]`: the multipliers.
    fn constraints(&self) -> Vec<(String, String)> {
        self.artifact
            .constraints
            .iter()
            .map(|c| (c.name.clone(), self.artifact.params[c.param as usize].name.clone()))
            .collect()
    }

    /// One step of fresh episodes over every lane (the LLM case).
    #[pyo3(signature = (columns, last=None, groups=None, params=None, lanes=None, check_ranges=true, check_nan=false, isa="auto"))]
    #[allow(clippy::too_many_arguments)]
    fn evaluate<'py>(
        &self,
        py: Python<'py>,
        columns: &Bound<'py, PyList>,
        last: Option<PyReadonlyArray1<'py, u8>>,
        groups: Option<PyReadonlyArray1<'py, u32>>,
        params: Option<&Bound<'py, PyDict>>,
        lanes: Option<usize>,
        check_ranges: bool,
        check_nan: bool,
        isa: &str,
    ) -> PyResult<Bound<'py, PyDict>> {
        let options = options(check_ranges, check_nan, isa)?;
        let program = &*self.artifact;
        let held = hold(program, columns)?;
        let cols = bind_columns(program, &held)?;
        let flags = Flags { last, groups, active: None };
        let slices = flags.slices()?;
        let n = match lanes {
            Some(n) => n,
            None => lanes_of(program, &cols, &slices)?,
        };
        let mut param_bits = Vec::new();
        if let Some(params) = params {
            for (k, v) in params.iter() {
                set_param_bits(program, &mut param_bits, &k.extract::<String>()?, &v)?;
            }
        }
        let all_last;
        let last = match slices.last {
            Some(l) => l,
            None => {
                all_last = vec![true; n];
                &all_last
            }
        };
        let mut evaluator = self.evaluator(n, options).map_err(step_error)?;
        let stepped = py.detach(|| {
            evaluator.with_mut(|e| {
                for (k, bits) in param_bits {
                    e.set_param(&program.params[k].name, bits);
                }
                let input = StepInput { columns: &cols, last: Some(last), groups: slices.groups, active: None };
                e.step(&input).map(|_| ())
            })
        });
        let result = stepped.map(|()| outputs(py, program, evaluator.evaluator().output()));
        self.give_back(n, options, evaluator);
        result.map_err(step_error)?
    }

    /// A stateful batch of `lanes` episodes.
    #[pyo3(signature = (lanes, check_ranges=true, check_nan=false, isa="auto"))]
    fn batch(&self, lanes: usize, check_ranges: bool, check_nan: bool, isa: &str) -> PyResult<Batch> {
        let evaluator = OwnedEvaluator::try_new(self.artifact.clone(), lanes, options(check_ranges, check_nan, isa)?)
            .map_err(step_error)?;
        Ok(Batch { inner: Mutex::new(evaluator), program: self.artifact.clone() })
    }
}

/// Episodes that advance one step per call. Steps of one batch run one at a
/// time (a lock serialises concurrent callers); separate batches run in
/// parallel.
#[pyclass(frozen, module = "rwc._native")]
struct Batch {
    inner: Mutex<OwnedEvaluator>,
    program: Arc<Artifact>,
}

impl Batch {
    fn with<R>(&self, f: impl FnOnce(&mut Evaluator<'_>) -> R) -> R {
        // A panic cannot happen inside the evaluator on validated input; if
        // one did, the state is still well-formed memory, so keep going.
        let mut guard = self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        guard.with_mut(f)
    }
}

#[pymethods]
impl Batch {
    #[getter]
    fn lanes(&self) -> usize {
        self.with(|e| e.lanes())
    }

    #[pyo3(signature = (columns, last=None, groups=None, active=None))]
    fn step<'py>(
        &self,
        py: Python<'py>,
        columns: &Bound<'py, PyList>,
        last: Option<PyReadonlyArray1<'py, u8>>,
        groups: Option<PyReadonlyArray1<'py, u32>>,
        active: Option<PyReadonlyArray1<'py, u8>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let program = &*self.program;
        let held = hold(program, columns)?;
        let cols = bind_columns(program, &held)?;
        let flags = Flags { last, groups, active };
        let slices = flags.slices()?;
        let result = py.detach(|| {
            self.with(|e| {
                let input =
                    StepInput { columns: &cols, last: slices.last, groups: slices.groups, active: slices.active };
                e.step(&input).cloned()
            })
        });
        outputs(py, program, &result.map_err(step_error)?)
    }

    /// Starts fresh episodes in the lanes where `mask` is true (all lanes
    /// without a mask), discarding the running ones.
    #[pyo3(signature = (mask=None, truncate=false))]
    fn reset(&self, mask: Option<PyReadonlyArray1<'_, u8>>, truncate: bool) -> PyResult<()> {
        let mask = bool_flags("mask", &mask)?;
        self.with(|e| {
            let n = e.lanes();
            if let Some(m) = mask
                && m.len() != n
            {
                return Err(InputError::new_err(format!("`mask` has {} lanes, expected {n}", m.len())));
            }
            for lane in (0..n).filter(|&l| mask.is_none_or(|m| m[l])) {
                if truncate { e.end_episode(lane) } else { e.reset_lane(lane) }
            }
            Ok(())
        })
    }

    fn get_param<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
        let Some(spec) = self.program.params.iter().find(|p| p.name == name) else {
            return Err(PyValueError::new_err(format!("unknown param `{name}`")));
        };
        let bits = self.with(|e| e.param(name)).unwrap_or(spec.default);
        param_value(py, spec.ty, bits)
    }

    fn set_param(&self, name: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let mut bits = Vec::new();
        set_param_bits(&self.program, &mut bits, name, value)?;
        self.with(|e| {
            for (k, b) in bits {
                e.set_param(&self.program.params[k].name, b);
            }
        });
        Ok(())
    }

    /// The multiplier update; the new multipliers in constraint order.
    fn end_batch(&self) -> Vec<f32> {
        self.with(|e| e.end_batch())
    }

    /// Each automaton's current state per lane, by automaton name.
    fn automaton_states<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        let states: Vec<Vec<u32>> =
            self.with(|e| (0..self.program.automata.len()).map(|a| e.automaton_states(a).to_vec()).collect());
        for (spec, s) in self.program.automata.iter().zip(states) {
            dict.set_item(&spec.name, PyArray1::from_vec(py, s))?;
        }
        Ok(dict)
    }
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<Program>()?;
    m.add_class::<Batch>()?;
    m.add_function(wrap_pyfunction!(compile_file, m)?)?;
    m.add_function(wrap_pyfunction!(compile_source, m)?)?;
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add("InputError", py.get_type::<InputError>())?;
    m.add("LoadError", py.get_type::<LoadError>())?;
    m.add("CompileError", py.get_type::<CompileError>())?;
    m.add("EvaluationError", py.get_type::<EvaluationError>())?;
    Ok(())
}
