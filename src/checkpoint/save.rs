//! [`Save`]: one checkpoint being written into a temporary folder, then synced and renamed
//! into place; older checkpoints beyond the number kept are removed after.

use std::path::{Path, PathBuf};

use mpi::topology::Communicator;
use ndarray::Dimension;
use serde::Serialize;

use super::manifest::{segment_crcs, ArrayEntry, Manifest};
use super::{step_dir, Checkpoints};
use crate::collective::element::Element;
use crate::distarray::io::descr;
use crate::distarray::DistArray;
use crate::error::{Error, Result};
use crate::runtime::agree::agree_on;

/// A checkpoint being saved (from [`Checkpoints::save`]): add arrays with
/// [`array`](Save::array) and the program's state with [`state`](Save::state), then
/// [`commit`](Save::commit). Until the commit the files live in a temporary folder; a save
/// dropped without committing (an `Err`, a panic) removes it, and a job killed during a save
/// leaves it behind for the next save to clear, with every earlier checkpoint intact.
pub struct Save<'a> {
    pub(crate) owner: &'a Checkpoints,
    pub(crate) tmp: PathBuf,
    pub(crate) manifest: Manifest,
    pub(crate) committed: bool,
}

impl Save<'_> {
    fn error(&self, e: impl std::fmt::Display) -> Error {
        Error::input(format!("checkpoint {}: {e}", self.tmp.display()))
    }

    /// Saves `array` as `name` (letters, digits, `_`, `-`, `.`): a C-ordered `.npy` file
    /// written by every rank at once (each its block, by position, on its threads), then
    /// checksummed. Collective.
    pub fn array<T: Element, D: Dimension>(
        &mut self,
        name: &str,
        array: &DistArray<T, D>,
    ) -> Result<()> {
        let comm = &*self.owner.comm;
        let ok = if !valid_name(name) {
            Err(self.error(format!(
                "array name {name:?}: use letters, digits, '_', '-' and '.'"
            )))
        } else if self.manifest.arrays.iter().any(|a| a.name == name) {
            Err(self.error(format!("array {name:?} saved twice")))
        } else if array.comm.size() != comm.size() {
            Err(self.error(format!(
                "array {name:?} is on {} ranks, the checkpoints on {}",
                array.comm.size(),
                comm.size()
            )))
        } else {
            Ok(())
        };
        agree_on(comm, ok)?;
        let path = self.tmp.join(format!("{name}.npy"));
        array.write_npy(&path)?;
        let bytes = std::fs::metadata(&path)
            .map(|m| m.len())
            .map_err(|e| self.error(e));
        let bytes = agree_on(comm, bytes)?;
        let crcs = segment_crcs(comm, &path, bytes, &array.pool)?;
        self.manifest.arrays.push(ArrayEntry {
            name: name.to_string(),
            descr: descr::<T>().to_string(),
            shape: array.grid.shape().to_vec(),
            grid: array.grid.dims().to_vec(),
            bytes,
            crcs,
        });
        Ok(())
    }

    /// Saves the program's state (step, parameters, RNG position: anything serde can
    /// serialise), as rank 0 holds it. Collective.
    pub fn state<S: Serialize>(&mut self, state: &S) -> Result<()> {
        let comm = &*self.owner.comm;
        let written = if comm.rank() == 0 {
            crate::collective::codec::encode(state, 0)
                .map_err(|e| self.error(format!("the state cannot be serialised: {e}")))
                .and_then(|bytes| {
                    let path = self.tmp.join("state.bin");
                    write_synced(&path, &bytes).map_err(|e| self.error(e))?;
                    Ok(Some((bytes.len() as u64, crc32fast::hash(&bytes))))
                })
        } else {
            Ok(None)
        };
        let state = agree_on(comm, written)?;
        let state = crate::collective::object::ObjectCollectives::broadcast_object(
            comm,
            0,
            state.as_ref(),
        )?;
        self.manifest.state = Some(state);
        Ok(())
    }

    /// Writes the manifest, syncs the folder and renames it to `step-NNNNNNNNNNNN`
    /// (replacing a checkpoint of the same step), then removes the oldest checkpoints beyond
    /// the number kept and any folders that killed saves left. Collective; the saved
    /// checkpoint's folder.
    pub fn commit(mut self) -> Result<PathBuf> {
        let comm = &*self.owner.comm;
        let dir = &self.owner.dir;
        let target = step_dir(dir, self.manifest.step);
        let done = if comm.rank() == 0 {
            (|| -> std::io::Result<()> {
                write_synced(
                    &self.tmp.join("manifest.txt"),
                    self.manifest.to_text().as_bytes(),
                )?;
                std::fs::File::open(&self.tmp)?.sync_all()?;
                if target.exists() {
                    // Set aside first: the old one is gone only once the new one is in place.
                    let old = dir.join(format!(".{}.old", file_name(&target)));
                    let _ = std::fs::remove_dir_all(&old);
                    std::fs::rename(&target, &old)?;
                    std::fs::rename(&self.tmp, &target)?;
                    std::fs::remove_dir_all(&old)?;
                } else {
                    std::fs::rename(&self.tmp, &target)?;
                }
                std::fs::File::open(dir)?.sync_all()
            })()
            .map_err(|e| self.error(e))
        } else {
            Ok(())
        };
        agree_on(comm, done)?;
        self.committed = true;
        self.owner.prune()?;
        Ok(target)
    }
}

impl Drop for Save<'_> {
    fn drop(&mut self) {
        if !self.committed && self.owner.comm.rank() == 0 {
            let _ = std::fs::remove_dir_all(&self.tmp);
        }
    }
}

/// Whether `name` is a safe file name stem for an array.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Writes `bytes` to a new file at `path` and syncs it.
fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = std::fs::File::create(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}
