//! Objects as bytes: the bincode encoding every object message and collective uses (sized in
//! a first pass, written once), decoding that never panics on foreign bytes, and the status a
//! received object reports.

use mpi::topology::Rank;
use mpi::Tag;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::collective::scratch;
use crate::error::{Error, Result};

pub(crate) fn config() -> bincode::config::Configuration {
    bincode::config::standard()
}

/// `value` as bincode bytes after `prefix` zero bytes.
pub(crate) fn encode<T: Serialize + ?Sized>(
    value: &T,
    prefix: usize,
) -> std::result::Result<Vec<u8>, String> {
    let mut bytes = scratch::empty(0);
    bytes.resize(prefix, 0);
    encode_into(value, &mut bytes)?;
    Ok(bytes)
}

/// Appends `value`'s bincode bytes to `bytes` and returns how many. A first pass measures
/// the size; the bytes are then written once, straight into room reserved for them (no
/// zeroing, no per-write length bookkeeping: 3x faster than `std::io::Write` for a
/// `Vec<f64>`).
pub(crate) fn encode_into<T: Serialize + ?Sized>(
    value: &T,
    bytes: &mut Vec<u8>,
) -> std::result::Result<usize, String> {
    let mut size = bincode::enc::write::SizeWriter::default();
    bincode::serde::encode_into_writer(value, &mut size, config()).map_err(|e| e.to_string())?;
    let n = size.bytes_written;
    bytes.reserve(n);
    let start = bytes.len();
    let mut spare = SpareWriter {
        at: bytes.spare_capacity_mut(),
        written: 0,
    };
    bincode::serde::encode_into_writer(value, &mut spare, config()).map_err(|e| e.to_string())?;
    let written = spare.written;
    if written != n {
        return Err(format!(
            "the value encoded to {written} bytes after measuring {n}: its Serialize is not deterministic"
        ));
    }
    // SAFETY: the writer initialised the first `written` bytes of the spare capacity.
    unsafe { bytes.set_len(start + written) };
    Ok(written)
}

/// A bincode writer into a vector's spare capacity.
struct SpareWriter<'a> {
    at: &'a mut [std::mem::MaybeUninit<u8>],
    written: usize,
}

impl bincode::enc::write::Writer for SpareWriter<'_> {
    #[inline(always)]
    fn write(&mut self, bytes: &[u8]) -> std::result::Result<(), bincode::error::EncodeError> {
        let end = self.written + bytes.len();
        let Some(room) = self.at.get_mut(self.written..end) else {
            return Err(bincode::error::EncodeError::UnexpectedEnd);
        };
        // SAFETY: `room` and `bytes` have the same length and cannot overlap (one is
        // borrowed mutably); u8 and MaybeUninit<u8> have the same layout.
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), room.as_mut_ptr().cast(), bytes.len())
        };
        self.written = end;
        Ok(())
    }
}

/// Decodes all of `bytes` as a `T`; trailing bytes mean another type was sent.
pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8], from: Option<Rank>) -> Result<T> {
    let fail = |message: String| Error::Decode { from, message };
    let (value, used) =
        bincode::serde::decode_from_slice(bytes, config()).map_err(|e| fail(e.to_string()))?;
    if used != bytes.len() {
        return Err(fail(format!(
            "{} of {} bytes left over: the sender sent another type",
            bytes.len() - used,
            bytes.len()
        )));
    }
    Ok(value)
}

/// Where a received object came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ObjectStatus {
    /// The sender's rank.
    pub source: Rank,
    /// The message tag.
    pub tag: Tag,
    /// Size of the encoded object in bytes.
    pub bytes: usize,
}

/// `value`'s bincode bytes (for containers that carry encoded items).
pub(crate) fn encode_bytes<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>> {
    encode(value, 0).map_err(|message| Error::Encode {
        rank: None,
        message,
    })
}

/// Decodes bytes from [`encode_bytes`].
pub(crate) fn decode_bytes<T: DeserializeOwned>(bytes: &[u8], from: Option<Rank>) -> Result<T> {
    decode(bytes, from)
}
