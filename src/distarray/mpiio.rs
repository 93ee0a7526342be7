//! Collective MPI-IO for DistArray files: each rank's block as a subarray file view, moved
//! with `MPI_File_write_at_all` / `MPI_File_read_at_all`, next to the positioned reads and
//! writes each rank makes on its own threads. [`Transfer`] says which, and why.

use std::ffi::CString;
use std::os::raw::c_int;
use std::path::Path;

use mpi::topology::Communicator;

use crate::collective::object::ObjectCollectives;
use crate::error::{Error, Result};
use crate::raw::file::{self as raw, MPI_File};
use crate::raw::MPI_Datatype;
use crate::runtime::agree::agree_on;

/// How a DistArray's block travels between its ranks and a file (`.npy` files, HDF5
/// contiguous datasets).
///
/// - [`Positioned`](Transfer::Positioned): every rank reads or writes its own block's runs
///   with `pread`/`pwrite` on its threads, 1 MiB at a time. On a local disk, NFS or a node's
///   SSD this is as fast as the disk (see docs/performance.md), and it needs nothing of MPI.
/// - [`Collective`](Transfer::Collective): one `MPI_File_*_at_all` call per rank over a
///   subarray view of the file. The MPI library gathers the ranks' pieces into large
///   contiguous requests (collective buffering, two-phase I/O): what Lustre and GPFS need,
///   where many small interleaved writes from many nodes fight over stripe locks.
///
/// [`Transfer::auto`] is the rule `write_npy` and `read_npy` follow: `MPIKIT_IO=positioned`
/// or `MPIKIT_IO=collective` if set, else collective on Lustre, GPFS and BeeGFS (by the
/// file system of the file's folder) and positioned elsewhere. A block of 2^31 elements or
/// more, or an axis that long, is always moved by position (MPI-IO counts in `int`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Transfer {
    /// `pread`/`pwrite` of each rank's runs on its threads.
    Positioned,
    /// MPI-IO collective calls over subarray file views.
    Collective,
}

impl Transfer {
    /// The rule: `MPIKIT_IO` (`positioned` or `collective`) if set, else collective on a
    /// parallel file system (Lustre, GPFS, BeeGFS: `statfs` of the file's folder) and
    /// positioned elsewhere.
    ///
    /// # Examples
    /// ```
    /// use mpikit::io::Transfer;
    /// // A local temporary folder: positioned, unless MPIKIT_IO says otherwise.
    /// if std::env::var_os("MPIKIT_IO").is_none() {
    ///     assert_eq!(Transfer::auto(&std::env::temp_dir().join("x.npy")), Transfer::Positioned);
    /// }
    /// ```
    pub fn auto(path: &Path) -> Transfer {
        match std::env::var("MPIKIT_IO").as_deref() {
            Ok("collective") => return Transfer::Collective,
            Ok("positioned") => return Transfer::Positioned,
            _ => {}
        }
        let dir = crate::distarray::placement::folder_of(path);
        const LUSTRE: i64 = 0x0BD0_0BD0;
        const GPFS: i64 = 0x4750_4653;
        const BEEGFS: i64 = 0x1911_0111;
        let Ok(c) = CString::new(dir.as_os_str().as_encoded_bytes()) else {
            return Transfer::Positioned;
        };
        let mut fs: libc::statfs = unsafe { std::mem::zeroed() };
        // SAFETY: `c` is a NUL-terminated path and `fs` a valid out-pointer for one statfs.
        let ok = unsafe { libc::statfs(c.as_ptr(), &mut fs) } == 0;
        match ok.then_some(fs.f_type as i64) {
            Some(LUSTRE | GPFS | BEEGFS) => Transfer::Collective,
            _ => Transfer::Positioned,
        }
    }

    /// `wanted`, else [`auto`](Transfer::auto), as rank 0 says, on every rank; positioned
    /// when a block or an axis is too long for MPI-IO's `int` counts on any rank.
    pub(crate) fn agreed<C: Communicator + ?Sized>(
        comm: &C,
        wanted: Option<Transfer>,
        path: &Path,
        shape: &[usize],
        block: &[usize],
    ) -> Result<Transfer> {
        let mine = (comm.rank() == 0).then(|| wanted.unwrap_or_else(|| Transfer::auto(path)));
        let chosen = comm.broadcast_object(0, mine.as_ref())?;
        let fits = |n: usize| n < i32::MAX as usize;
        let small = shape.iter().all(|&n| fits(n)) && fits(block.iter().product());
        let all_small = comm.allgather_objects(&small)?.iter().all(|&s| s);
        Ok(if all_small {
            chosen
        } else {
            Transfer::Positioned
        })
    }
}

