//! Data files: numpy `.npy` headers (parsed by the `npyz` crate) and raw binary layouts,
//! checked against the file's size before anything is read, and decoding of their bytes.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::data::dtype::{ByteOrder, Dtype};
use crate::error::{Error, Result};

/// Reads until `buf` is full or the reader ends; the bytes read.
fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match reader.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// A reader that counts the bytes it hands out (the header's length).
struct Counted<R> {
    inner: R,
    read: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

/// Where an array lives in a file and how to read it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileLayout {
    /// Element type.
    pub dtype: Dtype,
    /// Element byte order.
    pub order: ByteOrder,
    /// Array shape (one axis for raw files).
    pub shape: Vec<u64>,
    /// Column-major (`fortran_order`) data.
    pub fortran: bool,
    /// Byte offset of the first element.
    pub offset: u64,
    /// Number of elements.
    pub len: u64,
    /// The file's size in bytes when it was checked.
    pub file_size: u64,
}

const MAGIC: &[u8] = b"\x93NUMPY";

/// Opens the regular file at `path` for reading, with its size; a directory, FIFO, device
/// or socket is refused with one line before anything is opened (a FIFO would block).
///
/// # Examples
/// ```
/// let path = std::env::temp_dir().join("mpikit-doc-open.bin");
/// std::fs::write(&path, [0u8; 16]).unwrap();
/// let (_file, size) = mpikit::io::open_file(&path)?;
/// assert_eq!(size, 16);
/// assert!(mpikit::io::open_file(&std::env::temp_dir()).is_err()); // a directory: one clear line
/// # std::fs::remove_file(&path).unwrap();
/// # Ok::<(), mpikit::Error>(())
/// ```
pub fn open(path: &Path) -> Result<(File, u64)> {
    let name = path.display();
    let meta = std::fs::metadata(path).map_err(|e| Error::input(format!("{name}: {e}")))?;
    if meta.is_dir() {
        return Err(Error::input(format!("{name}: is a directory, not a file")));
    }
    if !meta.is_file() {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        let what = if t.is_fifo() {
            "a FIFO (named pipe)"
        } else if t.is_char_device() || t.is_block_device() {
            "a device"
        } else if t.is_socket() {
            "a socket"
        } else {
            "not a regular file"
        };
        // Checked before opening: opening a FIFO would block until a writer came.
        return Err(Error::input(format!(
            "{name}: is {what}; parsum reads regular files (by position, in parallel): \
             save the data to a file first"
        )));
    }
    let file = File::open(path).map_err(|e| Error::input(format!("{name}: {e}")))?;
    Ok((file, meta.len()))
}

impl FileLayout {
    /// Reads and checks the header of the `.npy` file at `path`.
    ///
    /// # Examples
    /// ```
    /// use mpikit::io::{ByteOrder, Dtype, FileLayout};
    /// let path = std::env::temp_dir().join("mpikit-doc-layout.npy");
    /// let mut bytes = FileLayout::npy_header(Dtype::F32, ByteOrder::Little, 3)?;
    /// bytes.extend([1.0f32, 2.0, 3.0].iter().flat_map(|x| x.to_le_bytes()));
    /// std::fs::write(&path, bytes).unwrap();
    /// let layout = FileLayout::npy(&path)?;
    /// assert_eq!((layout.dtype, layout.len, layout.shape.clone()), (Dtype::F32, 3, vec![3]));
    /// # std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), mpikit::Error>(())
    /// ```
    pub fn npy(path: &Path) -> Result<FileLayout> {
        let (mut file, size) = open(path)?;
        FileLayout::npy_from(&mut file, &path.display().to_string(), size)
    }

