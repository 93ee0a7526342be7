//! Files written by every rank at once: [`write_npy`] (an `.npy` file whose values come from
//! their global index), [`write_file_with`] (any format, atomically: a temporary file
//! renamed once every rank has written its block) and [`write_values_at`] (a rank's block of
//! values, converted to the file's type, with positioned writes on its threads).

use std::fs::File;
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::Path;

use mpi::topology::Communicator;
use rayon::prelude::*;

use crate::data::dtype::{ByteOrder, Dtype};
use crate::data::npy::FileLayout;
use crate::data::partition::Partition;
use crate::data::summarize::IO_BYTES;
use crate::error::{Error, Result};
use crate::runtime::world::Comm;

/// Writes an `.npy` file of `len` elements of `dtype` in parallel: rank 0 creates a
/// temporary file with the header and the full size, every rank writes its slice of the
/// values `value(i)` (as `f64`, converted to `dtype`) with positioned writes, and rank 0
/// renames it to `path` once every rank has succeeded. On any failure the temporary file is
/// removed and every rank returns the same error.
///
/// # Examples
/// ```no_run
/// use mpikit::io::{write_npy, ByteOrder, Dtype};
/// mpikit::run(|world| {
///     // 10^6 float32 values, value i = sin(i), each rank writing its own block.
///     let f = |i: u64| (i as f64).sin();
///     write_npy(world, "sines.npy".as_ref(), (Dtype::F32, ByteOrder::Little), 1_000_000, &f, world.pool())?;
///     Ok::<(), mpikit::Error>(())
/// });
/// ```
pub fn write_npy<A: Comm + ?Sized>(
    comm: &A,
    path: &Path,
    (dtype, order): (Dtype, ByteOrder),
    len: u64,
    value: &(dyn Fn(u64) -> f64 + Sync),
    pool: &rayon::ThreadPool,
) -> Result<()> {
    let header = FileLayout::npy_header(dtype, order, len)?;
    let start = header.len() as u64;
    let create = |tmp: &Path| -> std::io::Result<()> {
        let f = File::create(tmp)?;
        f.write_all_at(&header, 0)?;
        f.set_len(start + len * dtype.size() as u64)
    };
    let fill = |tmp: &Path, mine: Range<u64>| {
        write_values_at(tmp, start, (dtype, order), mine, value, pool)
    };
    write_file_with(comm, path, &create, &fill, len, false)
}

/// Writes a file atomically across ranks: rank 0 runs `create` on a temporary file beside
/// `path`, then every rank runs `fill` on it for its own block of `0..len` (all at once, or
/// one rank after the other with `one_at_a_time`, for a library that cannot share a file
/// being written), and rank 0 renames it to `path` once every rank has succeeded. Every
/// step's outcome is agreed on; on any failure the temporary file is removed and every rank
/// returns the same error, so no partial file is left at `path`.
///
/// # Examples
/// ```no_run
/// use mpikit::io::{write_file_with, write_values_at, ByteOrder, Dtype};
/// mpikit::run(|world| {
///     let path = std::path::Path::new("ramp.f64");
///     let n = 1000;
///     // Rank 0 creates the file; every rank fills its block; renamed into place once all succeeded.
///     let pool = world.pool();
///     let create = |tmp: &std::path::Path| std::fs::File::create(tmp)?.set_len(8 * n);
///     let fill = |tmp: &std::path::Path, block: std::ops::Range<u64>| {
///         write_values_at(tmp, 0, (Dtype::F64, ByteOrder::Little), block, &|i| i as f64, pool)
///     };
///     write_file_with(world, path, &create, &fill, n, false)?;
///     Ok::<(), mpikit::Error>(())
/// });
/// ```
pub fn write_file_with<A: Comm + ?Sized>(
    comm: &A,
    path: &Path,
    create: &(dyn Fn(&Path) -> std::io::Result<()> + Sync),
    fill: &(dyn Fn(&Path, Range<u64>) -> std::io::Result<()> + Sync),
    len: u64,
    one_at_a_time: bool,
) -> Result<()> {
    let comm = comm.as_comm();
    let rank = comm.rank();
    let name = path.display();
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // Rank 0's pid names the temporary file on every rank.
    let pid = crate::collective::object::ObjectCollectives::broadcast_object(
        comm,
        0,
        (rank == 0).then_some(&std::process::id()),
    )?;
    let tmp = path.with_file_name(format!(".{file_name}.tmp-{pid}"));
    let created = if rank == 0 {
        if file_name.is_empty() || path.is_dir() {
            Err(std::io::Error::other("not a file name"))
        } else {
            create(&tmp)
        }
        .map_err(|e| Error::input(format!("--out {name}: {e}")))
    } else {
        Ok(())
    };
    let agreed = crate::runtime::agree::agree_on(comm, created);
    if agreed.is_err() && rank == 0 {
        let _ = std::fs::remove_file(&tmp);
    }
    agreed?;
    let mine = Partition::new(len as usize, comm.size() as usize).range(rank as usize);
    let mine = mine.start as u64..mine.end as u64;
    let write = || fill(&tmp, mine.clone()).map_err(|e| Error::input(format!("--out {name}: {e}")));
    let written = if one_at_a_time {
        // Each agreement is also the turn's barrier.
        (0..comm.size()).try_for_each(|r| {
            let mine = if r == rank { write() } else { Ok(()) };
            crate::runtime::agree::agree_on(comm, mine)
        })
    } else {
        crate::runtime::agree::agree_on(comm, write())
    };
    let done = written.and_then(|()| {
        let renamed = if rank == 0 {
            std::fs::rename(&tmp, path).map_err(|e| Error::input(format!("--out {name}: {e}")))
        } else {
            Ok(())
        };
        crate::runtime::agree::agree_on(comm, renamed)
    });
    if done.is_err() && rank == 0 {
        let _ = std::fs::remove_file(&tmp);
    }
    done
}