/// Which way a collective transfer goes.
pub(crate) enum Direction<'a> {
    /// Write these bytes (the block in C order).
    Write(&'a [u8]),
    /// Read into these bytes.
    Read(&'a mut [u8]),
}

/// Moves this rank's block (`block` at `start` of a C-ordered array of `shape`, elements of
/// `width` bytes, the array's first byte at `disp`) between `bytes` and the file at `path`,
/// collectively over `comm`: open, a subarray view, one `_at_all` call, a sync after a
/// write, close. Every rank makes every call; the same `Err` on every rank if any failed.
pub(crate) fn transfer<C: Communicator + ?Sized>(
    comm: &C,
    path: &Path,
    disp: u64,
    width: usize,
    (shape, start, block): (&[usize], &[usize], &[usize]),
    mut data: Direction<'_>,
) -> Result<()> {
    let name = path.display();
    let fail = |what: &str, code: c_int| {
        Err(Error::input(format!(
            "{name}: {what}: {}",
            raw::error_text(code)
        )))
    };
    let c_path = CString::new(path.as_os_str().as_encoded_bytes())
        .map_err(|_| Error::input(format!("{name}: a path with a NUL byte")));
    let c_path = agree_on(comm, c_path)?;
    let mode = match data {
        Direction::Write(_) => raw::MODE_WRONLY,
        Direction::Read(_) => raw::MODE_RDONLY,
    };
    let mut fh: MPI_File = raw::file_null();
    // SAFETY: `comm` is live, every rank opens the same NUL-terminated path here (collective),
    // `fh` is a valid out-pointer. An open that fails fails on every rank (the same path on
    // a shared file system), so no rank goes on to a collective call the others skip.
    let code = unsafe {
        raw::file_open(
            comm.as_raw(),
            c_path.as_ptr(),
            mode,
            raw::info_null(),
            &mut fh,
        )
    };
    agree_on(
        comm,
        if code == raw::SUCCESS {
            Ok(())
        } else {
            fail("MPI_File_open", code)
        },
    )?;
    let mut result = Ok(());
    let mut keep = |r: Result<()>| {
        if result.is_ok() {
            result = r;
        }
    };
    let empty = block.contains(&0);
    let (etype, filetype) = types(width, shape, start, block, empty);
    match (etype, filetype) {
        (Ok(etype), Ok(filetype)) => {
            let rep = c"native";
            // SAFETY: `fh` is open on every rank; both types are committed (by `types`); the
            // view call is collective and every rank makes it.
            let code = unsafe {
                raw::file_set_view(
                    fh,
                    disp as raw::MPI_Offset,
                    etype,
                    filetype,
                    rep.as_ptr(),
                    raw::info_null(),
                )
            };
            keep(if code == raw::SUCCESS {
                Ok(())
            } else {
                fail("MPI_File_set_view", code)
            });
            let count: c_int = if empty {
                0
            } else {
                block.iter().product::<usize>() as c_int
            };
            // SAFETY: an MPI_Status is plain data; all zeros is a value MPI overwrites.
            let mut status: crate::raw::MPI_Status = unsafe { std::mem::zeroed() };
            let code = match &mut data {
                // SAFETY: the buffer holds `count` elements of `etype` (width bytes each: the
                // block), alive for the call; every rank makes the collective call; `status`
                // is a valid out-pointer.
                Direction::Write(b) => unsafe {
                    raw::file_write_at_all(fh, 0, b.as_ptr().cast(), count, etype, &mut status)
                },
                // SAFETY: as above; MPI writes the buffer, which nothing else touches.
                Direction::Read(b) => unsafe {
                    raw::file_read_at_all(fh, 0, b.as_mut_ptr().cast(), count, etype, &mut status)
                },
            };
            keep(if code == raw::SUCCESS {
                Ok(())
            } else {
                fail("collective transfer", code)
            });
            // Open MPI's own MPI-IO (ompio) can report success for a short transfer (a full
            // disk): the status says how much really moved.
            let mut moved: c_int = 0;
            // SAFETY: `status` is the finished transfer's; `etype` is committed; `moved` is a
            // valid out-pointer.
            let code = unsafe { raw::get_count(&status, etype, &mut moved) };
            keep(if code != raw::SUCCESS {
                fail("MPI_Get_count", code)
            } else if moved != count {
                Err(Error::input(format!(
                    "{name}: MPI-IO moved {moved} of this rank's {count} elements (is the disk \
                     full?)"
                )))
            } else {
                Ok(())
            });
            if let Direction::Write(_) = data {
                // SAFETY: `fh` is open on every rank; collective.
                let code = unsafe { raw::file_sync(fh) };
                keep(if code == raw::SUCCESS {
                    Ok(())
                } else {
                    fail("MPI_File_sync", code)
                });
            }
            free_type(etype);
            if filetype != etype {
                free_type(filetype);
            }
        }
        (e, f) => {
            // The view is collective: a rank that could not build its types still takes part
            // in the agreement below instead; nobody calls set_view.
            keep(e.map(|_| ()).and(f.map(|_| ())));
        }
    }
    // SAFETY: `fh` was opened above on every rank and is closed once, collectively.
    let code = unsafe { raw::file_close(&mut fh) };
    keep(if code == raw::SUCCESS {
        Ok(())
    } else {
        fail("MPI_File_close", code)
    });
    agree_on(comm, result)
}

/// The element type (`width` bytes) and this rank's file type (its block as a subarray of
/// the array, or the element type itself for an empty block or a 0-d array), committed.
fn types(
    width: usize,
    shape: &[usize],
    start: &[usize],
    block: &[usize],
    empty: bool,
) -> (Result<MPI_Datatype>, Result<MPI_Datatype>) {
    let check = |code: c_int, what: &str| {
        if code == raw::SUCCESS {
            Ok(())
        } else {
            Err(Error::input(format!("{what}: {}", raw::error_text(code))))
        }
    };
    let mut etype: MPI_Datatype = raw::datatype_byte();
    // SAFETY: a contiguous type of `width` bytes; `etype` is a valid out-pointer, then committed.
    let e = unsafe { raw::type_contiguous(width as c_int, raw::datatype_byte(), &mut etype) };
    let e = check(e, "MPI_Type_contiguous")
        // SAFETY: `etype` was just created; committing it is what MPI asks before use.
        .and_then(|()| check(unsafe { raw::type_commit(&mut etype) }, "MPI_Type_commit"))
        .map(|()| etype);
    let Ok(etype) = e else {
        return (e, Err(Error::input("no element type")));
    };
    if empty || shape.is_empty() {
        return (Ok(etype), Ok(etype));
    }
    let int = |v: &[usize]| v.iter().map(|&n| n as c_int).collect::<Vec<c_int>>();
    let (sizes, subsizes, starts) = (int(shape), int(block), int(start));
    let mut filetype: MPI_Datatype = raw::datatype_byte();
    // SAFETY: three arrays of `shape.len()` ints; every size is at least 1 (the block is not
    // empty, so neither is the array), `start + block <= shape` (a grid's block); `etype` is
    // committed; `filetype` is a valid out-pointer, committed before use.
    let f = unsafe {
        raw::type_create_subarray(
            shape.len() as c_int,
            sizes.as_ptr(),
            subsizes.as_ptr(),
            starts.as_ptr(),
            raw::ORDER_C,
            etype,
            &mut filetype,
        )
    };
    let f = check(f, "MPI_Type_create_subarray")
        // SAFETY: `filetype` was just created; committing it is what MPI asks before use.
        .and_then(|()| {
            check(
                unsafe { raw::type_commit(&mut filetype) },
                "MPI_Type_commit",
            )
        })
        .map(|()| filetype);
    (Ok(etype), f)
}

/// Frees a committed type (a view that uses it keeps its own reference).
fn free_type(mut t: MPI_Datatype) {
    // SAFETY: `t` was created and committed by `types` and is freed once.
    unsafe { raw::type_free(&mut t) };
}

/// Reads this rank's block (`block` at `start` of a C-ordered array of `shape` whose first
/// element is at byte `disp`) into `values` by one collective MPI-IO read. Every rank calls,
/// empty blocks too; the same `Err` on every rank.
pub(crate) fn read_collective<T: crate::collective::element::Element, C>(
    comm: &C,
    path: &Path,
    disp: u64,
    placed: (&[usize], &[usize], &[usize]),
    values: &mut [T],
) -> Result<()>
where
    C: Communicator + ?Sized,
{
    // SAFETY: Element types are plain numbers: any bytes read are values (a bool block is
    // the caller's to check).
    let bytes = unsafe {
        std::slice::from_raw_parts_mut(
            values.as_mut_ptr().cast::<u8>(),
            std::mem::size_of_val(values),
        )
    };
    let width = std::mem::size_of::<T>();
    transfer(comm, path, disp, width, placed, Direction::Read(bytes))
}

impl<T: crate::collective::element::Element, D: ndarray::Dimension> crate::DistArray<T, D> {
    /// Writes this rank's block into the file at `path`, a C-ordered array of the grid's
    /// shape whose first element is at byte `disp`, by one collective MPI-IO write (and a
    /// sync). Collective; the same `Err` on every rank.
    pub(crate) fn write_collective(&self, path: &Path, disp: u64) -> Result<()> {
        let local = self.local_elements();
        // SAFETY: Element types are plain numbers: their bytes are the file's data.
        let bytes = unsafe {
            std::slice::from_raw_parts(
                local.as_ptr().cast::<u8>(),
                std::mem::size_of_val(&local[..]),
            )
        };
        let block = self.grid.block_shape(self.rank);
        let placed = (self.grid.shape(), &self.offset[..], &block[..]);
        transfer(
            &*self.comm,
            path,
            disp,
            std::mem::size_of::<T>(),
            placed,
            Direction::Write(bytes),
        )
    }
}
