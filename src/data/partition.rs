//! Balanced block partitions: which part of `0..len` each of `parts` ranks (or threads) owns.
//!
//! The rule is the one MPI programs and numpy's `array_split` use: the first `len % parts`
//! parts get `len / parts + 1` items, the others `len / parts`. Counts of neighbouring parts
//! differ by at most one, parts are contiguous, disjoint and cover `0..len` in order.

use std::ops::Range;

use mpi::topology::Communicator;

/// A balanced block partition of `len` items into `parts` contiguous parts.
///
/// # Examples
/// ```
/// use mpikit::data::Partition;
/// let p = Partition::new(10, 4);
/// assert_eq!(p.counts(), vec![3, 3, 2, 2]);
/// assert_eq!(p.displs(), vec![0, 3, 6, 8]);
/// assert_eq!(p.range(2), 6..8);
/// assert_eq!(p.owner(7), 2);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Partition {
    len: usize,
    parts: usize,
}

impl Partition {
    /// Splits `len` items into `parts` parts.
    ///
    /// # Panics
    /// If `parts` is zero.
    ///
    /// # Examples
    /// ```
    /// use mpikit::data::Partition;
    /// // 10 items over 4 parts: the first 10 % 4 parts get one more.
    /// let p = Partition::new(10, 4);
    /// assert_eq!(p.counts(), vec![3, 3, 2, 2]);
    /// ```
    pub fn new(len: usize, parts: usize) -> Partition {
        assert!(parts > 0, "a partition needs at least one part");
        Partition { len, parts }
    }

    /// The number of items partitioned.
    ///
    /// # Examples
    /// ```
    /// assert_eq!(mpikit::data::Partition::new(10, 4).len(), 10);
    /// ```
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no items at all.
    ///
    /// # Examples
    /// ```
    /// assert!(mpikit::data::Partition::new(0, 4).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The number of parts.
    ///
    /// # Examples
    /// ```
    /// assert_eq!(mpikit::data::Partition::new(10, 4).parts(), 4);
    /// ```
    pub fn parts(&self) -> usize {
        self.parts
    }

    /// Number of items in `part`.
    ///
    /// # Examples
    /// ```
    /// let p = mpikit::data::Partition::new(10, 4);
    /// assert_eq!((p.count(0), p.count(3)), (3, 2));
    /// ```
    pub fn count(&self, part: usize) -> usize {
        assert!(
            part < self.parts,
            "part {part} out of range 0..{}",
            self.parts
        );
        self.len / self.parts + usize::from(part < self.len % self.parts)
    }

    /// Index of the first item of `part`.
    ///
    /// # Examples
    /// ```
    /// let p = mpikit::data::Partition::new(10, 4);
    /// assert_eq!((p.displ(0), p.displ(1), p.displ(3)), (0, 3, 8));
    /// ```
    pub fn displ(&self, part: usize) -> usize {
        assert!(
            part < self.parts,
            "part {part} out of range 0..{}",
            self.parts
        );
        part * (self.len / self.parts) + part.min(self.len % self.parts)
    }

    /// The items of `part`, as a range of indices.
    ///
    /// # Examples
    /// ```
    /// let p = mpikit::data::Partition::new(10, 4);
    /// assert_eq!(p.range(1), 3..6);
    /// assert_eq!(p.range(3), 8..10);
    /// ```
    pub fn range(&self, part: usize) -> Range<usize> {
        let start = self.displ(part);
        start..start + self.count(part)
    }

    /// Counts of every part, in order.
    ///
    /// # Examples
    /// ```
    /// assert_eq!(mpikit::data::Partition::new(7, 3).counts(), vec![3, 2, 2]);
    /// ```
    pub fn counts(&self) -> Vec<usize> {
        (0..self.parts).map(|p| self.count(p)).collect()
    }

    /// First indices of every part, in order.
    ///
    /// # Examples
    /// ```
    /// assert_eq!(mpikit::data::Partition::new(7, 3).displs(), vec![0, 3, 5]);
    /// ```
    pub fn displs(&self) -> Vec<usize> {
        (0..self.parts).map(|p| self.displ(p)).collect()
    }

