//! Checkpoint and restart: a named set of DistArrays and the program's state (any serde
//! value: step, parameters, RNG position) saved into a folder, atomically, and restored on
//! any rank count and grid.
//!
//! Each checkpoint is a folder `DIR/step-NNNNNNNNNNNN` holding one `.npy` file per array
//! (numpy reads them as they are), `state.bin` (bincode) and `manifest.txt` (program, step,
//! shapes, types, the grid saved from, byte counts and CRC-32s). A save writes into a
//! temporary folder beside them, syncs every file and the folder, and renames it into place
//! last: a job killed at any moment of a save leaves the earlier checkpoints as they were
//! and a temporary folder that the next save removes. The last `keep` checkpoints stay
//! (two unless [`Checkpoints::keep`] says otherwise).
//!
//! A restore checks the manifest (this program's, complete) and every file's size and
//! checksums before reading, then each rank reads only its own block of each array onto
//! the grid it asks for, so a job saved on 8 ranks restarts on 3. [`stop_requested`] tells
//! every rank at once that a rank got `SIGUSR1` or `SIGTERM` (Slurm's
//! `--signal=B:USR1@120`, or a scheduler ending the job), so the program can save and stop.
//!
//! Every call is collective and returns the same `Err` on every rank.
//!
//! ```no_run
//! use mpikit::checkpoint::{stop_requested, Checkpoints};
//! use mpikit::{ndarray::Ix2, DistArray, Grid};
//!
//! #[derive(serde::Serialize, serde::Deserialize)]
//! struct State { step: u64, nu: f64 }
//!
//! mpikit::run(|world| {
//!     let size = world.size() as usize;
//!     let grid = |shape: &[usize]| Grid::balanced(shape, size, &[0, 1]);
//!     let ckpt = Checkpoints::new(world, "ckpt".as_ref(), "diffusion")?.keep(3);
//!     // Resume from the latest checkpoint if there is one (saved on any rank count).
//!     let (mut u, mut state) = match ckpt.latest()? {
//!         Some(step) => {
//!             let saved = ckpt.restore(step)?;
//!             (saved.array::<f64, Ix2>("u", grid)?, saved.state::<State>()?)
//!         }
//!         None => (DistArray::zeros(world, grid(&[512, 512])?)?, State { step: 0, nu: 0.1 }),
//!     };
//!     while state.step < 1000 {
//!         u = u.map(|x| x + state.nu); // one step of the model
//!         state.step += 1;
//!         let stop = stop_requested(world)?;
//!         if state.step % 100 == 0 || stop {
//!             let mut save = ckpt.save(state.step)?;
//!             save.array("u", &u)?;
//!             save.state(&state)?;
//!             save.commit()?;
//!         }
//!         if stop {
//!             break;
//!         }
//!     }
//!     Ok::<(), mpikit::Error>(())
//! });
//! ```

mod manifest;
mod restore;
mod save;
mod signal;

use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

use mpi::topology::{Communicator, SimpleCommunicator};

use crate::collective::object::ObjectCollectives;
use crate::error::{Error, Result};
use crate::runtime::agree::agree_on;
use crate::runtime::world::Comm;

pub use restore::Restore;
pub use save::Save;
pub use signal::stop_requested;

/// The checkpoints of one program in one folder: [`save`](Checkpoints::save) a new one,
/// find the [`latest`](Checkpoints::latest), [`restore`](Checkpoints::restore) one.
pub struct Checkpoints {
    pub(crate) comm: Rc<SimpleCommunicator>,
    pub(crate) pool: Arc<rayon::ThreadPool>,
    pub(crate) dir: PathBuf,
    pub(crate) program: String,
    pub(crate) keep: usize,
}

/// The folder of checkpoint `step` in `dir`.
pub(crate) fn step_dir(dir: &Path, step: u64) -> PathBuf {
    dir.join(format!("step-{step:012}"))
}

