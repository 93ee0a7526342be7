//! numpy `.npz` archives (`np.savez`, `np.savez_compressed`): a zip of `.npy` members. A
//! stored (uncompressed) member's bytes lie in the archive as they are, so its array is read
//! like an `.npy` file, by position, every rank its own slice; a deflated member is inflated
//! from its start ([`Inflater`]). The zip directory is read with the `zip` crate.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use crate::data::inflate::{InflatedMember, Inflater, Member};
use crate::data::npy::FileLayout;
use crate::data::source::{DataFile, ReadAt};
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

/// Finds array `member` of the archive at `path` (its only array when `None`); a member of
/// another method than stored or deflate is refused with a line.
pub(crate) fn member(path: &Path, member: Option<&str>) -> Result<Member> {
    let name = path.display();
    let (file, _) = crate::data::npy::open(path)?;
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
    let what = format!("{name}:{}", arrays[index]);
    let entry = zip
        .by_index_raw(index)
        .map_err(|e| Error::input(format!("{what}: {e}")))?;
    let deflated = match entry.compression() {
        zip::CompressionMethod::Stored => false,
        m if m == zip::CompressionMethod::DEFLATE => true,
        m => {
            return Err(Error::input(format!(
                "{what}: the member is compressed with {m}; stored (np.savez) and deflated \
                 (np.savez_compressed) members are read"
            )))
        }
    };
    Ok(Member {
        deflated,
        data_start: entry.data_start(),
        stored_size: entry.compressed_size(),
        size: entry.size(),
        crc: entry.crc32(),
        what,
    })
}

impl FileLayout {
    /// The layout of array `member` of the `.npz` archive at `path` (its only array when
    /// `member` is `None`), checked against the member's size. A stored member's (`np.savez`)
    /// offsets are in the archive itself, so it is read like an `.npy` file; a deflated
    /// member's (`np.savez_compressed`) are in the inflated member, read through
    /// [`DataFile::npz`](crate::io::DataFile::npz) (which reads stored members too).
    ///
    /// # Examples
    /// ```no_run
    /// let layout = mpikit::io::FileLayout::npz("run.npz".as_ref(), Some("pressure"))?;
    /// println!("{} {} values", layout.dtype, layout.len);
    /// # Ok::<(), mpikit::Error>(())
    /// ```
    pub fn npz(path: &Path, member: Option<&str>) -> Result<FileLayout> {
        let m = self::member(path, member)?;
        FileLayout::npz_member(path, &m)
    }

    /// The layout of a member found by [`member`].
    pub(crate) fn npz_member(path: &Path, m: &Member) -> Result<FileLayout> {
        let what = &m.what;
        if m.deflated {
            let mut reader =
                Inflater::open(path, m).map_err(|e| Error::input(format!("{what}: {e}")))?;
            return FileLayout::npy_from(&mut reader, what, m.size);
        }
        let (mut file, size) = crate::data::npy::open(path)?;
        file.seek(SeekFrom::Start(m.data_start))
            .map_err(|e| Error::input(format!("{what}: {e}")))?;
        let mut layout = FileLayout::npy_from(&mut file.take(m.size), what, m.size)?;
        layout.offset += m.data_start;
        layout.file_size = size;
        Ok(layout)
    }
}

impl<'a> DataFile<'a> {
    /// Array `member` of the `.npz` archive at `path` (its only array when `None`), as
    /// [`FileLayout::npz`] describes it: a stored member is the archive itself, read by
    /// position; a deflated one is inflated in order from its start
    /// ([`ReadAt::sequential`]), each read continuing where the last one stopped.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::io::{DataFile, FileLayout, FileSummary};
    /// use mpikit::stats::{Spec, Stat};
    /// mpikit::run(|world| {
    ///     let path = std::path::Path::new("run.npz"); // np.savez_compressed(..., pressure=p)
    ///     let layout = FileLayout::npz(path, Some("pressure"))?;
    ///     let file = DataFile::npz(path, Some("pressure"));
    ///     let spec = Spec::new(Stat::Sum);
    ///     let mine = FileSummary::new(file, &layout, spec).run(world, world.pool())?;
    ///     println!("sum {}", mine[0].combine(world)?.result(&spec)?);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn npz(path: &Path, member: Option<&str>) -> DataFile<'a> {
        let owned = path.to_path_buf();
        let array = member.map(str::to_string);
        let name = match member {
            Some(m) => format!("{}:{m}", path.display()),
            None => path.display().to_string(),
        };
        DataFile::with(name, move || {
            let m = self::member(&owned, array.as_deref())
                .map_err(|e| std::io::Error::other(e.to_string()))?;
            Ok(if m.deflated {
                Box::new(InflatedMember::new(&owned, m)) as Box<dyn ReadAt>
            } else {
                Box::new(File::open(&owned)?)
            })
        })
    }
}

fn list(names: &[String]) -> String {
    if names.is_empty() {
        return "no arrays".into();
    }
    names.join(", ")
}