    /// The part that holds item `index`.
    ///
    /// # Panics
    /// If `index >= len`.
    ///
    /// # Examples
    /// ```
    /// let p = mpikit::data::Partition::new(10, 4);
    /// assert_eq!((p.owner(0), p.owner(5), p.owner(9)), (0, 1, 3));
    /// ```
    pub fn owner(&self, index: usize) -> usize {
        assert!(
            index < self.len,
            "index {index} out of range 0..{}",
            self.len
        );
        let (q, r) = (self.len / self.parts, self.len % self.parts);
        let big = r * (q + 1);
        if index < big {
            index / (q + 1)
        } else {
            r + (index - big) / q
        }
    }
}

/// A partition of the rows (axis 0) of an n-dimensional array, in elements.
///
/// Each part gets whole rows; `row_len` is the number of elements in one row
/// (the product of the other axes), so element counts and displacements are the row ones
/// times `row_len`.
///
/// # Examples
/// ```
/// use mpikit::data::RowPartition;
/// let p = RowPartition::new(&[5, 3], 2); // a 5x3 array over 2 ranks
/// assert_eq!(p.shape_of(0), vec![3, 3]);
/// assert_eq!(p.element_counts(), vec![9, 6]);
/// assert_eq!(p.element_displs(), vec![0, 9]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowPartition {
    rows: Partition,
    shape: Vec<usize>,
}

impl RowPartition {
    /// Partitions the rows of an array of `shape` into `parts` parts.
    /// A 0-dimensional shape is treated as one row of one element.
    ///
    /// # Examples
    /// ```
    /// use mpikit::data::RowPartition;
    /// // A 5 x 3 array by rows over 2 parts: 3 rows, then 2.
    /// let p = RowPartition::new(&[5, 3], 2);
    /// assert_eq!((p.shape_of(0), p.shape_of(1)), (vec![3, 3], vec![2, 3]));
    /// ```
    pub fn new(shape: &[usize], parts: usize) -> RowPartition {
        let shape = if shape.is_empty() {
            vec![1]
        } else {
            shape.to_vec()
        };
        RowPartition {
            rows: Partition::new(shape[0], parts),
            shape,
        }
    }

    /// The partition of the rows.
    ///
    /// # Examples
    /// ```
    /// use mpikit::data::RowPartition;
    /// let p = RowPartition::new(&[5, 3], 2);
    /// assert_eq!(p.rows().counts(), vec![3, 2]);
    /// ```
    pub fn rows(&self) -> &Partition {
        &self.rows
    }

    /// Elements in one row (product of all axes but the first).
    ///
    /// # Examples
    /// ```
    /// assert_eq!(mpikit::data::RowPartition::new(&[5, 3], 2).row_len(), 3);
    /// ```
    pub fn row_len(&self) -> usize {
        self.shape[1..].iter().product()
    }

    /// Shape of `part`'s block: its row count, then the other axes unchanged.
    ///
    /// # Examples
    /// ```
    /// assert_eq!(mpikit::data::RowPartition::new(&[5, 3], 2).shape_of(1), vec![2, 3]);
    /// ```
    pub fn shape_of(&self, part: usize) -> Vec<usize> {
        let mut s = self.shape.clone();
        s[0] = self.rows.count(part);
        s
    }

    /// Element counts of every part.
    ///
    /// # Examples
    /// ```
    /// assert_eq!(mpikit::data::RowPartition::new(&[5, 3], 2).element_counts(), vec![9, 6]);
    /// ```
    pub fn element_counts(&self) -> Vec<usize> {
        let row = self.row_len();
        self.rows.counts().into_iter().map(|c| c * row).collect()
    }

    /// Element displacements of every part.
    ///
    /// # Examples
    /// ```
    /// assert_eq!(mpikit::data::RowPartition::new(&[5, 3], 2).element_displs(), vec![0, 9]);
    /// ```
    pub fn element_displs(&self) -> Vec<usize> {
        let row = self.row_len();
        self.rows.displs().into_iter().map(|d| d * row).collect()
    }
}

