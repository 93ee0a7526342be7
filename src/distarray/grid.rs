//! How a global array is cut into blocks over a Cartesian grid of ranks: ranks along each
//! axis, block lengths along each axis, which rank owns which block, and global ↔ local
//! indices. Pure arithmetic: the same on every rank, no MPI.

use crate::data::partition::Partition;
use crate::error::{Error, Result};

/// A decomposition of a global shape over a grid of ranks: `dims[a]` ranks along axis `a`
/// (1 where the axis is not split), blocks of `counts[a][k]` elements along it. Ranks are
/// laid out in row-major order over the grid (the last axis fastest, as `MPI_Cart_create`
/// numbers them).
///
/// # Examples
/// ```
/// use mpikit::Grid;
/// // 10 x 7 over 6 ranks, both axes split, balanced: a 3 x 2 grid.
/// let grid = Grid::balanced(&[10, 7], 6, &[0, 1]).unwrap();
/// assert_eq!(grid.dims(), &[3, 2]);
/// assert_eq!(grid.coords(5), vec![2, 1]);
/// assert_eq!(grid.block_shape(5), vec![3, 3]);
/// assert_eq!(grid.block_offset(5), vec![7, 4]);
/// assert_eq!(grid.owner(&[9, 6]), Some((5, vec![2, 2])));
/// // Rows only (the default), and irregular rows.
/// assert_eq!(Grid::rows(&[10, 7], 4).block_shape(0), vec![3, 7]);
/// let uneven = Grid::with_counts(&[10, 7], vec![vec![0, 9, 1], vec![7]]).unwrap();
/// assert_eq!(uneven.block_shape(1), vec![9, 7]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grid {
    shape: Vec<usize>,
    dims: Vec<usize>,
    counts: Vec<Vec<usize>>,
}

impl Grid {
    /// Axis 0 split over `ranks` in balanced blocks (the first `len % ranks` one longer), the
    /// other axes whole.
    ///
    /// # Panics
    /// If `shape` is empty or `ranks` is zero.
    ///
    /// # Examples
    /// ```
    /// use mpikit::Grid;
    /// // 10 rows over 4 ranks: 3, 3, 2 and 2 rows, all 7 columns each.
    /// let grid = Grid::rows(&[10, 7], 4);
    /// assert_eq!(grid.dims(), &[4, 1]);
    /// assert_eq!(grid.counts(0), &[3, 3, 2, 2]);
    /// ```
    pub fn rows(shape: &[usize], ranks: usize) -> Grid {
        assert!(
            !shape.is_empty() && ranks > 0,
            "a grid needs an axis and a rank"
        );
        let mut dims = vec![1; shape.len()];
        dims[0] = ranks;
        Grid::with_dims(shape, &dims).expect("a row split is always valid")
    }

    /// `ranks` spread over `axes` as evenly as `MPI_Dims_create` spreads them (the prime
    /// factors handed out largest first to the axis with the fewest ranks; more ranks on the
    /// earlier axes), balanced blocks along each.
    ///
    /// # Examples
    /// ```
    /// use mpikit::Grid;
    /// // 12 ranks over all three axes, as MPI_Dims_create(12, 3) spreads them.
    /// let cube = Grid::balanced(&[100, 100, 100], 12, &[0, 1, 2]).unwrap();
    /// assert_eq!(cube.dims(), &[3, 2, 2]);
    /// // Axis 0 left whole.
    /// let pencils = Grid::balanced(&[100, 100, 100], 12, &[1, 2]).unwrap();
    /// assert_eq!(pencils.dims(), &[1, 4, 3]);
    /// ```
    pub fn balanced(shape: &[usize], ranks: usize, axes: &[usize]) -> Result<Grid> {
        if ranks == 0 || axes.is_empty() || axes.iter().any(|&a| a >= shape.len()) {
            return Err(Error::Shape(format!(
                "grid: {ranks} ranks over axes {axes:?} of a {}-axis array: need at least one \
                 rank and one existing axis",
                shape.len()
            )));
        }
        let mut split = vec![1usize; axes.len()];
        for p in prime_factors(ranks).into_iter().rev() {
            let smallest = (0..split.len()).min_by_key(|&i| split[i]).expect("an axis");
            split[smallest] *= p;
        }
        split.sort_unstable_by(|a, b| b.cmp(a));
        let mut dims = vec![1; shape.len()];
        let mut sorted_axes = axes.to_vec();
        sorted_axes.sort_unstable();
        sorted_axes.dedup();
        if sorted_axes.len() != axes.len() {
            return Err(Error::Shape(format!("grid: axes {axes:?} repeat an axis")));
        }
        for (&a, &d) in sorted_axes.iter().zip(&split) {
            dims[a] = d;
        }
        Grid::with_dims(shape, &dims)
    }

