//! numpy `.npz` archives (`np.savez`): a zip of `.npy` members. A stored (uncompressed)
//! member's bytes lie in the archive as they are, so its array is read like an `.npy` file,
//! by position, every rank its own slice; the zip directory is read with the `zip` crate.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use crate::data::npy::FileLayout;
use crate::error::{Error, Result};

/// Whether `path` is a regular file that starts like a zip archive (`PK\x03\x04`, or an
/// empty archive's `PK\x05\x06`).
///
/// # Examples
/// ```
/// let path = std::env::temp_dir().join("mpikit-doc-zip.npz");
/// std::fs::write(&path, b"PK\x05\x06").unwrap();
/// assert!(mpikit::io::is_zip(&path));
/// # std::fs::remove_file(&path).unwrap();
/// ```
pub fn is_zip(path: &Path) -> bool {
    // Only regular files are opened: opening a FIFO would block.
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return false;
    }
    let mut magic = [0u8; 4];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && (magic == *b"PK\x03\x04" || magic == *b"PK\x05\x06")
}

impl FileLayout {
    /// The layout of array `member` of the `.npz` archive at `path` (its only array when
    /// `member` is `None`): where the member's data starts in the archive, checked against
    /// the member's size. A compressed member (`np.savez_compressed`) is refused with a line
    /// that says how to read it.
    ///
    /// # Examples
    /// ```no_run
    /// let layout = mpikit::io::FileLayout::npz("run.npz".as_ref(), Some("pressure"))?;
    /// println!("{} {} values", layout.dtype, layout.len);
    /// # Ok::<(), mpikit::Error>(())
    /// ```
    pub fn npz(path: &Path, member: Option<&str>) -> Result<FileLayout> {
        let name = path.display();
        let (file, size) = crate::data::npy::open(path)?;
        let mut zip = zip::ZipArchive::new(file)
            .map_err(|e| Error::input(format!("{name}: not a valid .npz (zip) archive: {e}")))?;
        let arrays: Vec<String> = zip
            .file_names()
            .map(|n| n.strip_suffix(".npy").unwrap_or(n).to_string())
            .collect();
        let index = match member {
            Some(m) => arrays.iter().position(|a| a == m).ok_or_else(|| {
                Error::input(format!(
                    "{name}: no array {m:?} in the archive (it holds {})",
                    list(&arrays)
                ))
            })?,
            None if arrays.len() == 1 => 0,
            None => {
                return Err(Error::input(format!(
                    "{name}: the archive holds {} arrays ({}); name one as {name}:NAME",
                    arrays.len(),
                    list(&arrays)
                )))
            }
        };
        let array = &arrays[index];
        let entry = zip
            .by_index_raw(index)
            .map_err(|e| Error::input(format!("{name}:{array}: {e}")))?;
        if entry.compression() != zip::CompressionMethod::Stored {
            let method = match entry.compression() {
                m if m == zip::CompressionMethod::DEFLATE => "deflate".to_string(),
                m => m.to_string(),
            };
            return Err(Error::input(format!(
                "{name}:{array}: the member is compressed ({method}, as np.savez_compressed \
                 writes); parsum reads stored members (np.savez) by position: save it with \
                 np.savez or np.save"
            )));
        }
        let start = entry.data_start();
        let len = entry.size();
        drop(entry);
        let mut file = zip.into_inner();
        file.seek(SeekFrom::Start(start))
            .map_err(|e| Error::input(format!("{name}:{array}: {e}")))?;
        let what = format!("{name}:{array}");
        let mut layout = FileLayout::npy_from(&mut file.take(len), &what, len)?;
        layout.offset += start;
        layout.file_size = size;
        Ok(layout)
    }
}

fn list(names: &[String]) -> String {
    if names.is_empty() {
        return "no arrays".into();
    }
    names.join(", ")
}