/// Partitions over the ranks of a communicator, with ranks as the `usize` part numbers
/// that [`Partition`] takes — no `as usize` in user code. In the prelude; works on
/// [`World`](crate::World) and on every rsmpi communicator.
///
/// # Examples
/// ```no_run
/// use mpikit::prelude::*;
/// mpikit::run(|world| {
///     let n = 1_000_003;
///     let mine = world.block(n); // this rank's indices, e.g. 0..250001 on rank 0 of 4
///     let x: Vec<f64> = mine.clone().map(|i| i as f64).collect();
///     assert_eq!(world.partition(n).owner(mine.start.min(n - 1)), world.rank_index());
///     Ok::<(), mpikit::Error>(())
/// });
/// ```
pub trait Blocks: Communicator {
    /// This rank's number as a part number.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     assert_eq!(world.comm().rank_index(), world.rank() as usize);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn rank_index(&self) -> usize {
        self.rank() as usize
    }

    /// The number of ranks as a part count.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     assert_eq!(world.comm().size_count(), world.size() as usize);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn size_count(&self) -> usize {
        self.size() as usize
    }

    /// `len` items split over the ranks in balanced blocks.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     let p = world.comm().partition(100);
    ///     assert_eq!(p.range(world.rank() as usize), world.block(100));
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn partition(&self, len: usize) -> Partition {
        Partition::new(len, self.size_count())
    }

    /// This rank's block of `0..len` in [`partition(len)`](Self::partition).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     // This rank's share of 0..1000, in rank order, sizes differing by at most one.
    ///     let mine = world.block(1000);
    ///     let x: Vec<f64> = mine.map(|i| i as f64).collect();
    ///     assert!(x.len() >= 1000 / world.size() as usize);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn block(&self, len: usize) -> Range<usize> {
        self.partition(len).range(self.rank_index())
    }

    /// The rows of an array of `shape` split over the ranks.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::prelude::*;
    /// mpikit::run(|world| {
    ///     let p = world.comm().row_partition(&[100, 3]);
    ///     let mine = p.shape_of(world.rank() as usize);
    ///     assert_eq!(mine[1], 3);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    fn row_partition(&self, shape: &[usize]) -> RowPartition {
        RowPartition::new(shape, self.size_count())
    }
}

impl<C: Communicator + ?Sized> Blocks for C {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exhaustive_small_partitions() {
        for len in 0..=64usize {
            for parts in 1..=17usize {
                let p = Partition::new(len, parts);
                let counts = p.counts();
                let displs = p.displs();
                assert_eq!(counts.len(), parts);
                assert_eq!(counts.iter().sum::<usize>(), len, "len {len} parts {parts}");
                let (lo, hi) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
                assert!(hi - lo <= 1, "unbalanced: {counts:?}");
                // Non-increasing: the larger parts come first.
                assert!(counts.windows(2).all(|w| w[0] >= w[1]), "{counts:?}");
                // Contiguous, disjoint, in order, covering 0..len; owner agrees with ranges.
                let mut next = 0;
                for part in 0..parts {
                    let r = p.range(part);
                    assert_eq!(r.start, next);
                    assert_eq!(r.start, displs[part]);
                    assert_eq!(r.len(), counts[part]);
                    for i in r.clone() {
                        assert_eq!(p.owner(i), part, "len {len} parts {parts} index {i}");
                    }
                    next = r.end;
                }
                assert_eq!(next, len);
            }
        }
    }

    #[test]
    fn fewer_items_than_parts() {
        let p = Partition::new(3, 8);
        assert_eq!(p.counts(), vec![1, 1, 1, 0, 0, 0, 0, 0]);
        assert_eq!(p.range(7), 3..3);
        let empty = Partition::new(0, 4);
        assert!(empty.is_empty());
        assert!(empty.counts().iter().all(|&c| c == 0));
    }

    #[test]
    fn large_lengths_do_not_overflow() {
        let len = usize::MAX / 2;
        let p = Partition::new(len, 7);
        assert_eq!(p.range(6).end, len);
        assert_eq!(p.owner(len - 1), 6);
    }

    #[test]
    fn row_partition_in_elements() {
        for rows in 0..12usize {
            for parts in 1..6usize {
                let p = RowPartition::new(&[rows, 4, 2], parts);
                let counts = p.element_counts();
                let displs = p.element_displs();
                assert_eq!(counts.iter().sum::<usize>(), rows * 8);
                for part in 0..parts {
                    assert_eq!(counts[part], p.shape_of(part).iter().product::<usize>());
                    assert_eq!(displs[part], p.rows().displ(part) * 8);
                }
            }
        }
        assert_eq!(RowPartition::new(&[], 3).element_counts(), vec![1, 0, 0]);
    }
}