    /// Reads and checks an `.npy` header from `reader`, which holds `size` bytes of `.npy`
    /// data (a file, or an archive member); offsets are from the reader's start.
    pub(crate) fn npy_from(reader: &mut impl Read, name: &str, size: u64) -> Result<FileLayout> {
        if size == 0 {
            return Err(Error::input(format!(
                "{name}: empty file (not an npy file)"
            )));
        }
        let mut magic = [0u8; 6];
        let got =
            read_up_to(reader, &mut magic).map_err(|e| Error::input(format!("{name}: {e}")))?;
        if got < 6 || magic != MAGIC {
            return Err(Error::input(format!(
                "{name}: not an npy file (no \\x93NUMPY magic; for raw binary data give --dtype)"
            )));
        }
        let mut counted = Counted {
            inner: (&magic[..]).chain(reader),
            read: 0,
        };
        let header = npyz::NpyHeader::from_reader(&mut counted)
            .map_err(|e| Error::input(format!("{name}: not a valid npy header: {e}")))?;
        let offset = counted.read;
        let npy = npyz::NpyFile::with_header(header, std::io::empty());
        let (dtype, order) = match npy.dtype() {
            npyz::DType::Plain(ts) => Dtype::from_type_str(&ts).ok_or_else(|| {
                Error::input(format!(
                    "{name}: unsupported dtype '{ts}' (parsum reads numbers: f64 f32 f16 i64 \
                     i32 i16 i8 u64 u32 u16 u8 bool c64 c128, in either byte order)"
                ))
            })?,
            other => {
                return Err(Error::input(format!(
                    "{name}: unsupported dtype {} (a record or array type; parsum reads \
                     plain numbers)",
                    other.descr()
                )))
            }
        };
        let shape = npy.shape().to_vec();
        let len = npy.len();
        let fortran = npy.order() == npyz::Order::Fortran;
        let layout = FileLayout {
            dtype,
            order,
            shape,
            fortran,
            offset,
            len,
            file_size: size,
        };
        let need = len
            .checked_mul(dtype.size() as u64)
            .and_then(|b| b.checked_add(offset))
            .ok_or_else(|| Error::input(format!("{name}: the header's shape is too large")))?;
        if size < need {
            return Err(Error::input(format!(
                "{name}: truncated: the header describes {len} {dtype} values ({} bytes of \
                 data) but only {} bytes follow the header",
                need - offset,
                size - offset
            )));
        }
        Ok(layout)
    }

    /// The layout of a raw binary file of `dtype` values starting at byte `offset`.
    ///
    /// # Examples
    /// ```
    /// use mpikit::io::{ByteOrder, Dtype, FileLayout};
    /// let path = std::env::temp_dir().join("mpikit-doc-layout.raw");
    /// std::fs::write(&path, [0u8; 4 + 8 * 10]).unwrap(); // a 4-byte header, then 10 f64s
    /// let layout = FileLayout::raw(&path, Dtype::F64, ByteOrder::Little, 4)?;
    /// assert_eq!((layout.len, layout.offset), (10, 4));
    /// # std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), mpikit::Error>(())
    /// ```
    pub fn raw(path: &Path, dtype: Dtype, order: ByteOrder, offset: u64) -> Result<FileLayout> {
        let name = path.display();
        let (_, size) = open(path)?;
        if size == 0 {
            return Err(Error::input(format!("{name}: empty file")));
        }
        if offset > size {
            return Err(Error::input(format!(
                "{name}: --offset {offset} is past the end of the file ({size} bytes)"
            )));
        }
        let bytes = size - offset;
        let width = dtype.size() as u64;
        if bytes % width != 0 {
            return Err(Error::input(format!(
                "{name}: {bytes} bytes after offset {offset} are not a whole number of {dtype} \
                 values ({width} bytes each); wrong --dtype or --offset?"
            )));
        }
        Ok(FileLayout {
            dtype,
            order,
            shape: vec![bytes / width],
            fortran: false,
            offset,
            len: bytes / width,
            file_size: size,
        })
    }

    /// The header bytes of a C-order `.npy` file of `len` elements of `dtype` in `order`.
    ///
    /// # Examples
    /// ```
    /// use mpikit::io::{ByteOrder, Dtype, FileLayout};
    /// let header = FileLayout::npy_header(Dtype::I16, ByteOrder::Little, 100)?;
    /// assert!(header.starts_with(b"\x93NUMPY") && header.len() % 64 == 0);
    /// # Ok::<(), mpikit::Error>(())
    /// ```
    pub fn npy_header(dtype: Dtype, order: ByteOrder, len: u64) -> Result<Vec<u8>> {
        let descr = dtype.descr(order);
        let header = |len| -> std::io::Result<Vec<u8>> {
            let ts: npyz::TypeStr = descr.parse().map_err(std::io::Error::other)?;
            match dtype {
                Dtype::F64 => header::<f64>(len, ts),
                Dtype::F32 => header::<f32>(len, ts),
                Dtype::F16 => header::<half::f16>(len, ts),
                Dtype::I64 => header::<i64>(len, ts),
                Dtype::I32 => header::<i32>(len, ts),
                Dtype::I16 => header::<i16>(len, ts),
                Dtype::I8 => header::<i8>(len, ts),
                Dtype::U64 => header::<u64>(len, ts),
                Dtype::U32 => header::<u32>(len, ts),
                Dtype::U16 => header::<u16>(len, ts),
                Dtype::U8 => header::<u8>(len, ts),
                Dtype::Bool => header::<bool>(len, ts),
                Dtype::C64 => header::<num_complex::Complex<f32>>(len, ts),
                Dtype::C128 => header::<num_complex::Complex<f64>>(len, ts),
            }
        };
        fn header<T: npyz::Serialize>(len: u64, ts: npyz::TypeStr) -> std::io::Result<Vec<u8>> {
            use npyz::WriterBuilder;
            let mut bytes = Vec::new();
            let writer = npyz::WriteOptions::<T>::new()
                .dtype(npyz::DType::Plain(ts))
                .shape(&[len])
                .writer(&mut bytes)
                .begin_nd()?;
            // Dropped without data: the header alone stays (the complaint about the missing
            // data is ignored on drop).
            drop(writer);
            Ok(bytes)
        }
        header(len).map_err(|e| Error::input(format!("cannot build an npy header: {e}")))
    }
}

