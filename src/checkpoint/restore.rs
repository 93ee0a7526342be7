//! [`Restore`]: a saved checkpoint opened for reading, its files checked against the
//! manifest (sizes and checksums), its arrays read onto any grid of any rank count.

use std::path::PathBuf;

use mpi::topology::Communicator;
use ndarray::Dimension;
use serde::de::DeserializeOwned;

use super::manifest::{segment_crcs, Manifest};
use super::{step_dir, Checkpoints};
use crate::collective::element::Element;
use crate::distarray::io::descr;
use crate::distarray::{DistArray, Grid};
use crate::error::{Error, Result};
use crate::runtime::agree::agree_on;

/// A checkpoint opened for reading (from [`Checkpoints::restore`]), checked whole: every
/// file is there, of the manifest's size and checksums, from this program.
pub struct Restore<'a> {
    pub(crate) owner: &'a Checkpoints,
    pub(crate) dir: PathBuf,
    pub(crate) manifest: Manifest,
}

impl<'a> Restore<'a> {
    /// Opens checkpoint `step` of `owner` and checks its manifest and every file. Collective.
    pub(crate) fn open(owner: &'a Checkpoints, step: u64) -> Result<Restore<'a>> {
        let comm = &*owner.comm;
        let dir = step_dir(&owner.dir, step);
        let what = dir.join("manifest.txt");
        let manifest = std::fs::read_to_string(&what)
            .map_err(|e| Error::input(format!("{}: {e}", what.display())))
            .and_then(|text| Manifest::parse(&text, &what.display().to_string()))
            .and_then(|m| {
                if m.program != owner.program {
                    return Err(Error::input(format!(
                        "{}: a checkpoint of {:?}, not of {:?}",
                        dir.display(),
                        m.program,
                        owner.program
                    )));
                }
                if m.step != step {
                    return Err(Error::input(format!(
                        "{}: the manifest says step {}",
                        dir.display(),
                        m.step
                    )));
                }
                Ok(m)
            });
        let manifest = agree_on(comm, manifest)?;
        let restore = Restore {
            owner,
            dir,
            manifest,
        };
        restore.check_files()?;
        Ok(restore)
    }

    /// Every file's size and checksums against the manifest, the checksums computed by
    /// every rank at once.
    fn check_files(&self) -> Result<()> {
        let comm = &*self.owner.comm;
        let pool = &self.owner.pool;
        for a in &self.manifest.arrays {
            let path = self.dir.join(format!("{}.npy", a.name));
            let size = std::fs::metadata(&path)
                .map_err(|e| Error::input(format!("{}: {e}", path.display())))
                .and_then(|m| {
                    if m.len() != a.bytes {
                        return Err(Error::input(format!(
                            "{}: {} bytes, the checkpoint's manifest says {} (truncated or \
                             damaged)",
                            path.display(),
                            m.len(),
                            a.bytes
                        )));
                    }
                    Ok(())
                });
            agree_on(comm, size)?;
            let crcs = segment_crcs(comm, &path, a.bytes, pool)?;
            if let Some(s) =
                (0..crcs.len()).find(|&s| crcs[s] != a.crcs.get(s).copied().unwrap_or(!crcs[s]))
            {
                return Err(Error::input(format!(
                    "{}: damaged: the checksum of bytes {}.. differs from the manifest's",
                    path.display(),
                    s as u64 * super::manifest::SEGMENT
                )));
            }
        }
        if let Some((bytes, crc)) = self.manifest.state {
            let path = self.dir.join("state.bin");
            let ok = std::fs::read(&path)
                .map_err(|e| Error::input(format!("{}: {e}", path.display())))
                .and_then(|b| {
                    if b.len() as u64 != bytes || crc32fast::hash(&b) != crc {
                        Err(Error::input(format!(
                            "{}: damaged: its size or checksum differs from the manifest's",
                            path.display()
                        )))
                    } else {
                        Ok(())
                    }
                });
            agree_on(comm, ok)?;
        }
        Ok(())
    }

    /// The step the checkpoint was saved at.
    pub fn step(&self) -> u64 {
        self.manifest.step
    }

    /// The folder the checkpoint is in.
    pub fn path(&self) -> &std::path::Path {
        &self.dir
    }

    /// The names of the saved arrays, in the order they were saved.
    pub fn arrays(&self) -> Vec<&str> {
        self.manifest
            .arrays
            .iter()
            .map(|a| a.name.as_str())
            .collect()
    }

    /// The shape array `name` was saved with.
    pub fn shape(&self, name: &str) -> Result<&[usize]> {
        self.entry(name).map(|a| a.shape.as_slice())
    }

    fn entry(&self, name: &str) -> Result<&super::manifest::ArrayEntry> {
        self.manifest
            .arrays
            .iter()
            .find(|a| a.name == name)
            .ok_or_else(|| {
                Error::input(format!(
                    "{}: no array {name:?} in the checkpoint (it holds {})",
                    self.dir.display(),
                    self.arrays().join(", ")
                ))
            })
    }

    /// Reads array `name` onto `grid(saved shape)`, on this communicator's ranks (any count,
    /// any grid: each rank reads its own block by position). The same `Err` on every rank
    /// for a missing array or another element type. Collective.
    pub fn array<T: Element, D: Dimension>(
        &self,
        name: &str,
        grid: impl FnOnce(&[usize]) -> Result<Grid>,
    ) -> Result<DistArray<T, D>> {
        let comm = &*self.owner.comm;
        let entry = self.entry(name).and_then(|a| {
            if a.descr != descr::<T>() {
                return Err(Error::input(format!(
                    "{}: array {name:?} holds {} values, not {} ({})",
                    self.dir.display(),
                    a.descr,
                    descr::<T>(),
                    std::any::type_name::<T>()
                )));
            }
            Ok(())
        });
        agree_on(comm, entry)?;
        DistArray::read_npy(comm, &self.dir.join(format!("{name}.npy")), grid)
    }

    /// The program's state as saved. Collective (rank 0 reads it; every rank gets it).
    pub fn state<S: DeserializeOwned>(&self) -> Result<S> {
        let comm = &*self.owner.comm;
        let path = self.dir.join("state.bin");
        let local = if comm.rank() == 0 {
            if self.manifest.state.is_none() {
                Err(Error::input(format!(
                    "{}: the checkpoint holds no state",
                    self.dir.display()
                )))
            } else {
                std::fs::read(&path)
                    .map(Some)
                    .map_err(|e| Error::input(format!("{}: {e}", path.display())))
            }
        } else {
            Ok(None)
        };
        let bytes = agree_on(comm, local)?;
        let bytes: Vec<u8> = crate::collective::object::ObjectCollectives::broadcast_object(
            comm,
            0,
            bytes.as_ref(),
        )?;
        let state = crate::collective::codec::decode::<S>(&bytes, None).map_err(|e| {
            Error::input(format!(
                "{}: the saved state is not this program's state type: {e}",
                path.display()
            ))
        });
        agree_on(comm, state)
    }
}
