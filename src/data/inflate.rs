//! Deflated `.npz` members (`np.savez_compressed`) read in order: a deflate stream has no
//! index, so a byte of the member is reached by inflating everything before it. An
//! [`Inflater`] inflates one member from its start, hashing what it hands out, and checks
//! the CRC-32 and the size of the directory entry when it reaches the end; an
//! [`InflatedMember`] serves positioned reads ([`ReadAt`]) from a few such streams, cheap
//! when the reads come in order (the readers ask a [`ReadAt::sequential`] source in order).

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom, Take};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use flate2::bufread::DeflateDecoder;

use crate::data::source::ReadAt;

/// One array member of an archive, as its zip directory entry describes it.
#[derive(Clone, Debug)]
pub(crate) struct Member {
    /// `ARCHIVE:NAME`, for messages.
    pub what: String,
    /// Deflated (`np.savez_compressed`) rather than stored (`np.savez`).
    pub deflated: bool,
    /// Where the member's (stored or deflated) bytes start in the archive.
    pub data_start: u64,
    /// The member's bytes in the archive.
    pub stored_size: u64,
    /// The member's `.npy` bytes (inflated).
    pub size: u64,
    /// CRC-32 of the `.npy` bytes.
    pub crc: u32,
}

/// Bytes inflated and thrown away at a time while skipping.
const SKIP_BYTES: usize = 1 << 18;

/// Open decoders an [`InflatedMember`] keeps at most.
const MOST_STREAMS: usize = 64;

/// A damaged-member error (no file name: the callers add theirs).
fn damaged(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!("damaged compressed member: {e}"),
    )
}

/// One deflated member inflated from its start, in order.
pub(crate) struct Inflater {
    decoder: DeflateDecoder<BufReader<Take<File>>>,
    /// Bytes of the member handed out (or skipped) so far.
    pos: u64,
    crc: crc32fast::Hasher,
    size: u64,
    want_crc: u32,
}

impl Inflater {
    /// Starts inflating member `m` of the archive at `path`.
    pub(crate) fn open(path: &Path, m: &Member) -> std::io::Result<Inflater> {
        let mut file = File::open(path)?;
        file.seek(SeekFrom::Start(m.data_start))?;
        let raw = BufReader::with_capacity(1 << 16, file.take(m.stored_size));
        Ok(Inflater {
            decoder: DeflateDecoder::new(raw),
            pos: 0,
            crc: crc32fast::Hasher::new(),
            size: m.size,
            want_crc: m.crc,
        })
    }

    /// Inflates and discards bytes up to `offset` (at or after the position).
    pub(crate) fn skip_to(&mut self, offset: u64) -> std::io::Result<()> {
        if offset < self.pos {
            return Err(std::io::Error::other("a deflate stream cannot go back"));
        }
        let mut scratch = vec![0u8; SKIP_BYTES.min((offset - self.pos) as usize)];
        while self.pos < offset {
            let n = scratch.len().min((offset - self.pos) as usize);
            self.fill(&mut scratch[..n])?;
        }
        Ok(())
    }

    /// Fills `buf` with the next bytes of the member; past its end is an error. Reaching the
    /// end checks that the stream ends there and that the CRC-32 is the directory's.
    pub(crate) fn fill(&mut self, buf: &mut [u8]) -> std::io::Result<()> {
        if self.pos + buf.len() as u64 > self.size {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!("past the end of the member ({} bytes)", self.size),
            ));
        }
        let mut at = 0;
        while at < buf.len() {
            match self.decoder.read(&mut buf[at..]).map_err(damaged)? {
                0 => {
                    return Err(damaged(format!(
                        "the deflate stream ends after {} of its {} bytes (truncated?)",
                        self.pos + at as u64,
                        self.size
                    )))
                }
                n => at += n,
            }
        }
        self.crc.update(buf);
        self.pos += buf.len() as u64;
        if self.pos == self.size {
            self.finish()?;
        }
        Ok(())
    }

    /// At the member's end: the stream must end too, and the CRC-32 match.
    fn finish(&mut self) -> std::io::Result<()> {
        let mut one = [0u8; 1];
        if self.decoder.read(&mut one).map_err(damaged)? != 0 {
            return Err(damaged(format!(
                "it inflates to more than the {} bytes its directory entry says",
                self.size
            )));
        }
        let crc = self.crc.clone().finalize();
        if crc != self.want_crc {
            return Err(damaged(format!(
                "CRC-32 {crc:08x}, the directory says {:08x}",
                self.want_crc
            )));
        }
        Ok(())
    }
}

impl Read for Inflater {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min((self.size - self.pos) as usize);
        self.fill(&mut buf[..n])?;
        Ok(n)
    }
}

/// Positioned reads of a deflated member: each read continues the open stream that stopped
/// where it starts, or the nearest stream before it, or a new one from the member's start.
/// Reads in order cost one inflation of the member up to the last byte read.
pub(crate) struct InflatedMember {
    path: PathBuf,
    member: Member,
    streams: Mutex<Vec<Inflater>>,
}

impl InflatedMember {
    /// Member `member` of the archive at `path`; nothing is opened yet.
    pub(crate) fn new(path: &Path, member: Member) -> InflatedMember {
        InflatedMember {
            path: path.to_path_buf(),
            member,
            streams: Mutex::new(Vec::new()),
        }
    }
}

impl ReadAt for InflatedMember {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
        if buf.is_empty() && offset <= self.member.size {
            return Ok(());
        }
        let taken = {
            let mut streams = self.streams.lock().unwrap_or_else(|e| e.into_inner());
            let exact = streams.iter().position(|s| s.pos == offset);
            // With no stream ending here, a new one unless there are many already; then the
            // nearest before the offset.
            let pick = exact.or_else(|| {
                (streams.len() >= MOST_STREAMS)
                    .then(|| {
                        (0..streams.len())
                            .filter(|&i| streams[i].pos <= offset)
                            .max_by_key(|&i| streams[i].pos)
                    })
                    .flatten()
            });
            match pick {
                Some(i) => Some(streams.swap_remove(i)),
                None => {
                    if streams.len() >= MOST_STREAMS {
                        streams.swap_remove(0);
                    }
                    None
                }
            }
        };
        let mut stream = match taken {
            Some(s) => s,
            None => Inflater::open(&self.path, &self.member)?,
        };
        stream.skip_to(offset)?;
        stream.fill(buf)?;
        // A stream at the member's end serves nothing more (another pass starts a new one).
        if stream.pos < self.member.size {
            self.streams
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(stream);
        }
        Ok(())
    }

    fn sequential(&self) -> bool {
        true
    }
}