    /// `dims[a]` ranks along axis `a` (one entry per axis, each at least 1), balanced blocks.
    ///
    /// # Examples
    /// ```
    /// use mpikit::Grid;
    /// let grid = Grid::with_dims(&[10, 7], &[2, 3]).unwrap();
    /// assert_eq!(grid.ranks(), 6);
    /// assert_eq!(grid.counts(1), &[3, 2, 2]);
    /// assert!(Grid::with_dims(&[10, 7], &[2]).is_err()); // one entry per axis
    /// ```
    pub fn with_dims(shape: &[usize], dims: &[usize]) -> Result<Grid> {
        if shape.is_empty() || dims.len() != shape.len() || dims.contains(&0) {
            return Err(Error::Shape(format!(
                "grid: dims {dims:?} for shape {shape:?}: need one entry of at least 1 per axis"
            )));
        }
        let counts = shape
            .iter()
            .zip(dims)
            .map(|(&n, &d)| Partition::new(n, d).counts())
            .collect();
        Grid::with_counts(shape, counts)
    }

    /// Irregular blocks: `counts[a]` lists the block lengths along axis `a` (as many as
    /// ranks along that axis, adding up to the axis length; zeros allowed).
    ///
    /// # Examples
    /// ```
    /// use mpikit::Grid;
    /// // Rows 0, 9 and 1 over three ranks: rank 0's block is empty.
    /// let grid = Grid::with_counts(&[10, 7], vec![vec![0, 9, 1], vec![7]]).unwrap();
    /// assert_eq!(grid.block_shape(0), vec![0, 7]);
    /// assert_eq!(grid.block_offset(2), vec![9, 0]);
    /// assert!(Grid::with_counts(&[10], vec![vec![4, 4]]).is_err()); // 8 rows, not 10
    /// ```
    pub fn with_counts(shape: &[usize], counts: Vec<Vec<usize>>) -> Result<Grid> {
        let ok = !shape.is_empty()
            && counts.len() == shape.len()
            && counts
                .iter()
                .zip(shape)
                .all(|(c, &n)| !c.is_empty() && c.iter().sum::<usize>() == n);
        if !ok {
            return Err(Error::Shape(format!(
                "grid: block counts {counts:?} for shape {shape:?}: need one non-empty list per \
                 axis adding up to its length"
            )));
        }
        Ok(Grid {
            shape: shape.to_vec(),
            dims: counts.iter().map(Vec::len).collect(),
            counts,
        })
    }

    /// The global shape.
    ///
    /// # Examples
    /// ```
    /// use mpikit::Grid;
    /// assert_eq!(Grid::rows(&[10, 7], 4).shape(), &[10, 7]);
    /// ```
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// Ranks along each axis.
    ///
    /// # Examples
    /// ```
    /// use mpikit::Grid;
    /// let grid = Grid::balanced(&[10, 7], 6, &[0, 1]).unwrap();
    /// assert_eq!(grid.dims(), &[3, 2]);
    /// ```
    pub fn dims(&self) -> &[usize] {
        &self.dims
    }

