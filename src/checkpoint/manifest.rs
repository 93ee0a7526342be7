//! A checkpoint's manifest (`manifest.txt`, plain text, one record per line): the program,
//! the step, and for every array its numpy type, shape, the grid it was saved from, its
//! file's size and CRC-32s of the file in fixed segments; the state's size and CRC-32. The
//! checksums of a file are computed by every rank at once, each its share of the segments.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

use rayon::prelude::*;

use crate::data::partition::Partition;
use crate::error::{Error, Result};

/// The first line of every manifest.
const MAGIC: &str = "mpikit checkpoint 1";

/// Bytes per checksummed segment of a file.
pub(crate) const SEGMENT: u64 = 64 << 20;

/// One saved array.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ArrayEntry {
    pub name: String,
    pub descr: String,
    pub shape: Vec<usize>,
    pub grid: Vec<usize>,
    pub bytes: u64,
    pub crcs: Vec<u32>,
}

/// What a checkpoint holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Manifest {
    pub program: String,
    pub step: u64,
    pub ranks: usize,
    pub arrays: Vec<ArrayEntry>,
    /// The serialised state's size and CRC-32, if a state was saved.
    pub state: Option<(u64, u32)>,
}

fn list<T: ToString>(v: &[T]) -> String {
    if v.is_empty() {
        return "-".into();
    }
    v.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

fn parse_list<T: std::str::FromStr>(s: &str) -> Option<Vec<T>> {
    if s == "-" {
        return Some(Vec::new());
    }
    s.split(',').map(|x| x.parse().ok()).collect()
}

impl Manifest {
    /// The manifest's text.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "{MAGIC}\nprogram {}\nstep {}\nranks {}\n",
            self.program, self.step, self.ranks
        );
        for a in &self.arrays {
            let crcs: Vec<String> = a.crcs.iter().map(|c| format!("{c:08x}")).collect();
            out += &format!(
                "array {} {} shape {} grid {} bytes {} crc32 {}\n",
                a.name,
                a.descr,
                list(&a.shape),
                list(&a.grid),
                a.bytes,
                list(&crcs)
            );
        }
        if let Some((bytes, crc)) = self.state {
            out += &format!("state bytes {bytes} crc32 {crc:08x}\n");
        }
        out
    }

    /// Parses a manifest's text; `what` names it in the error.
    pub fn parse(text: &str, what: &str) -> Result<Manifest> {
        let bad = |line: &str| {
            Error::input(format!(
                "{what}: not an mpikit checkpoint manifest (at {:?})",
                line.chars().take(60).collect::<String>()
            ))
        };
        let mut lines = text.lines();
        if lines.next() != Some(MAGIC) {
            return Err(bad(text.lines().next().unwrap_or("")));
        }
        let mut m = Manifest::default();
        for line in lines {
            let words: Vec<&str> = line.split_whitespace().collect();
            let hex = |s: &str| u32::from_str_radix(s, 16).ok();
            match words.as_slice() {
                ["program", p] => m.program = p.to_string(),
                ["step", s] => m.step = s.parse().map_err(|_| bad(line))?,
                ["ranks", r] => m.ranks = r.parse().map_err(|_| bad(line))?,
                ["array", name, descr, "shape", shape, "grid", grid, "bytes", bytes, "crc32", crcs] =>
                {
                    let crcs: Option<Vec<u32>> = if *crcs == "-" {
                        Some(Vec::new())
                    } else {
                        crcs.split(',').map(hex).collect()
                    };
                    m.arrays.push(ArrayEntry {
                        name: name.to_string(),
                        descr: descr.to_string(),
                        shape: parse_list(shape).ok_or_else(|| bad(line))?,
                        grid: parse_list(grid).ok_or_else(|| bad(line))?,
                        bytes: bytes.parse().map_err(|_| bad(line))?,
                        crcs: crcs.ok_or_else(|| bad(line))?,
                    })
                }
                ["state", "bytes", bytes, "crc32", crc] => {
                    let bytes = bytes.parse().map_err(|_| bad(line))?;
                    m.state = Some((bytes, hex(crc).ok_or_else(|| bad(line))?));
                }
                [] => {}
                _ => return Err(bad(line)),
            }
        }
        Ok(m)
    }
}

/// CRC-32 of every [`SEGMENT`] of the file at `path` that is `bytes` long, computed by
/// every rank of `comm` at once (each its share of the segments, on its threads); every
/// rank gets them all. The same `Err` everywhere when a read fails.
pub(crate) fn segment_crcs<C: mpi::topology::Communicator + ?Sized>(
    comm: &C,
    path: &Path,
    bytes: u64,
    pool: &rayon::ThreadPool,
) -> Result<Vec<u32>> {
    use crate::collective::object::ObjectCollectives;
    let n = bytes.div_ceil(SEGMENT) as usize;
    let mine = Partition::new(n, comm.size() as usize).range(comm.rank() as usize);
    let name = path.display();
    let local = File::open(path)
        .and_then(|f| {
            pool.install(|| {
                mine.clone()
                    .into_par_iter()
                    .map(|s| {
                        let at = s as u64 * SEGMENT;
                        let len = SEGMENT.min(bytes - at);
                        crc_of_range(&f, at, len)
                    })
                    .collect::<std::io::Result<Vec<u32>>>()
            })
        })
        .map_err(|e| Error::input(format!("{name}: {e}")));
    let local = crate::runtime::agree::agree_on(comm, local)?;
    let all: Vec<Vec<u32>> = comm.allgather_objects(&local)?;
    Ok(all.concat())
}

/// CRC-32 of `len` bytes of `f` from byte `at`, read 1 MiB at a time.
fn crc_of_range(f: &File, at: u64, len: u64) -> std::io::Result<u32> {
    let mut hasher = crc32fast::Hasher::new();
    let mut buf = vec![0u8; (1 << 20).min(len as usize)];
    let mut done = 0;
    while done < len {
        let n = buf.len().min((len - done) as usize);
        f.read_exact_at(&mut buf[..n], at + done)?;
        hasher.update(&buf[..n]);
        done += n as u64;
    }
    Ok(hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifests_read_back() {
        let m = Manifest {
            program: "heat_2d".into(),
            step: 120,
            ranks: 3,
            arrays: vec![
                ArrayEntry {
                    name: "u".into(),
                    descr: "<f8".into(),
                    shape: vec![40, 30],
                    grid: vec![3, 1],
                    bytes: 9728,
                    crcs: vec![0xdead_beef],
                },
                ArrayEntry {
                    name: "empty".into(),
                    descr: "<i4".into(),
                    shape: vec![0],
                    grid: vec![3],
                    bytes: 128,
                    crcs: vec![1, 2],
                },
            ],
            state: Some((57, 0x0102_0304)),
        };
        assert_eq!(Manifest::parse(&m.to_text(), "m").unwrap(), m);
        for bad in ["", "mpikit checkpoint 2\n", "mpikit checkpoint 1\nstep x\n"] {
            let e = Manifest::parse(bad, "m.txt").unwrap_err().to_string();
            assert!(
                e.contains("m.txt: not an mpikit checkpoint manifest"),
                "{e}"
            );
        }
    }
}
