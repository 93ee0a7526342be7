//! Matrix Market coordinate files (`.mtx`, NIST's text format scipy's `mmread` / `mmwrite`
//! use) read and written by every rank: reading, each rank parses an equal share of the
//! file's bytes (cut at line ends) and the entries travel to their rows' ranks; writing, each
//! rank writes its rows' text at its offset into a temporary file renamed once every rank
//! has written, so a failure leaves no file.

use std::fs::File;
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::Path;

use mpi::collective::CommunicatorCollectives;
use mpi::topology::Communicator;

use crate::collective::object::ObjectCollectives;
use crate::collective::op::ReduceOp;
use crate::collective::reduce::ArrayReductions;
use crate::distarray::Grid;
use crate::error::{Error, Result};
use crate::runtime::agree::agree_on;
use crate::runtime::world::Comm;
use crate::sparse::matrix::{SparseElement, SparseMatrix};

/// (row, column, value) entries.
type Triplets<T> = Vec<(usize, usize, T)>;

/// What the banner and size line of a coordinate file say.
struct Header {
    rows: usize,
    cols: usize,
    entries: usize,
    /// `real`, `integer`, `complex` or `pattern`.
    field: String,
    /// `general`, `symmetric`, `skew-symmetric` or `hermitian`.
    symmetry: String,
    /// Where the entry lines start.
    data_start: u64,
}

fn read_header(path: &Path) -> Result<Header> {
    let name = path.display();
    let bad = |what: String| Error::input(format!("{name}: {what}"));
    let file = File::open(path).map_err(|e| bad(e.to_string()))?;
    let mut reader = BufReader::new(file);
    let mut line = String::new();
    let mut at = reader
        .read_line(&mut line)
        .map_err(|e| bad(e.to_string()))? as u64;
    let banner: Vec<String> = line.split_whitespace().map(str::to_lowercase).collect();
    if banner.len() != 5 || banner[0] != "%%matrixmarket" || banner[1] != "matrix" {
        return Err(bad(
            "not a Matrix Market file (the first line must be \"%%MatrixMarket matrix coordinate FIELD SYMMETRY\")".into(),
        ));
    }
    if banner[2] != "coordinate" {
        return Err(bad(format!(
            "a Matrix Market {} file: only coordinate (sparse) files hold a SparseMatrix",
            banner[2]
        )));
    }
    let (field, symmetry) = (banner[3].clone(), banner[4].clone());
    if !["real", "integer", "complex", "pattern"].contains(&field.as_str()) {
        return Err(bad(format!("unknown field {field:?}")));
    }
    if !["general", "symmetric", "skew-symmetric", "hermitian"].contains(&symmetry.as_str()) {
        return Err(bad(format!("unknown symmetry {symmetry:?}")));
    }
    loop {
        line.clear();
        let n = reader
            .read_line(&mut line)
            .map_err(|e| bad(e.to_string()))?;
        if n == 0 {
            return Err(bad("no size line after the banner".into()));
        }
        at += n as u64;
        let t = line.trim();
        if t.is_empty() || t.starts_with('%') {
            continue;
        }
        let size: Vec<usize> = t
            .split_whitespace()
            .map(|w| w.parse::<usize>())
            .collect::<std::result::Result<_, _>>()
            .map_err(|_| bad(format!("bad size line {t:?}")))?;
        if size.len() != 3 {
            return Err(bad(format!(
                "bad size line {t:?} (want: rows columns entries)"
            )));
        }
        return Ok(Header {
            rows: size[0],
            cols: size[1],
            entries: size[2],
            field,
            symmetry,
            data_start: at,
        });
    }
}

/// The entries on the lines that start in `lo..hi` of the file (plus their mirrors), and how
/// many entry lines there were.
fn read_share<T: SparseElement>(
    path: &Path,
    h: &Header,
    lo: u64,
    hi: u64,
) -> Result<(Triplets<T>, usize)> {
    let name = path.display();
    let io = |e: std::io::Error| Error::input(format!("{name}: {e}"));
    let mut file = File::open(path).map_err(io)?;
    let mut start = lo;
    if lo > h.data_start {
        // A line that starts before `lo` belongs to the share before this one.
        file.seek(SeekFrom::Start(lo - 1)).map_err(io)?;
        let mut skip = Vec::new();
        let n = BufReader::new(&mut file)
            .read_until(b'\n', &mut skip)
            .map_err(io)?;
        start = lo - 1 + n as u64;
    }
    file.seek(SeekFrom::Start(start)).map_err(io)?;
    let mut reader = BufReader::new(file);
    let mut out = Vec::new();
    let (mut at, mut lines, mut line) = (start, 0usize, String::new());
    let per_line = match h.field.as_str() {
        "pattern" => 2,
        "complex" => 4,
        _ => 3,
    };
    while at < hi {
        line.clear();
        let n = reader.read_line(&mut line).map_err(io)?;
        if n == 0 {
            break;
        }
        let here = at;
        at += n as u64;
        let t = line.trim();
        if t.is_empty() || t.starts_with('%') {
            continue;
        }
        let bad = |what: &str| {
            Error::input(format!(
                "{name}: the entry line at byte {here} ({t:?}): {what}"
            ))
        };
        let words: Vec<&str> = t.split_whitespace().collect();
        if words.len() != per_line {
            return Err(bad(&format!(
                "{per_line} numbers expected in a {} file",
                h.field
            )));
        }
        let index = |w: &str, n: usize| match w.parse::<usize>() {
            Ok(i) if (1..=n).contains(&i) => Ok(i - 1),
            _ => Err(bad(&format!("an index outside 1..={n}"))),
        };
        let (i, j) = (index(words[0], h.rows)?, index(words[1], h.cols)?);
        let number = |w: &str| w.parse::<f64>().map_err(|_| bad("not a number"));
        let (re, im) = match per_line {
            2 => (1.0, None),
            3 => (number(words[2])?, None),
            _ => (number(words[2])?, Some(number(words[3])?)),
        };
        let v = T::from_market(re, im)
            .ok_or_else(|| bad(&format!("a value a {} matrix cannot hold", T::FIELD)))?;
        out.push((i, j, v));
        if i != j {
            match h.symmetry.as_str() {
                "symmetric" => out.push((j, i, v)),
                "skew-symmetric" => out.push((j, i, -v)),
                "hermitian" => out.push((j, i, v.conj())),
                _ => {}
            }
        }
        lines += 1;
    }
    Ok((out, lines))
}

