//! HDF5 files and datasets found by name: the file signature, `FILE.h5:/PATH`, a dataset's
//! lookup (with one line for a missing one), a block's hyperslab, and HDF5's errors as one
//! line.

use std::path::Path;

use hdf5_metno as h5;

/// HDF5's file signature (at byte 0, or after a user block of 512, 1024, ... bytes).
const SIGNATURE: &[u8; 8] = b"\x89HDF\r\n\x1a\n";

/// Whether `path` names an HDF5 file: by its extension, or by the signature of a regular file.
///
/// # Examples
/// ```
/// use mpikit::hdf5::is_hdf5;
/// assert!(is_hdf5("run.h5".as_ref()) && is_hdf5("run.hdf5".as_ref()));
/// assert!(!is_hdf5("run.npy".as_ref()));
/// ```
pub fn is_hdf5(path: &Path) -> bool {
    if path
        .extension()
        .is_some_and(|e| ["h5", "hdf5", "he5", "hdf"].iter().any(|x| e == *x))
    {
        return true;
    }
    // Only regular files are opened: opening a FIFO would block.
    std::fs::metadata(path).is_ok_and(|m| m.is_file())
        && std::fs::File::open(path).is_ok_and(|f| signed(&f))
}

/// Whether `file` starts with HDF5's signature.
pub(crate) fn signed(file: &std::fs::File) -> bool {
    let mut head = [0u8; 8];
    std::os::unix::fs::FileExt::read_exact_at(file, &mut head, 0).is_ok() && head == *SIGNATURE
}

/// `FILE.h5:/group/dataset` split into the file and the dataset, when `FILE.h5` is an HDF5
/// file name and the whole text names no file.
///
/// # Examples
/// ```
/// use mpikit::hdf5::split;
/// use std::path::Path;
/// assert_eq!(split("out.h5:/fields/u".as_ref()), Some((Path::new("out.h5"), "/fields/u")));
/// assert_eq!(split("out.npy".as_ref()), None);
/// ```
pub fn split(input: &Path) -> Option<(&Path, &str)> {
    let text = input.to_str()?;
    let (file, dataset) = text.split_once(':')?;
    (!input.exists() && is_hdf5(Path::new(file))).then_some((Path::new(file), dataset))
}

pub(crate) fn h5err(what: &str) -> impl Fn(h5::Error) -> crate::Error + '_ {
    move |e| crate::Error::input(format!("{what}: {}", tidy(&e)))
}

/// HDF5's message without its call chain (`H5Fopen(): unable to open file: ...`).
pub(crate) fn tidy(e: &h5::Error) -> String {
    let text = e.to_string();
    text.split_once("(): ")
        .map_or(text.clone(), |(_, rest)| rest.to_string())
}

/// Every dataset's path in the file, depth first (for messages and the one-dataset default).
fn datasets(group: &h5::Group, out: &mut Vec<String>) -> h5::Result<()> {
    for d in group.datasets()? {
        out.push(d.name());
    }
    for g in group.groups()? {
        datasets(&g, out)?;
    }
    Ok(())
}

fn list(names: &[String]) -> String {
    match names.len() {
        0 => "no datasets".into(),
        n if n > 12 => format!("{}, ... ({n} datasets)", names[..12].join(", ")),
        _ => names.join(", "),
    }
}

/// The dataset `name` of an open file (its only dataset when `name` is `None`), with a
/// clear line for a missing one, a group, or a file of several datasets.
pub(crate) fn dataset(
    file: &h5::File,
    what: &str,
    name: Option<&str>,
) -> crate::Result<h5::Dataset> {
    let mut all = Vec::new();
    let listed = |all: &mut Vec<String>| {
        datasets(file, all).map_err(h5err(what))?;
        Ok::<String, crate::Error>(list(all))
    };
    let name = match name {
        Some(n) if !n.is_empty() => n,
        _ => {
            let names = listed(&mut all)?;
            return match all.as_slice() {
                [one] => file.dataset(one).map_err(h5err(what)),
                _ => Err(crate::Error::input(format!(
                    "{what}: the file holds {names}; name one as {what}:/PATH"
                ))),
            };
        }
    };
    let exists = name
        .trim_start_matches('/')
        .split('/')
        .scan(String::new(), |at, part| {
            at.push('/');
            at.push_str(part);
            Some(file.link_exists(at))
        })
        .all(|e| e);
    if !exists {
        let names = listed(&mut all)?;
        return Err(crate::Error::input(format!(
            "{what}: no dataset {name} in the file (it holds {names})"
        )));
    }
    match file.loc_type_by_name(name) {
        Ok(h5::LocationType::Dataset) => file.dataset(name).map_err(h5err(what)),
        Ok(h5::LocationType::Group) => {
            let names = listed(&mut all)?;
            Err(crate::Error::input(format!(
                "{what}: {name} is a group, not a dataset (the file holds {names})"
            )))
        }
        Ok(other) => Err(crate::Error::input(format!(
            "{what}: {name} is a {other:?}, not a dataset"
        ))),
        Err(e) => Err(h5err(what)(e)),
    }
}

/// The hyperslab of the block of shape `block` at `start` (every axis a range).
pub(crate) fn hyperslab(start: &[usize], block: &[usize]) -> h5::Hyperslab {
    let ranges: Vec<h5::SliceOrIndex> = start
        .iter()
        .zip(block)
        .map(|(&o, &n)| h5::SliceOrIndex::from(o..o + n))
        .collect();
    h5::Hyperslab::from(ranges)
}
