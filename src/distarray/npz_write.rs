//! `.npz` archives written from DistArrays by every rank at once ([`NpzWriter`]): each
//! member is the array's `.npy` bytes, stored or deflated, and every rank writes its own
//! block's bytes by position.
//!
//! Each rank cuts its block's runs (its parts that are contiguous in the C-ordered file) into
//! pieces of at most 1 MiB and, on its threads, takes each piece's CRC-32 and, when deflating,
//! deflates it on its own as raw deflate ending in a sync flush (byte-aligned, as pigz does).
//! The pieces of every rank, in file order, make the member: their CRCs combine into the
//! member's, and their deflated lengths, summed in file order, say where each piece goes
//! (the pieces of a block split along its last axes interleave with other ranks' pieces in the
//! file, so the table of pieces is gathered rather than scanned per rank). Rank 0 adds the
//! local header, the `.npy` header and, deflating, the final empty block; the central
//! directory when finished. Atomic like [`write_npy`](crate::DistArray::write_npy).

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use mpi::topology::{Communicator, SimpleCommunicator};
use ndarray::Dimension;
use rayon::prelude::*;

use crate::collective::element::Element;
use crate::collective::object::ObjectCollectives;
use crate::data::summarize::IO_BYTES;
use crate::data::zipfmt::{directory, Entry, ZIP64_LIMIT};
use crate::distarray::array::DistArray;
use crate::distarray::io::{descr, npy_header};
use crate::distarray::placement::{rename_into_place, runs};
use crate::error::{Error, Result};
use crate::runtime::agree::agree_on;
use crate::runtime::world::Comm;

/// How the members of an [`NpzWriter`] are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    /// As they are (`np.savez`): the data can be read back by position.
    Stored,
    /// Deflated at zlib's default level 6 (`np.savez_compressed`).
    Deflated,
}

/// A deflated final empty block: ends the concatenated sync-flushed pieces.
const FINAL_BLOCK: [u8; 2] = [0x03, 0x00];

/// An `.npz` archive being written by every rank: [`create`](NpzWriter::create), then
/// [`add`](NpzWriter::add) each array (any element types and shapes, any grids), then
/// [`finish`](NpzWriter::finish). The archive is written to a temporary file beside `path`
/// and renamed to `path` by `finish` once every rank has succeeded; after a failed `add` (or
/// when the writer is dropped unfinished) the temporary file is removed. Every call is
/// collective and returns the same `Err` on every rank. Readable by `np.load`, the `zip`
/// crate and [`DistArray::read_npz`].
///
/// # Examples
/// ```no_run
/// use mpikit::io::{Compression, NpzWriter};
/// use mpikit::ndarray::{Ix1, Ix2};
/// use mpikit::{DistArray, Grid};
/// mpikit::run(|world| {
///     let size = world.size() as usize;
///     let p = DistArray::<f64, Ix2>::arange(world, Grid::rows(&[100, 10], size))?;
///     let n = DistArray::<i32, Ix1>::from_fn(world, Grid::rows(&[7], size), |i| i[0] as i32)?;
///     let mut npz = NpzWriter::create(world, "run.npz".as_ref(), Compression::Deflated)?;
///     npz.add("pressure", &p)?;
///     npz.add("steps", &n)?;
///     npz.finish()?; // np.load("run.npz")["pressure"] is p
///     Ok::<(), mpikit::Error>(())
/// });
/// ```
pub struct NpzWriter {
    comm: SimpleCommunicator,
    path: PathBuf,
    tmp: PathBuf,
    compression: Compression,
    entries: Vec<Entry>,
    /// Where the next member starts.
    end: u64,
    /// Sizes from this on get zip64 fields.
    limit: u64,
    /// Still to be renamed (or removed).
    open: bool,
}

impl NpzWriter {
    /// Starts an archive at `path` (rank 0 creates a temporary file beside it), its members
    /// stored or deflated as `compression` says.
    ///
    /// # Examples
    /// ```no_run
    /// mpikit::run(|world| {
    ///     let npz = mpikit::io::NpzWriter::create(world, "empty.npz".as_ref(), mpikit::io::Compression::Stored)?;
    ///     npz.finish()?; // an archive of no arrays
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn create(
        comm: &(impl Comm + ?Sized),
        path: &Path,
        compression: Compression,
    ) -> Result<NpzWriter> {
        let comm = comm.as_comm().duplicate();
        let root = comm.rank() == 0;
        let pid = comm.broadcast_object(0, root.then_some(&std::process::id()))?;
        let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let tmp = path.with_file_name(format!(
            ".{}.tmp-{pid}",
            file_name.clone().unwrap_or_default()
        ));
        let created = match root {
            true if file_name.is_none() || path.is_dir() => {
                Err(std::io::Error::other("not a file name"))
            }
            true => File::create(&tmp).map(drop),
            false => Ok(()),
        };
        let created = created.map_err(|e| Error::input(format!("{}: {e}", path.display())));
        if created.is_err() && root {
            let _ = std::fs::remove_file(&tmp);
        }
        agree_on(&comm, created)?;
        Ok(NpzWriter {
            comm,
            path: path.to_path_buf(),
            tmp,
            compression,
            entries: Vec::new(),
            end: 0,
            limit: ZIP64_LIMIT,
            open: true,
        })
    }