/// Writes the values `value(i)` for `i` in `range` (as `f64`, converted to `dtype` in
/// `order`) into the existing file at `path`, element `i` at byte `start + i * size`, with
/// positioned writes on the threads of `pool`, then syncs the file.
///
/// # Examples
/// ```
/// use mpikit::io::{write_values_at, ByteOrder, Dtype};
/// let pool = mpikit::rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
/// let path = std::env::temp_dir().join("mpikit-doc-values.i16");
/// std::fs::write(&path, [0u8; 20]).unwrap();
/// // Elements 2..6 as little-endian i16, value i = 10 i.
/// write_values_at(&path, 0, (Dtype::I16, ByteOrder::Little), 2..6, &|i| 10.0 * i as f64, &pool).unwrap();
/// let bytes = std::fs::read(&path).unwrap();
/// assert_eq!(i16::from_le_bytes([bytes[4], bytes[5]]), 20);
/// # std::fs::remove_file(&path).unwrap();
/// ```
pub fn write_values_at(
    path: &Path,
    start: u64,
    (dtype, order): (Dtype, ByteOrder),
    range: Range<u64>,
    value: &(dyn Fn(u64) -> f64 + Sync),
    pool: &rayon::ThreadPool,
) -> std::io::Result<()> {
    let width = dtype.size() as u64;
    let f = File::options().write(true).open(path)?;
    let chunk = (IO_BYTES as u64 / width).max(1);
    let blocks: Vec<Range<u64>> = range
        .clone()
        .step_by(chunk as usize)
        .map(|a| a..(a + chunk).min(range.end))
        .collect();
    pool.install(|| {
        blocks.par_iter().try_for_each(|r| {
            let mut bytes = Vec::with_capacity(((r.end - r.start) * width) as usize);
            for i in r.clone() {
                encode(dtype, order, value(i), &mut bytes);
            }
            f.write_all_at(&bytes, start + r.start * width)
        })
    })?;
    f.sync_all()
}

/// Appends `v` as `dtype` in `order` (integers: `v` is whole; out-of-range values wrap
/// modulo 2^bits; bool: `v` odd; complex: `v` + 0i).
fn encode(dtype: Dtype, order: ByteOrder, v: f64, out: &mut Vec<u8>) {
    macro_rules! put {
        ($x:expr) => {
            if order == ByteOrder::Big {
                out.extend($x.to_be_bytes())
            } else {
                out.extend($x.to_le_bytes())
            }
        };
    }
    match dtype {
        Dtype::F64 => put!(v),
        Dtype::F32 => put!(v as f32),
        Dtype::F16 => put!(half::f16::from_f64(v)),
        Dtype::I64 => put!(v as i128 as i64),
        Dtype::I32 => put!(v as i128 as i32),
        Dtype::I16 => put!(v as i128 as i16),
        Dtype::I8 => out.push(v as i128 as i8 as u8),
        Dtype::U64 => put!(v as i128 as u64),
        Dtype::U32 => put!(v as i128 as u32),
        Dtype::U16 => put!(v as i128 as u16),
        Dtype::U8 => out.push(v as i128 as u8),
        Dtype::Bool => out.push(u8::from(v as i128 % 2 != 0)),
        Dtype::C64 => {
            put!(v as f32);
            put!(0f32);
        }
        Dtype::C128 => {
            put!(v);
            put!(0f64);
        }
    }
}