impl Checkpoints {
    /// The checkpoints of `program` (a name without spaces, recorded in every manifest and
    /// checked on restore) in folder `dir`, created if missing. Collective.
    pub fn new(comm: &(impl Comm + ?Sized), dir: &Path, program: &str) -> Result<Checkpoints> {
        let (comm, pool) = crate::DistArray::<u8, ndarray::Ix1>::setup(comm)?;
        let made = if program.is_empty() || program.contains(char::is_whitespace) {
            Err(Error::input(format!(
                "checkpoint program name {program:?}: one word, no spaces"
            )))
        } else if comm.rank() == 0 {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::input(format!("checkpoint folder {}: {e}", dir.display())))
        } else {
            Ok(())
        };
        agree_on(&*comm, made)?;
        Ok(Checkpoints {
            comm,
            pool,
            dir: dir.to_path_buf(),
            program: program.to_string(),
            keep: 2,
        })
    }

    /// Keeps the last `keep` checkpoints (at least 1) and removes older ones after each save.
    pub fn keep(mut self, keep: usize) -> Checkpoints {
        self.keep = keep.max(1);
        self
    }

    /// The steps of the complete checkpoints in the folder, oldest first. Collective.
    pub fn steps(&self) -> Result<Vec<u64>> {
        let local = if self.comm.rank() == 0 {
            complete_steps(&self.dir)
                .map(Some)
                .map_err(|e| Error::input(format!("checkpoint folder {}: {e}", self.dir.display())))
        } else {
            Ok(None)
        };
        let steps = agree_on(&*self.comm, local)?;
        self.comm.broadcast_object(0, steps.as_ref())
    }

    /// The step of the latest complete checkpoint, if any. Collective.
    pub fn latest(&self) -> Result<Option<u64>> {
        Ok(self.steps()?.last().copied())
    }

    /// Starts saving checkpoint `step`. Collective.
    pub fn save(&self, step: u64) -> Result<Save<'_>> {
        let pid = self
            .comm
            .broadcast_object(0, (self.comm.rank() == 0).then_some(&std::process::id()))?;
        let tmp = self.dir.join(format!(".step-{step:012}.tmp-{pid}"));
        let made = if self.comm.rank() == 0 {
            let _ = std::fs::remove_dir_all(&tmp);
            std::fs::create_dir(&tmp)
                .map_err(|e| Error::input(format!("checkpoint folder {}: {e}", tmp.display())))
        } else {
            Ok(())
        };
        agree_on(&*self.comm, made)?;
        Ok(Save {
            owner: self,
            tmp,
            manifest: manifest::Manifest {
                program: self.program.clone(),
                step,
                ranks: self.comm.size() as usize,
                ..Default::default()
            },
            committed: false,
        })
    }

    /// Opens checkpoint `step` for reading, after checking its manifest and the size and
    /// checksums of every file. Collective.
    pub fn restore(&self, step: u64) -> Result<Restore<'_>> {
        let steps = self.steps()?;
        if !steps.contains(&step) {
            let have = if steps.is_empty() {
                "none".to_string()
            } else {
                steps
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            return Err(Error::input(format!(
                "{}: no checkpoint of step {step} (complete checkpoints: {have})",
                self.dir.display()
            )));
        }
        Restore::open(self, step)
    }

    /// Removes the oldest complete checkpoints beyond `keep`, and folders that killed saves
    /// left behind (rank 0). Collective.
    pub(crate) fn prune(&self) -> Result<()> {
        let local = if self.comm.rank() == 0 {
            (|| -> std::io::Result<()> {
                let steps = complete_steps(&self.dir)?;
                let old = steps.len().saturating_sub(self.keep);
                for &step in &steps[..old] {
                    // Renamed first, so a kill while removing never leaves half a checkpoint
                    // that looks complete.
                    let doomed = self.dir.join(format!(".step-{step:012}.old"));
                    std::fs::rename(step_dir(&self.dir, step), &doomed)?;
                    std::fs::remove_dir_all(&doomed)?;
                }
                for entry in std::fs::read_dir(&self.dir)? {
                    let name = entry?.file_name().to_string_lossy().into_owned();
                    if name.starts_with(".step-")
                        && (name.contains(".tmp-") || name.ends_with(".old"))
                    {
                        std::fs::remove_dir_all(self.dir.join(&name))?;
                    }
                }
                Ok(())
            })()
            .map_err(|e| Error::input(format!("checkpoint folder {}: {e}", self.dir.display())))
        } else {
            Ok(())
        };
        agree_on(&*self.comm, local)
    }
}

/// The steps of the folders `step-N` in `dir` that hold a manifest, in order.
fn complete_steps(dir: &Path) -> std::io::Result<Vec<u64>> {
    let mut steps = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(step) = name
            .strip_prefix("step-")
            .and_then(|s| s.parse::<u64>().ok())
        {
            if entry.path().join("manifest.txt").is_file() {
                steps.push(step);
            }
        }
    }
    steps.sort_unstable();
    Ok(steps)
}
