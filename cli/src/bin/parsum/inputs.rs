//! Where `--input` points and what lies there: the file, its format and member, and its
//! layout, checked against the flags and agreed on by every rank.

use std::path::PathBuf;

use mpikit::io::{FileLayout, ReadMode};
use mpikit::mpi::traits::*;
use mpikit::prelude::*;
use mpikit::stats::Stat;

use crate::cli::{NanArg, RunArgs};
use mpikit::hdf5::{self as h5, Access};

/// Where `--input` points: the file to read, its format, and the member or dataset inside.
pub struct Source {
    pub file: PathBuf,
    pub format: &'static str,
    pub member: Option<String>,
}

impl Source {
    /// `FILE`, `FILE.npz:NAME` for one array of an archive, or `FILE.h5:/PATH` for one
    /// dataset of an HDF5 file (when no file is called that whole).
    fn of(input: &std::path::Path, raw: bool) -> Source {
        if !raw {
            if let Some((file, dataset)) = h5::split(input) {
                return Source {
                    file: file.to_path_buf(),
                    format: "hdf5",
                    member: Some(dataset.to_string()),
                };
            }
            if h5::is_hdf5(input) {
                return Source {
                    file: input.to_path_buf(),
                    format: "hdf5",
                    member: None,
                };
            }
        }
        let text = input.to_string_lossy();
        let (file, member) = match text.rsplit_once(':') {
            Some((f, m)) if !input.exists() && f.ends_with(".npz") => {
                (PathBuf::from(f), Some(m.to_string()))
            }
            _ => (input.to_path_buf(), None),
        };
        let format = if raw {
            "raw"
        } else if member.is_some()
            || file.extension().is_some_and(|e| e == "npz")
            || mpikit::io::is_zip(&file)
        {
            "npz"
        } else {
            "npy"
        };
        Source {
            file,
            format,
            member,
        }
    }
}

/// Reads the file's layout — on every rank (parallel reads) or on rank 0 alone (root
/// reads) — and agrees on it, so every rank sees the same layout or the same error.
pub fn open_layout<C: Communicator>(
    comm: &C,
    input: &std::path::Path,
    args: &RunArgs,
    read: ReadMode,
) -> Result<(FileLayout, Access, Source), mpikit::Error> {
    let source = Source::of(input, args.dtype.is_some());
    let path = source.file.as_path();
    let direct = |l: FileLayout| (l, Access::Direct);
    let open = || match (args.dtype, source.format) {
        (Some((dtype, order)), _) => {
            FileLayout::raw(path, dtype, order, args.offset.unwrap_or(0)).map(direct)
        }
        (None, "npz") => FileLayout::npz(path, source.member.as_deref()).map(direct),
        (None, "hdf5") => h5::open(path, source.member.as_deref()).map(|o| (o.layout, o.access)),
        (None, _) => FileLayout::npy(path).map(direct),
    };
    let check = |(l, access): (FileLayout, Access)| -> Result<(FileLayout, Access), mpikit::Error> {
        if l.dtype.is_complex() {
            let op: Stat = args.op.into();
            if !matches!(op, Stat::Sum | Stat::Mean | Stat::Count) {
                return Err(mpikit::Error::input(format!(
                    "{}: --op {} of complex data ({}): parsum computes sum, mean and count of \
                     complex values (complex numbers have no order)",
                    path.display(),
                    op.name(),
                    l.dtype
                )));
            }
            if args.nan == NanArg::Skip {
                return Err(mpikit::Error::input(format!(
                    "{}: --nan skip of complex data ({}) is not supported (use --nan propagate)",
                    path.display(),
                    l.dtype
                )));
            }
        }
        if args.axis.is_some() && l.shape.len() != 2 {
            return Err(mpikit::Error::input(format!(
                "{}: --axis 0 needs a 2-D array, but its shape is {:?}",
                path.display(),
                l.shape
            )));
        }
        Ok((l, access))
    };
    match read {
        ReadMode::Parallel => {
            let (layout, access) = mpikit::runtime::agree(comm, open().and_then(check))?;
            // Every rank must see the same file (a shared file system).
            let all = comm.allgather_objects(&layout)?;
            if let Some(r) = all.iter().position(|l| *l != all[0]) {
                return Err(mpikit::Error::input(format!(
                    "{}: rank {r} sees a different file than rank 0 (not on a shared file \
                     system? use --read root)",
                    path.display()
                )));
            }
            Ok((layout, access, source))
        }
        ReadMode::Root => {
            let local = if comm.rank() == 0 {
                open().and_then(check).map(Some)
            } else {
                Ok(None)
            };
            let mine = mpikit::runtime::agree(comm, local)?;
            let (layout, access) = comm.broadcast_object(0, mine.as_ref())?;
            Ok((layout, access, source))
        }
    }
}
