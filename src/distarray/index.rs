//! Global indices of a block's elements, in standard (C) order: an odometer over the block
//! from any flat position (`for_each_index`, or a row at a time with `for_each_row`), and
//! the flat position of a global index (`flat`).

/// Calls `f(first flat index, run of a block's elements)` for consecutive runs of the block
/// at `offset` of shape `block` in a global array of `shape`, visiting global indices
/// (`index`, updated in place) in standard order.
pub(crate) fn for_each_index<T>(
    block: &[usize],
    offset: &[usize],
    out: &mut [T],
    first: usize,
    mut f: impl FnMut(&[usize], &mut T),
) {
    if out.is_empty() {
        return;
    }
    // The block index of element `first`, then an odometer.
    let (mut local, mut global) = start_index(block, offset, first);
    for x in out.iter_mut() {
        f(&global, x);
        step(block, &mut local, &mut global, block.len() - 1);
    }
}

/// The block index of flat position `first` in `block`, and the global index at `offset`.
fn start_index(block: &[usize], offset: &[usize], first: usize) -> (Vec<usize>, Vec<usize>) {
    let mut local = vec![0usize; block.len()];
    let mut rest = first;
    for a in (0..block.len()).rev() {
        local[a] = rest % block[a];
        rest /= block[a];
    }
    let global = local.iter().zip(offset).map(|(l, o)| l + o).collect();
    (local, global)
}

/// Adds one along `axis` to the odometer (`local` in `block`, `global` beside it), carrying
/// into the axes before it.
fn step(block: &[usize], local: &mut [usize], global: &mut [usize], axis: usize) {
    for a in (0..=axis).rev() {
        local[a] += 1;
        global[a] += 1;
        if local[a] < block[a] {
            return;
        }
        global[a] -= local[a];
        local[a] = 0;
    }
}

/// Calls `f(global index of its first element, segment)` for the segments of `out` (the
/// block's elements from flat position `first` on) that run along the last axis.
pub(crate) fn for_each_row<T>(
    block: &[usize],
    offset: &[usize],
    out: &mut [T],
    first: usize,
    mut f: impl FnMut(&[usize], &mut [T]),
) {
    let Some(&last) = block.last() else {
        f(&[], out);
        return;
    };
    if out.is_empty() {
        return;
    }
    let nd = block.len();
    let (mut local, mut global) = start_index(block, offset, first);
    let mut out = out;
    while !out.is_empty() {
        let n = (last - local[nd - 1]).min(out.len());
        let (segment, tail) = out.split_at_mut(n);
        f(&global, segment);
        out = tail;
        local[nd - 1] += n;
        global[nd - 1] += n;
        if local[nd - 1] < last {
            continue;
        }
        // The row is done: back to its start, then carry into the axes before the last.
        global[nd - 1] -= last;
        local[nd - 1] = 0;
        if nd > 1 {
            step(block, &mut local, &mut global, nd - 2);
        }
    }
}

/// The flat (standard-order) position of `index` in an array of `shape`.
pub(crate) fn flat(shape: &[usize], index: &[usize]) -> usize {
    index.iter().zip(shape).fold(0, |acc, (&i, &n)| acc * n + i)
}