impl<T: SparseElement> SparseMatrix<T> {
    /// Reads a Matrix Market coordinate file (`real`, `integer`, `complex` or `pattern`;
    /// `general`, `symmetric`, `skew-symmetric` or `hermitian`, the mirrored entries added),
    /// rows and columns in balanced blocks ([`Grid::rows`]). Every rank reads its share of the
    /// file; a missing or malformed file, an index outside the shape, a value `T` cannot hold
    /// or an entry count unlike the header's is the same `Err` on every rank. Collective.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::sparse::SparseMatrix;
    /// mpikit::run(|world| {
    ///     let a = SparseMatrix::<f64>::read_matrix_market(world, "matrix.mtx".as_ref())?;
    ///     println!("{:?} with {} entries", a.shape(), a.nnz()?);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn read_matrix_market(comm: &(impl Comm + ?Sized), path: &Path) -> Result<SparseMatrix<T>> {
        let c = comm.as_comm();
        let (rank, p) = (c.rank() as u64, c.size() as u64);
        let header = agree_on(c, read_header(path))?;
        let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        let span = len.saturating_sub(header.data_start);
        let lo = header.data_start + span * rank / p;
        let hi = header.data_start + span * (rank + 1) / p;
        let (triplets, lines) = agree_on(c, read_share::<T>(path, &header, lo, hi))?;
        let total = c.allreduce_scalar(lines, ReduceOp::Sum)?;
        if total != header.entries {
            return Err(Error::input(format!(
                "{}: the header says {} entries, the file holds {total}",
                path.display(),
                header.entries
            )));
        }
        let (rows, cols) = (
            Grid::rows(&[header.rows], p as usize),
            Grid::rows(&[header.cols], p as usize),
        );
        SparseMatrix::from_triplets(comm, rows, cols, &triplets)
    }

    /// Writes the matrix as a Matrix Market coordinate `general` file of this type's field
    /// (every stored entry, 1-based, values with every digit), as scipy's `mmread` reads it.
    /// Each rank writes its rows at its offset into a temporary file, renamed when every rank
    /// has written; a failure on any rank is the same `Err` everywhere and leaves no file.
    /// Collective.
    pub fn write_matrix_market(&self, path: &Path) -> Result<()> {
        let comm = &*self.comm;
        let name = path.display();
        let io = |e: std::io::Error| Error::input(format!("{name}: {e}"));
        let mut text = String::new();
        for (i, j, v) in self.local_triplets() {
            text.push_str(&format!("{} {} {}\n", i + 1, j + 1, v.to_market()));
        }
        let [m, n] = self.shape();
        let header = format!(
            "%%MatrixMarket matrix coordinate {} general\n% written by mpikit\n{m} {n} {}\n",
            T::FIELD,
            self.nnz()?
        );
        let mut lens = vec![0u64; comm.size() as usize];
        comm.all_gather_into(&(text.len() as u64), &mut lens[..]);
        let at = header.len() as u64 + lens[..self.rank].iter().sum::<u64>();
        let pid = comm.broadcast_object(0, (self.rank == 0).then_some(&std::process::id()))?;
        let file_name = path.file_name().map(|f| f.to_string_lossy().into_owned());
        let tmp = path.with_file_name(format!(
            ".{}.tmp-{pid}",
            file_name.clone().unwrap_or_default()
        ));
        let created = if self.rank == 0 {
            (|| {
                if file_name.is_none() || path.is_dir() {
                    return Err(std::io::Error::other("not a file name"));
                }
                File::create(&tmp)?.write_all_at(header.as_bytes(), 0)
            })()
            .map_err(io)
        } else {
            Ok(())
        };
        agree_on(comm, created)?;
        let written = File::options()
            .write(true)
            .open(&tmp)
            .and_then(|f| {
                f.write_all_at(text.as_bytes(), at)?;
                f.sync_all()
            })
            .map_err(io);
        let done = agree_on(comm, written).and_then(|()| {
            let renamed = if self.rank == 0 {
                std::fs::rename(&tmp, path).map_err(io)
            } else {
                Ok(())
            };
            agree_on(comm, renamed)
        });
        if done.is_err() && self.rank == 0 {
            let _ = std::fs::remove_file(&tmp);
        }
        done
    }
}
