//! The size exchange of the object collectives: before any bytes move, every rank learns
//! every rank's encoded size, or the same failure (a value that did not encode, a root list
//! of the wrong length, a root that passed `None`) through marker sizes; then blocks of
//! bytes are decoded rank by rank.

use mpi::collective::CommunicatorCollectives;
use mpi::topology::{Communicator, Rank};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::collective::codec::{decode, encode, encode_into};
use crate::error::{Error, Result};

/// Marks a rank's failed encoding in a size exchange.
pub(crate) const FAILED: u64 = u64::MAX;

/// Marks a list of the wrong length in a size exchange.
pub(crate) const WRONG_LENGTH: u64 = u64::MAX - 1;

/// Marks a root that passed `None` in a size exchange.
pub(crate) const MISSING: u64 = u64::MAX - 2;

/// Appends every value's bytes to `bytes` and its byte count to `counts`; on the first
/// failure, every count becomes `FAILED` and the error is returned.
pub(crate) fn encode_each<T: Serialize>(
    values: &[T],
    bytes: &mut Vec<u8>,
    counts: &mut [u64],
) -> Option<String> {
    for (count, v) in counts.iter_mut().zip(values) {
        match encode_into(v, bytes) {
            Ok(n) => *count = n as u64,
            Err(e) => {
                counts.fill(FAILED);
                return Some(e);
            }
        }
    }
    None
}

pub(crate) fn encode_failure(
    rank: Rank,
    encoded: Option<std::result::Result<Vec<u8>, String>>,
) -> Error {
    let message = match encoded {
        Some(Err(e)) => e,
        _ => "see that rank's error".into(),
    };
    Error::Encode {
        rank: Some(rank),
        message,
    }
}

/// Encodes `value` and shares every rank's byte count; fails on every rank if any failed.
pub(crate) fn encode_and_share_counts<C, T>(comm: &C, value: &T) -> Result<(Vec<u8>, Vec<usize>)>
where
    C: Communicator + ?Sized,
    T: Serialize,
{
    let encoded = encode(value, 0);
    let mine = encoded.as_ref().map_or(FAILED, |b| b.len() as u64);
    let mut counts = vec![0u64; comm.size() as usize];
    comm.all_gather_into(&mine, &mut counts[..]);
    if let Some(bad) = counts.iter().position(|&c| c == FAILED) {
        let own = if bad == comm.rank() as usize {
            Some(encoded)
        } else {
            None
        };
        return Err(encode_failure(bad as Rank, own));
    }
    let bytes = encoded.expect("checked");
    Ok((bytes, counts.iter().map(|&c| c as usize).collect()))
}

/// Decodes consecutive blocks of `counts` bytes, block r from rank r.
pub(crate) fn decode_blocks<T: DeserializeOwned>(bytes: &[u8], counts: &[usize]) -> Result<Vec<T>> {
    let mut start = 0;
    counts
        .iter()
        .enumerate()
        .map(|(r, &c)| {
            let block = &bytes[start..start + c];
            start += c;
            decode(block, Some(r as Rank))
        })
        .collect()
}