    /// Block lengths along axis `axis`.
    ///
    /// # Examples
    /// ```
    /// use mpikit::Grid;
    /// let grid = Grid::with_dims(&[10, 7], &[3, 2]).unwrap();
    /// assert_eq!(grid.counts(0), &[4, 3, 3]);
    /// assert_eq!(grid.counts(1), &[4, 3]);
    /// ```
    pub fn counts(&self, axis: usize) -> &[usize] {
        &self.counts[axis]
    }

    /// How many ranks the grid needs: the product of [`dims`](Self::dims).
    ///
    /// # Examples
    /// ```
    /// use mpikit::Grid;
    /// assert_eq!(Grid::with_dims(&[10, 7], &[3, 2]).unwrap().ranks(), 6);
    /// ```
    pub fn ranks(&self) -> usize {
        self.dims.iter().product()
    }

    /// The grid coordinates of `rank` (row-major, the last axis fastest).
    ///
    /// # Examples
    /// ```
    /// use mpikit::Grid;
    /// // A 3 x 2 grid: ranks 0 1 / 2 3 / 4 5.
    /// let grid = Grid::with_dims(&[10, 7], &[3, 2]).unwrap();
    /// assert_eq!(grid.coords(1), vec![0, 1]);
    /// assert_eq!(grid.coords(4), vec![2, 0]);
    /// ```
    pub fn coords(&self, rank: usize) -> Vec<usize> {
        let mut rest = rank;
        let mut coords = vec![0; self.dims.len()];
        for (c, &d) in coords.iter_mut().zip(&self.dims).rev() {
            *c = rest % d;
            rest /= d;
        }
        coords
    }

    /// The rank at grid coordinates `coords`.
    ///
    /// # Examples
    /// ```
    /// use mpikit::Grid;
    /// let grid = Grid::with_dims(&[10, 7], &[3, 2]).unwrap();
    /// assert_eq!(grid.rank_of(&[1, 0]), 2);
    /// // The inverse of `coords`.
    /// assert!((0..grid.ranks()).all(|r| grid.rank_of(&grid.coords(r)) == r));
    /// ```
    pub fn rank_of(&self, coords: &[usize]) -> usize {
        coords
            .iter()
            .zip(&self.dims)
            .fold(0, |acc, (&c, &d)| acc * d + c)
    }

    /// The shape of `rank`'s block.
    ///
    /// # Examples
    /// ```
    /// use mpikit::Grid;
    /// let grid = Grid::with_dims(&[10, 7], &[3, 2]).unwrap();
    /// assert_eq!(grid.block_shape(0), vec![4, 4]);
    /// assert_eq!(grid.block_shape(5), vec![3, 3]);
    /// ```
    pub fn block_shape(&self, rank: usize) -> Vec<usize> {
        let coords = self.coords(rank);
        (0..self.dims.len())
            .map(|a| self.counts[a][coords[a]])
            .collect()
    }

    /// The global index of the first element of `rank`'s block.
    ///
    /// # Examples
    /// ```
    /// use mpikit::Grid;
    /// let grid = Grid::with_dims(&[10, 7], &[3, 2]).unwrap();
    /// assert_eq!(grid.block_offset(0), vec![0, 0]);
    /// assert_eq!(grid.block_offset(3), vec![4, 4]);
    /// ```
    pub fn block_offset(&self, rank: usize) -> Vec<usize> {
        let coords = self.coords(rank);
        (0..self.dims.len())
            .map(|a| self.counts[a][..coords[a]].iter().sum())
            .collect()
    }

