//! Attributes: any serde value on a dataset, a group or the file. Numbers, bools and strings
//! are HDF5's own scalar types (h5py reads `f.attrs["step"]` as a number); anything else
//! (sequences, maps, structs) is stored as its JSON text and parsed back on reading.

use std::path::Path;

use h5::types::VarLenUnicode;
use hdf5_metno as h5;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use super::find::{h5err, signed, tidy};
use crate::collective::object::ObjectCollectives;
use crate::error::{Error, Result};
use crate::runtime::agree::agree_on;
use crate::runtime::world::Comm;

/// `value` as the JSON value an attribute is written from.
pub(crate) fn to_value(what: &str, value: &impl Serialize) -> Result<Value> {
    serde_json::to_value(value)
        .map_err(|e| Error::input(format!("attribute {what}: cannot be serialised: {e}")))
}

/// The group or dataset at `object` ("/" for the file itself).
fn location(file: &h5::File, object: &str) -> h5::Result<h5::Location> {
    if object.trim_matches('/').is_empty() {
        return Ok(h5::Location::clone(file));
    }
    Ok(match file.loc_type_by_name(object)? {
        h5::LocationType::Dataset => {
            let ds = file.dataset(object)?;
            h5::Location::clone(&ds)
        }
        _ => {
            let group = file.group(object)?;
            h5::Location::clone(&group)
        }
    })
}

/// Writes attribute `name` of `object` in the open `file`, replacing one of that name.
pub(crate) fn put(file: &h5::File, object: &str, name: &str, value: &Value) -> h5::Result<()> {
    let loc = location(file, object)?;
    if loc.attr_names()?.iter().any(|n| n == name) {
        loc.delete_attr(name)?;
    }
    fn scalar<T: h5::H5Type>(loc: &h5::Location, name: &str, v: &T) -> h5::Result<()> {
        loc.new_attr::<T>().shape(()).create(name)?.write_scalar(v)
    }
    let text = |s: &str| -> h5::Result<VarLenUnicode> {
        s.parse::<VarLenUnicode>()
            .map_err(|e| h5::Error::from(format!("attribute {name}: {e}")))
    };
    match value {
        Value::Bool(b) => scalar(&loc, name, b),
        Value::Number(n) if n.is_i64() => scalar(&loc, name, &n.as_i64().unwrap_or_default()),
        Value::Number(n) if n.is_u64() => scalar(&loc, name, &n.as_u64().unwrap_or_default()),
        Value::Number(n) => scalar(&loc, name, &n.as_f64().unwrap_or(f64::NAN)),
        Value::String(s) => scalar(&loc, name, &text(s)?),
        other => scalar(&loc, name, &text(&other.to_string())?),
    }
}

/// The JSON value of attribute `name` of `object` in the file at `path`.
fn get(path: &Path, object: &str, name: &str) -> Result<Value> {
    use h5::types::{FloatSize, TypeDescriptor as TD};
    let what = format!("{}:{object}", path.display());
    let (plain, _) = crate::data::npy::open(path)?;
    let file = h5::File::open(path).map_err(|e| {
        Error::input(if signed(&plain) {
            format!("{what}: cannot read this HDF5 file: {}", tidy(&e))
        } else {
            format!("{what}: not an HDF5 file (no HDF5 signature)")
        })
    })?;
    let missing = || Error::input(format!("{what}: no attribute {name:?}"));
    let loc = location(&file, object).map_err(h5err(&what))?;
    if !loc
        .attr_names()
        .map_err(h5err(&what))?
        .iter()
        .any(|n| n == name)
    {
        return Err(missing());
    }
    let attr = loc.attr(name).map_err(h5err(&what))?;
    let td = attr
        .dtype()
        .and_then(|t| t.to_descriptor())
        .map_err(h5err(&what))?;
    let read = |e| h5err(&what)(e);
    Ok(match td {
        TD::Boolean => Value::from(attr.read_scalar::<bool>().map_err(read)?),
        TD::Integer(_) => Value::from(attr.read_scalar::<i64>().map_err(read)?),
        TD::Unsigned(_) => Value::from(attr.read_scalar::<u64>().map_err(read)?),
        TD::Float(FloatSize::U4 | FloatSize::U8) => {
            Value::from(attr.read_scalar::<f64>().map_err(read)?)
        }
        TD::VarLenUnicode | TD::VarLenAscii => {
            Value::from(attr.read_scalar::<VarLenUnicode>().map_err(read)?.as_str())
        }
        TD::FixedUnicode(_) | TD::FixedAscii(_) => {
            let s: VarLenUnicode = attr.read_scalar().map_err(read)?;
            Value::from(s.as_str())
        }
        other => {
            return Err(Error::input(format!(
                "{what}: attribute {name:?} holds {other} values, not a number, bool or string"
            )))
        }
    })
}

/// `value` as `A`: directly, or (for a string) as the JSON text it holds.
fn from_value<A: DeserializeOwned>(what: &str, value: Value) -> Result<A> {
    match serde_json::from_value::<A>(value.clone()) {
        Ok(a) => Ok(a),
        Err(e) => match value {
            Value::String(s) => serde_json::from_str(&s).map_err(|_| e),
            _ => Err(e),
        },
    }
    .map_err(|e| Error::input(format!("{what}: {e}")))
}

/// Attribute `name` of `object` (a dataset or group path, `"/"` for the file) in the HDF5
/// file at `path`, as `A`: rank 0 reads it and every rank gets the value, or the same `Err`
/// (no such file, object or attribute, or a value that is not an `A`). Collective.
///
/// # Examples
/// ```no_run
/// mpikit::run(|world| {
///     let step: u64 = mpikit::hdf5::read_attr(world, "out.h5".as_ref(), "/", "step")?;
///     let units: String = mpikit::hdf5::read_attr(world, "out.h5".as_ref(), "/u", "units")?;
///     println!("step {step}, u in {units}");
///     Ok::<(), mpikit::Error>(())
/// });
/// ```
pub fn read_attr<A: DeserializeOwned>(
    comm: &(impl Comm + ?Sized),
    path: &Path,
    object: &str,
    name: &str,
) -> Result<A> {
    let comm = comm.as_comm();
    let root = mpi::topology::Communicator::rank(comm) == 0;
    let local = if root {
        get(path, object, name).map(|v| Some(v.to_string()))
    } else {
        Ok(None)
    };
    let text = agree_on(comm, local)?;
    let text: String = comm.broadcast_object(0, text.as_ref())?;
    let what = format!("{}:{object} attribute {name:?}", path.display());
    let parsed = serde_json::from_str::<Value>(&text)
        .map_err(|e| Error::input(format!("{what}: {e}")))
        .and_then(|v| from_value(&what, v));
    agree_on(comm, parsed)
}