/// Decodes `bytes` of float `dtype` in `order` into `f64`s — `out` is resized. Complex
/// values become their parts, interleaved: real, imaginary, real, ...
pub(crate) fn decode_floats(dtype: Dtype, order: ByteOrder, bytes: &[u8], out: &mut Vec<f64>) {
    let swap = order != ByteOrder::native();
    out.clear();
    match dtype {
        Dtype::F64 | Dtype::C128 => out.extend(bytes.chunks_exact(8).map(|b| {
            let a: [u8; 8] = b.try_into().expect("8 bytes");
            let v = u64::from_ne_bytes(a);
            f64::from_bits(if swap { v.swap_bytes() } else { v })
        })),
        Dtype::F32 | Dtype::C64 => out.extend(bytes.chunks_exact(4).map(|b| {
            let a: [u8; 4] = b.try_into().expect("4 bytes");
            let v = u32::from_ne_bytes(a);
            f64::from(f32::from_bits(if swap { v.swap_bytes() } else { v }))
        })),
        Dtype::F16 => out.extend(bytes.chunks_exact(2).map(|b| {
            let a: [u8; 2] = b.try_into().expect("2 bytes");
            let v = u16::from_ne_bytes(a);
            half::f16::from_bits(if swap { v.swap_bytes() } else { v }).to_f64()
        })),
        _ => panic!("decode_floats of {dtype}"),
    }
}

/// Decodes `bytes` of integer (or bool) `dtype` in `order` into `i128`s — `out` is resized.
/// A bool byte other than 0 counts as true (1).
pub(crate) fn decode_ints(dtype: Dtype, order: ByteOrder, bytes: &[u8], out: &mut Vec<i128>) {
    let big = order == ByteOrder::Big;
    macro_rules! ints {
        ($t:ty, $n:expr) => {
            out.extend(bytes.chunks_exact($n).map(|b| {
                let a: [u8; $n] = b.try_into().expect("element bytes");
                i128::from(if big {
                    <$t>::from_be_bytes(a)
                } else {
                    <$t>::from_le_bytes(a)
                })
            }))
        };
    }
    out.clear();
    match dtype {
        Dtype::I64 => ints!(i64, 8),
        Dtype::I32 => ints!(i32, 4),
        Dtype::I16 => ints!(i16, 2),
        Dtype::U64 => ints!(u64, 8),
        Dtype::U32 => ints!(u32, 4),
        Dtype::U16 => ints!(u16, 2),
        Dtype::I8 => out.extend(bytes.iter().map(|&b| i128::from(b as i8))),
        Dtype::U8 => out.extend(bytes.iter().map(|&b| i128::from(b))),
        Dtype::Bool => out.extend(bytes.iter().map(|&b| i128::from(b != 0))),
        _ => panic!("decode_ints of {dtype}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_both_orders() {
        let v = [1.5f64, -2.25];
        let le: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
        let be: Vec<u8> = v.iter().flat_map(|x| x.to_be_bytes()).collect();
        let mut out = Vec::new();
        decode_floats(Dtype::F64, ByteOrder::Little, &le, &mut out);
        assert_eq!(out, v);
        decode_floats(Dtype::F64, ByteOrder::Big, &be, &mut out);
        assert_eq!(out, v);
        let w = [-7i32, 1 << 30];
        let be: Vec<u8> = w.iter().flat_map(|x| x.to_be_bytes()).collect();
        let mut ints = Vec::new();
        decode_ints(Dtype::I32, ByteOrder::Big, &be, &mut ints);
        assert_eq!(ints, [-7, 1 << 30]);
    }

    #[test]
    fn header_round_trip() {
        let dir = std::env::temp_dir().join(format!("mpikit-npy-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.npy");
        let mut bytes = FileLayout::npy_header(Dtype::I32, ByteOrder::native(), 5).unwrap();
        assert_eq!(bytes.len() % 64, 0, "numpy aligns the data to 64 bytes");
        let header_len = bytes.len() as u64;
        bytes.extend((0..5i32).flat_map(|x| x.to_ne_bytes()));
        std::fs::write(&path, &bytes).unwrap();
        let l = FileLayout::npy(&path).unwrap();
        assert_eq!((l.dtype, l.len, l.offset), (Dtype::I32, 5, header_len));
        std::fs::write(&path, &bytes[..bytes.len() - 1]).unwrap();
        let err = FileLayout::npy(&path).unwrap_err().to_string();
        assert!(err.contains("truncated"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