    /// Gives every member and the end records zip64 fields, however small (to test readers
    /// of zip64 archives without writing 4 GiB).
    #[doc(hidden)]
    pub fn force_zip64(mut self) -> NpzWriter {
        self.limit = 0;
        self
    }

    /// Adds `array` as member `NAME.npy` (`np.load(path)[name]`), C-ordered: every rank
    /// writes its own block. A name that is empty, has a `/` or is already in the archive,
    /// an array on another number of ranks, or a failed write is the same `Err` on every
    /// rank, and the archive is abandoned (its temporary file removed).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::io::{Compression, NpzWriter};
    /// use mpikit::ndarray::Ix3;
    /// use mpikit::{DistArray, Grid};
    /// mpikit::run(|world| {
    ///     // Blocks over all three axes: each rank's runs interleave with the others' in the file.
    ///     let grid = Grid::balanced(&[40, 30, 20], world.size() as usize, &[0, 1, 2])?;
    ///     let u = DistArray::<f32, Ix3>::from_fn(world, grid, |i| (i[0] + i[1] + i[2]) as f32)?;
    ///     let mut npz = NpzWriter::create(world, "u.npz".as_ref(), Compression::Stored)?;
    ///     npz.add("u", &u)?;
    ///     assert!(npz.add("u", &u).is_err()); // a second "u": refused, the archive abandoned
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn add<T: Element, D: Dimension>(
        &mut self,
        name: &str,
        array: &DistArray<T, D>,
    ) -> Result<()> {
        let file = format!("{name}.npy");
        let problem = if !self.open {
            Some("the archive was abandoned after an earlier failure".to_string())
        } else if name.is_empty() || name.contains('/') || file.len() > u16::MAX as usize {
            Some(format!("{name:?} is not a member name"))
        } else if self.entries.iter().any(|e| e.name == file) {
            Some(format!("the archive already has an array {name:?}"))
        } else if array.comm.size() != self.comm.size() || array.rank != self.comm.rank() as usize {
            Some("the array is on other ranks than the archive".to_string())
        } else if descr::<T>().is_empty() {
            Some(format!("no numpy type for {}", std::any::type_name::<T>()))
        } else {
            None
        };
        let checked = match problem {
            Some(p) => Err(Error::input(format!("{}: {p}", self.path.display()))),
            None => Ok(()),
        };
        // Agreed: a rank whose array differs must not leave the others in the member's
        // collectives.
        let added = agree_on(&self.comm, checked).and_then(|()| self.member(file, array));
        if added.is_err() {
            self.abandon();
        }
        added
    }

    /// Writes the central directory (rank 0) and renames the archive into place once every
    /// rank has succeeded; an archive abandoned by a failed `add` is an `Err` here too.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::io::{Compression, NpzWriter};
    /// use mpikit::{DistArray, Grid};
    /// mpikit::run(|world| {
    ///     let x = DistArray::<f64, mpikit::ndarray::Ix1>::arange(world, Grid::rows(&[10], world.size() as usize))?;
    ///     let mut npz = NpzWriter::create(world, "x.npz".as_ref(), Compression::Deflated)?;
    ///     npz.add("x", &x.map(|v| v as i64))?;
    ///     npz.finish()?; // only now does x.npz exist
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn finish(mut self) -> Result<()> {
        let io = |e: std::io::Error| Error::input(format!("{}: {e}", self.path.display()));
        let root = self.comm.rank() == 0;
        let done = if !self.open {
            Err(Error::input(format!(
                "{}: the archive was abandoned after an earlier failure",
                self.path.display()
            )))
        } else {
            let written = match root {
                true => (|| {
                    let f = File::options().write(true).open(&self.tmp)?;
                    let dir = directory(&self.entries, self.end, self.limit);
                    f.write_all_at(&dir, self.end)?;
                    f.set_len(self.end + dir.len() as u64)?;
                    f.sync_all()
                })()
                .map_err(io),
                false => Ok(()),
            };
            agree_on(&self.comm, written).and_then(|()| {
                let renamed = match root {
                    true => rename_into_place(&self.tmp, &self.path).map_err(io),
                    false => Ok(()),
                };
                agree_on(&self.comm, renamed)
            })
        };
        match done {
            Ok(()) => self.open = false,
            Err(_) => self.abandon(),
        }
        done
    }

    /// Removes the temporary file (rank 0); later calls fail.
    fn abandon(&mut self) {
        if self.open && self.comm.rank() == 0 {
            let _ = std::fs::remove_file(&self.tmp);
        }
        self.open = false;
    }

