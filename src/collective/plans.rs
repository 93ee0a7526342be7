//! What the rows collectives agree on before any data moves (blocking, a few bytes, the
//! same `Err` on every rank): the shape each rank receives and the element counts every rank
//! sends and receives, for scatters, all-to-alls and reduce-scatters by rows.

use crate::collective::buffer::Buffer;
use crate::collective::shape::{agree_rows_if, agree_same_shape, broadcast_shape, check_root};
use crate::data::partition::Partition;
use crate::error::{Error, Result};
use mpi::collective::{CommunicatorCollectives, Root, SystemOperation};
use mpi::topology::{Communicator, Rank};

/// What a scatter by rows agrees on before any data moves: this rank's block shape and every
/// rank's element count. The same `Err` on every rank if the root passes no data, or if its
/// `rows` (balanced blocks when `None`) does not have one entry per rank adding up to its
/// rows.
pub(crate) fn scatter_plan<C, B>(
    comm: &C,
    root: Rank,
    data: Option<&B>,
    rows: Option<&[usize]>,
    what: &'static str,
) -> Result<(Vec<usize>, Vec<usize>)>
where
    C: Communicator + ?Sized,
    B: Buffer + ?Sized,
{
    check_root(comm, root)?;
    let size = comm.size() as usize;
    let mut counts = vec![0u64; size];
    let mut ok = false;
    let root_shape = data
        .filter(|_| comm.rank() == root)
        .map(|d| d.buffer_shape());
    if let Some(shape) = &root_shape {
        let n = shape.first().copied().unwrap_or(0);
        let given = rows.map_or_else(|| Partition::new(n, size).counts(), <[usize]>::to_vec);
        ok = !shape.is_empty() && given.len() == size && given.iter().sum::<usize>() == n;
        if ok {
            counts = given.iter().map(|&c| c as u64).collect();
        }
    }
    let shape = broadcast_shape(comm, root, root_shape.as_deref(), ok, &mut counts, what)?;
    let row_len: usize = shape[1..].iter().product();
    let elems = counts.iter().map(|&c| c as usize * row_len).collect();
    let mut mine = shape;
    mine[0] = counts[comm.rank() as usize] as usize;
    Ok((mine, elems))
}

/// What a personalised all-to-all by rows agrees on before any data moves: the shape of the
/// result and the element counts sent to and received from each rank. The same `Err` on
/// every rank if any rank's `send_rows` is wrong or the other axes disagree.
pub(crate) fn alltoall_plan<C: Communicator + ?Sized>(
    comm: &C,
    local_shape: &[usize],
    send_rows: &[usize],
    what: &'static str,
) -> Result<(Vec<usize>, Vec<usize>, Vec<usize>)> {
    let size = comm.size() as usize;
    let rows = local_shape.first().copied().unwrap_or(0);
    let ok = send_rows.len() == size && send_rows.iter().sum::<usize>() == rows;
    let (total, _) = agree_rows_if(comm, local_shape, ok, what)?;
    let row_len: usize = total[1..].iter().product();
    let sent: Vec<u64> = send_rows.iter().map(|&r| r as u64).collect();
    let mut got = vec![0u64; size];
    comm.all_to_all_into(&sent[..], &mut got[..]);
    let send_counts = send_rows.iter().map(|&r| r * row_len).collect();
    let recv_counts = got.iter().map(|&r| r as usize * row_len).collect();
    let mut shape = total;
    shape[0] = got.iter().sum::<u64>() as usize;
    Ok((shape, send_counts, recv_counts))
}

/// What a reduce-scatter by rows agrees on before any data moves: the element count of each
/// rank's block of the result and this rank's block shape. The same `Err` on every rank
/// unless every rank passes the same shape and the same `rows`, one entry per rank, adding
/// up to the rows.
pub(crate) fn reduce_scatter_plan<C: Communicator + ?Sized>(
    comm: &C,
    shape: &[usize],
    rows: &[usize],
    what: &'static str,
) -> Result<(Vec<usize>, Vec<usize>)> {
    agree_same_shape(comm, shape, what)?;
    if shape.is_empty() {
        return Err(Error::Shape(format!(
            "{what}: arrays need at least one axis"
        )));
    }
    // Rank 0's counts, checked by every rank against its own.
    let size = comm.size() as usize;
    let mut theirs: Vec<u64> = rows.iter().map(|&r| r as u64).collect();
    theirs.resize(size, u64::MAX);
    comm.process_at_rank(0).broadcast_into(&mut theirs[..]);
    let mine_ok = rows.len() == size
        && rows.iter().zip(&theirs).all(|(&a, &b)| a as u64 == b)
        && rows.iter().sum::<usize>() == shape[0];
    let mut all_ok = 0u8;
    comm.all_reduce_into(&u8::from(mine_ok), &mut all_ok, SystemOperation::min());
    if all_ok == 0 {
        return Err(Error::Shape(format!(
            "{what}: every rank must give the same {size} row counts adding up to the {} rows",
            shape[0]
        )));
    }
    let row_len: usize = shape[1..].iter().product();
    let counts = rows.iter().map(|&r| r * row_len).collect();
    let mut mine = shape.to_vec();
    mine[0] = rows[comm.rank() as usize];
    Ok((counts, mine))
}
