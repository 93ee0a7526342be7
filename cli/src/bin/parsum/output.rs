//! The `--output` file: checked on every rank before any work, written atomically at the end.

use std::path::{Path, PathBuf};

use mpikit::mpi::traits::*;

/// Rank 0's output file in the making: written to a temporary file beside it, renamed over
/// it when complete, removed if the run fails.
pub struct Output {
    pub path: PathBuf,
    tmp: PathBuf,
}

impl Output {
    pub fn commit(self, json: &str) -> std::io::Result<()> {
        std::fs::write(&self.tmp, format!("{json}\n"))?;
        std::fs::File::open(&self.tmp)?.sync_all()?;
        std::fs::rename(&self.tmp, &self.path)
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.tmp);
    }
}

/// Checks on rank 0, before any work, that `--output` can be written, and agrees on the
/// answer with every rank, so a bad path fails fast and everywhere.
pub fn prepare<C: mpikit::runtime::Comm + ?Sized>(
    comm: &C,
    path: Option<&Path>,
) -> Result<Option<Output>, mpikit::Error> {
    let Some(path) = path else { return Ok(None) };
    let comm = mpikit::runtime::Comm::as_comm(comm);
    let local = if comm.rank() == 0 {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
        if name.is_empty() || path.is_dir() {
            Err(mpikit::Error::input(format!(
                "--output {}: not a file name",
                path.display()
            )))
        } else {
            std::fs::File::create(&tmp)
                .map(|_| {
                    Some(Output {
                        path: path.to_path_buf(),
                        tmp,
                    })
                })
                .map_err(|e| mpikit::Error::input(format!("--output {}: {e}", path.display())))
        }
    } else {
        Ok(None)
    };
    mpikit::runtime::agree(comm, local)
}