    /// Writes member `file` of `array` at the archive's end; agreed on.
    fn member<T: Element, D: Dimension>(
        &mut self,
        file: String,
        array: &DistArray<T, D>,
    ) -> Result<()> {
        let io = |e: std::io::Error| Error::input(format!("{}: {e}", self.path.display()));
        let deflate = self.compression == Compression::Deflated;
        let width = std::mem::size_of::<T>();
        let shape = array.grid.shape();
        let header = npy_header(descr::<T>(), shape);
        let local = array.local_elements();
        // SAFETY: element types are plain numbers: their bytes are the npy data.
        let bytes =
            unsafe { std::slice::from_raw_parts(local.as_ptr().cast::<u8>(), local.len() * width) };
        // This rank's pieces: (byte in the member, bytes).
        let mut pieces: Vec<(u64, &[u8])> = Vec::new();
        if array.rank == 0 {
            pieces.push((0, &header));
        }
        let mut at = 0;
        let block = array.grid.block_shape(array.rank);
        for (first, len) in runs(shape, &array.offset, &block) {
            let run = &bytes[at..at + len * width];
            for (k, piece) in run.chunks(IO_BYTES).enumerate() {
                let pos = header.len() + first * width + k * IO_BYTES;
                pieces.push((pos as u64, piece));
            }
            at += len * width;
        }
        let made: std::io::Result<Vec<(u32, Option<Vec<u8>>)>> = array.pool.install(|| {
            pieces
                .par_iter()
                .map(|(_, p)| {
                    Ok((
                        crc32fast::hash(p),
                        deflate.then(|| deflated(p)).transpose()?,
                    ))
                })
                .collect()
        });
        let made = made.map_err(io);
        let made = agree_on(&self.comm, made)?;
        // Every piece of every rank: (byte in the member, length, CRC-32, bytes written).
        let mine: Vec<(u64, u64, u32, u64)> = pieces
            .iter()
            .zip(&made)
            .map(|((pos, p), (crc, d))| {
                let out = d.as_ref().map_or(p.len(), Vec::len);
                (*pos, p.len() as u64, *crc, out as u64)
            })
            .collect();
        let mut all: Vec<(u64, u64, u32, u64)> = self
            .comm
            .allgather_objects(&mine)?
            .into_iter()
            .flatten()
            .collect();
        all.sort_unstable_by_key(|p| p.0);
        let size = (header.len() + array.len() * width) as u64;
        let mut crc = crc32fast::Hasher::new();
        let mut written = 0;
        let mut place = Vec::with_capacity(all.len());
        for &(pos, len, piece_crc, out) in &all {
            crc.combine(&crc32fast::Hasher::new_with_initial_len(piece_crc, len));
            place.push((pos, written));
            written += out;
        }
        let covered: u64 = all.iter().map(|p| p.1).sum();
        if covered != size {
            return Err(Error::input(format!(
                "{}: the blocks cover {covered} of the member's {size} bytes",
                self.path.display()
            )));
        }
        let entry = Entry {
            name: file,
            deflated: deflate,
            crc: crc.finalize(),
            stored_size: written + if deflate { FINAL_BLOCK.len() as u64 } else { 0 },
            size,
            offset: self.end,
        };
        let local_header = entry.local_header(self.limit);
        let data = self.end + local_header.len() as u64;
        let root = array.rank == 0;
        let wrote = File::options()
            .write(true)
            .open(&self.tmp)
            .and_then(|f| {
                let at = |pos: u64| place[place.partition_point(|p| p.0 < pos)].1;
                array.pool.install(|| {
                    pieces
                        .par_iter()
                        .zip(&made)
                        .try_for_each(|((pos, p), (_, d))| {
                            f.write_all_at(d.as_deref().unwrap_or(p), data + at(*pos))
                        })
                })?;
                if root {
                    f.write_all_at(&local_header, entry.offset)?;
                    if deflate {
                        f.write_all_at(&FINAL_BLOCK, data + written)?;
                    }
                }
                f.sync_all()
            })
            .map_err(io);
        agree_on(&self.comm, wrote)?;
        self.end = data + entry.stored_size;
        self.entries.push(entry);
        Ok(())
    }
}

impl Drop for NpzWriter {
    fn drop(&mut self) {
        self.abandon();
    }
}

/// `bytes` as raw deflate at level 6 ending in a sync flush: byte-aligned and not final, so
/// such pieces concatenate into one stream.
fn deflated(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut enc = flate2::write::DeflateEncoder::new(
        Vec::with_capacity(bytes.len() / 2 + 64),
        flate2::Compression::new(6),
    );
    enc.write_all(bytes)?;
    enc.flush()?;
    // Taken out before the encoder is dropped (which would add a final block).
    Ok(std::mem::take(enc.get_mut()))
}
