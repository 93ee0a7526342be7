//! Where a data file's bytes come from. The readers ([`FileSummary`](crate::io::FileSummary),
//! [`FilePasses`](crate::io::FilePasses)) ask for bytes at positions; a plain file answers with
//! positioned reads (`pread`), and a format whose values are not laid out plainly in the
//! file (an HDF5 chunked or compressed dataset, say) answers through its own library,
//! decoding on the fly, as long as it hands back the bytes its [`FileLayout`] describes.
//!
//! [`FileLayout`]: crate::io::FileLayout

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Positioned reads of a data file's bytes, from any thread.
///
/// # Examples
/// A source of bytes in memory (a test, or data decoded by another library):
/// ```
/// struct Bytes(Vec<u8>);
///
/// impl mpikit::io::ReadAt for Bytes {
///     fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
///         let at = offset as usize;
///         let piece = self.0.get(at..at + buf.len()).ok_or_else(|| {
///             std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "past the end")
///         })?;
///         buf.copy_from_slice(piece);
///         Ok(())
///     }
/// }
/// let mut two = [0u8; 2];
/// mpikit::io::ReadAt::read_exact_at(&Bytes(vec![1, 2, 3]), &mut two, 1)?;
/// assert_eq!(two, [2, 3]);
/// # Ok::<(), std::io::Error>(())
/// ```
pub trait ReadAt: Sync {
    /// Fills `buf` with the bytes that start at `offset`; an error if there are fewer.
    ///
    /// # Examples
    /// ```
    /// use mpikit::io::ReadAt;
    /// // Any source of bytes by offset: here a buffer in memory.
    /// struct Bytes(Vec<u8>);
    /// impl ReadAt for Bytes {
    ///     fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    ///         let at = offset as usize;
    ///         let src = self.0.get(at..at + buf.len()).ok_or(std::io::ErrorKind::UnexpectedEof)?;
    ///         buf.copy_from_slice(src);
    ///         Ok(())
    ///     }
    /// }
    /// let mut two = [0u8; 2];
    /// Bytes(vec![1, 2, 3, 4]).read_exact_at(&mut two, 1).unwrap();
    /// assert_eq!(two, [2, 3]);
    /// ```
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<()>;

    /// Whether reads cost least in order from the start (an inflated stream): the readers
    /// then read this rank's slice in order from one thread instead of in pieces from
    /// several. `false` by default.
    ///
    /// # Examples
    /// ```
    /// use mpikit::io::ReadAt;
    /// let file = std::fs::File::open("Cargo.toml").unwrap();
    /// assert!(!file.sequential()); // a plain file reads anywhere at the same cost
    /// ```
    fn sequential(&self) -> bool {
        false
    }
}

impl ReadAt for File {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
        FileExt::read_exact_at(self, buf, offset)
    }
}

/// How each rank opens its [`ReadAt`].
type Opener<'a> = dyn Fn() -> std::io::Result<Box<dyn ReadAt + 'a>> + Sync + 'a;

/// A data file as the readers see it: a name for messages, and how a rank opens it (a
/// plain file by default; [`DataFile::with`] for a reader of one's own). A `&Path` converts
/// into one, so `FileSummary::new(path, ...)` reads a plain file.
///
/// # Examples
/// ```no_run
/// use mpikit::io::{DataFile, FileLayout, FileSummary};
/// use mpikit::stats::{Spec, Stat};
///
/// mpikit::run(|world| {
///     let path = std::path::Path::new("x.npy");
///     let layout = FileLayout::npy(path)?;
///     // The same as passing `path`: every rank opens the file itself.
///     let file = DataFile::with("x.npy", || Ok(Box::new(std::fs::File::open(path)?)));
///     let parts = FileSummary::new(file, &layout, Spec::new(Stat::Sum)).run(world, world.pool())?;
///     println!("{} summaries", parts.len());
///     Ok::<(), mpikit::Error>(())
/// });
/// ```
pub struct DataFile<'a> {
    name: String,
    open: Box<Opener<'a>>,
}

impl<'a> DataFile<'a> {
    /// A file named `name` (in messages), opened on a rank by `open`.
    ///
    /// # Examples
    /// ```
    /// use mpikit::io::{DataFile, ReadAt};
    /// use std::sync::Arc;
    /// // A file whose bytes come from a reader of one's own (a decoder, an archive member, ...).
    /// let bytes: Arc<Vec<u8>> = Arc::new(vec![0; 64]);
    /// let file = DataFile::with("in-memory", move || {
    ///     struct Mem(Arc<Vec<u8>>);
    ///     impl ReadAt for Mem {
    ///         fn read_exact_at(&self, buf: &mut [u8], at: u64) -> std::io::Result<()> {
    ///             buf.copy_from_slice(&self.0[at as usize..at as usize + buf.len()]);
    ///             Ok(())
    ///         }
    ///     }
    ///     Ok(Box::new(Mem(bytes.clone())) as Box<dyn ReadAt>)
    /// });
    /// assert_eq!(file.name(), "in-memory");
    /// ```
    pub fn with(
        name: impl Into<String>,
        open: impl Fn() -> std::io::Result<Box<dyn ReadAt + 'a>> + Sync + 'a,
    ) -> DataFile<'a> {
        DataFile {
            name: name.into(),
            open: Box::new(open),
        }
    }

    /// The plain file at `path`, read with positioned reads.
    ///
    /// # Examples
    /// ```
    /// let file = mpikit::io::DataFile::path(std::path::Path::new("data.npy"));
    /// assert_eq!(file.name(), "data.npy");
    /// ```
    pub fn path(path: &Path) -> DataFile<'a> {
        let owned: PathBuf = path.to_path_buf();
        DataFile::with(path.display().to_string(), move || {
            Ok(Box::new(File::open(&owned)?) as Box<dyn ReadAt>)
        })
    }

    /// The name given for messages.
    ///
    /// # Examples
    /// ```
    /// assert_eq!(mpikit::io::DataFile::path("x.raw".as_ref()).name(), "x.raw");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Opens it on this rank; an error names the file.
    pub(crate) fn open(&self) -> Result<Box<dyn ReadAt + 'a>> {
        (self.open)().map_err(|e| Error::input(format!("{}: {e}", self.name)))
    }
}

impl<'a> From<&Path> for DataFile<'a> {
    fn from(path: &Path) -> DataFile<'a> {
        DataFile::path(path)
    }
}

impl<'a> From<&PathBuf> for DataFile<'a> {
    fn from(path: &PathBuf) -> DataFile<'a> {
        DataFile::path(path)
    }
}