    /// The rank owning global `index` and the index inside its block, or `None` outside the
    /// shape.
    ///
    /// # Examples
    /// ```
    /// use mpikit::Grid;
    /// let grid = Grid::with_dims(&[10, 7], &[3, 2]).unwrap();
    /// // Element (5, 5) is element (1, 1) of rank 3's block, which starts at (4, 4).
    /// assert_eq!(grid.owner(&[5, 5]), Some((3, vec![1, 1])));
    /// assert_eq!(grid.owner(&[10, 0]), None);
    /// ```
    pub fn owner(&self, index: &[usize]) -> Option<(usize, Vec<usize>)> {
        if index.len() != self.shape.len() || index.iter().zip(&self.shape).any(|(i, n)| i >= n) {
            return None;
        }
        let mut coords = Vec::with_capacity(index.len());
        let mut local = Vec::with_capacity(index.len());
        for (a, &i) in index.iter().enumerate() {
            let mut start = 0;
            let k = self.counts[a]
                .iter()
                .position(|&c| {
                    let inside = i < start + c;
                    if !inside {
                        start += c;
                    }
                    inside
                })
                .expect("inside the shape");
            coords.push(k);
            local.push(i - start);
        }
        Some((self.rank_of(&coords), local))
    }

    /// A compact description for error messages and cross-rank checks.
    pub(crate) fn encode(&self) -> Vec<u64> {
        let mut code = vec![self.shape.len() as u64];
        code.extend(self.shape.iter().map(|&n| n as u64));
        for c in &self.counts {
            code.push(c.len() as u64);
            code.extend(c.iter().map(|&n| n as u64));
        }
        code
    }
}

/// The prime factors of `n`, smallest first.
fn prime_factors(mut n: usize) -> Vec<usize> {
    let mut factors = Vec::new();
    let mut p = 2;
    while p * p <= n {
        while n % p == 0 {
            factors.push(p);
            n /= p;
        }
        p += 1;
    }
    if n > 1 {
        factors.push(n);
    }
    factors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balanced_grids_match_mpi_dims_create() {
        // MPI_Dims_create(n, 2) and (n, 3) for small n, as MPI documents them.
        let cases: [(usize, usize, &[usize]); 6] = [
            (6, 2, &[3, 2]),
            (7, 2, &[7, 1]),
            (12, 2, &[4, 3]),
            (8, 3, &[2, 2, 2]),
            (12, 3, &[3, 2, 2]),
            (1, 2, &[1, 1]),
        ];
        for (n, k, want) in cases {
            let shape = vec![100; k];
            let axes: Vec<usize> = (0..k).collect();
            assert_eq!(
                Grid::balanced(&shape, n, &axes).unwrap().dims(),
                want,
                "{n} over {k}"
            );
        }
    }

    #[test]
    fn every_element_has_one_owner() {
        let grid = Grid::with_counts(&[5, 4, 3], vec![vec![2, 0, 3], vec![4], vec![1, 2]]).unwrap();
        let mut seen = vec![0usize; 60];
        for rank in 0..grid.ranks() {
            let (shape, offset) = (grid.block_shape(rank), grid.block_offset(rank));
            for i in 0..shape[0] {
                for j in 0..shape[1] {
                    for k in 0..shape[2] {
                        let g = [offset[0] + i, offset[1] + j, offset[2] + k];
                        assert_eq!(grid.owner(&g), Some((rank, vec![i, j, k])));
                        seen[g[0] * 12 + g[1] * 3 + g[2]] += 1;
                    }
                }
            }
        }
        assert!(seen.iter().all(|&s| s == 1));
        assert_eq!(grid.owner(&[5, 0, 0]), None);
    }

    #[test]
    fn bad_grids_are_errors() {
        assert!(Grid::with_dims(&[4, 4], &[2]).is_err());
        assert!(Grid::with_dims(&[4, 4], &[0, 1]).is_err());
        assert!(Grid::with_counts(&[4], vec![vec![1, 2]]).is_err());
        assert!(Grid::balanced(&[4, 4], 4, &[2]).is_err());
        assert!(Grid::balanced(&[4, 4], 4, &[0, 0]).is_err());
    }
}
