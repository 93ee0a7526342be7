//! One-sided access to a [`DistArray`] (Global Arrays' `NGA_Get`/`NGA_Put`/`NGA_Acc`): any
//! rank reads, writes or combines into any box of global indices without the owners' help,
//! through a window over every rank's block ([`OneSided`]).

use ndarray::{Array, ArrayView, Dimension};

use crate::buffers::Element;
use crate::collective::object::ObjectCollectives;
use crate::distarray::array::{shaped, DistArray};
use crate::error::{Error, Result};
use crate::rma::{Access, RmaOp, Window};

/// One-sided access to a [`DistArray`], open from [`DistArray::one_sided`] until dropped
/// (both collective). Every rank may [`get`](OneSided::get), [`put`](OneSided::put) or
/// [`accumulate`](OneSided::accumulate) any box of global indices, or
/// [`fetch_and_op`](OneSided::fetch_and_op) one element, while the owners compute: each
/// call splits the box by owner, issues one MPI call per contiguous run in the owner's
/// block and completes them all at the origin before it returns. Other ranks see the
/// changes after [`sync`](OneSided::sync) (collective), after which the local block is
/// this rank's again through [`local_mut`](OneSided::local_mut) until the next accesses.
///
/// # Examples
/// ```no_run
/// use mpikit::{DistArray, Grid, ReduceOp};
/// use mpikit::ndarray::{array, Ix2};
/// mpikit::run(|world| {
///     let size = world.size() as usize;
///     let mut a = DistArray::<f64, Ix2>::zeros(world, Grid::rows(&[8, 8], size))?;
///     let mut access = a.one_sided()?;
///     // Every rank adds one to the same 2 x 2 box, wherever it lives.
///     access.accumulate(&[3, 3], &array![[1.0, 1.0], [1.0, 1.0]].view(), ReduceOp::Sum)?;
///     access.sync()?;
///     let corner = access.get(&[3, 3], &[2, 2])?;
///     assert!(corner.iter().all(|&x| x == size as f64));
///     Ok::<(), mpikit::Error>(())
/// });
/// ```
pub struct OneSided<'a, T: Element, D: Dimension> {
    array: &'a mut DistArray<T, D>,
    win: Window<T>,
    /// Every rank's stored block (its shape with ghosts) and ghost widths before it.
    layouts: Vec<(Vec<usize>, Vec<usize>)>,
}

/// One contiguous run of a box: the rank that owns it, where it starts in the owner's
/// storage, where in the box (flat, standard order), and its length.
struct Run {
    owner: usize,
    at: usize,
    in_box: usize,
    len: usize,
}

impl<T: Element, D: Dimension> DistArray<T, D> {
    /// Opens one-sided access to the array (collective): every rank's block moves into a
    /// window (`MPI_Win_allocate`) under a lock of all until the [`OneSided`] drops, when it
    /// moves back (two copies of the block meanwhile). The array is borrowed; its block is
    /// reached through [`OneSided::local_mut`].
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::{DistArray, Grid};
    /// use mpikit::ndarray::Ix1;
    /// mpikit::run(|world| {
    ///     let mut a = DistArray::<i64, Ix1>::zeros(world, Grid::rows(&[100], world.size() as usize))?;
    ///     let access = a.one_sided()?;
    ///     let ticket = access.fetch_and_op(&[0], 1, mpikit::ReduceOp::Sum)?;
    ///     assert!(ticket < world.size() as i64);
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn one_sided(&mut self) -> Result<OneSided<'_, T, D>> {
        let standard = self.data.is_standard_layout();
        let mine = (
            self.data.shape().to_vec(),
            self.ghosts.iter().map(|g| g[0]).collect::<Vec<usize>>(),
            standard,
        );
        let all = self.comm.allgather_objects(&mine)?;
        if let Some(r) = all.iter().position(|l| !l.2) {
            return Err(Error::Shape(format!(
                "one_sided: rank {r}'s block is not in standard layout"
            )));
        }
        let layouts = all.into_iter().map(|(s, g, _)| (s, g)).collect();
        // The block moves into memory MPI allocates for the window (Win_create over the
        // array's own memory is refused by Open MPI 4.1's default one-sided component
        // under `pml ob1`), and back when the access ends.
        let mut win = Window::<T>::allocate(&*self.comm, self.data.len())?;
        let block = self.data.as_slice().expect("standard layout (checked)");
        win.local_mut().copy_from_slice(block);
        win.fence_with(|_| Ok(()))?; // every copy in place before any access
        win.lock_all_for_life()?;
        Ok(OneSided {
            array: self,
            win,
            layouts,
        })
    }
}

impl<T: Element, D: Dimension> OneSided<'_, T, D> {
    /// The runs of the box `start + shape`: an `Err` for a box outside the array.
    fn runs(&self, start: &[usize], shape: &[usize], what: &str) -> Result<Vec<Run>> {
        let grid = &self.array.grid;
        let full = grid.shape();
        let inside = start.len() == full.len()
            && shape.len() == full.len()
            && (0..full.len())
                .all(|a| start[a].checked_add(shape[a]).is_some_and(|e| e <= full[a]));
        if !inside {
            return Err(Error::Shape(format!(
                "{what}: the box at {start:?} of shape {shape:?} is not inside the array's {full:?}"
            )));
        }
        let mut runs = Vec::new();
        if shape.contains(&0) {
            return Ok(runs);
        }
        let n = full.len();
        let last = n - 1;
        // Walk every row of the box (all axes but the last), and cut each row at the
        // owners' boundaries along the last axis.
        let mut index = vec![0usize; n];
        loop {
            let mut col = 0;
            while col < shape[last] {
                let mut g: Vec<usize> = (0..n).map(|a| start[a] + index[a]).collect();
                g[last] = start[last] + col;
                let (owner, local) = grid
                    .owner(&g)
                    .ok_or_else(|| Error::Shape(format!("{what}: {g:?} has no owner")))?;
                let block = grid.block_shape(owner);
                let len = (block[last] - local[last]).min(shape[last] - col);
                let (stored, ghosts) = &self.layouts[owner];
                let at = (0..n).fold(0, |acc, a| acc * stored[a] + local[a] + ghosts[a]);
                let in_box = (0..n).fold(0, |acc, a| {
                    acc * shape[a] + if a == last { col } else { index[a] }
                });
                runs.push(Run {
                    owner,
                    at,
                    in_box,
                    len,
                });
                col += len;
            }
            // The next row.
            let mut a = last;
            loop {
                if a == 0 {
                    return Ok(runs);
                }
                a -= 1;
                index[a] += 1;
                if index[a] < shape[a] {
                    break;
                }
                index[a] = 0;
            }
        }
    }

    /// The box of `shape` at global `start`, read from its owners.
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::{DistArray, Grid};
    /// # use mpikit::ndarray::Ix2;
    /// # mpikit::run(|world| {
    /// let mut a = DistArray::<u32, Ix2>::from_fn(world, Grid::rows(&[6, 4], world.size() as usize), |g| (10 * g[0] + g[1]) as u32)?;
    /// let access = a.one_sided()?;
    /// let b = access.get(&[4, 1], &[2, 2])?;
    /// assert_eq!(b[[1, 1]], 52);
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn get(&self, start: &[usize], shape: &[usize]) -> Result<Array<T, D>> {
        let runs = self.runs(start, shape, "get")?;
        let mut out = vec![T::default(); shape.iter().product()];
        let access = Access::new(&self.win, None);
        for r in &runs {
            let buf = &mut out[r.in_box..r.in_box + r.len];
            // SAFETY: completed at the origin by the flush below, before `out` is read or
            // moved.
            unsafe { access.get(r.owner as i32, r.at, buf)? };
        }
        self.win
            .flush_targets(runs.iter().map(|r| r.owner as i32), false);
        shaped(shape, out)
    }

    /// Writes `values` into the box at global `start` (of `values`' shape).
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::{DistArray, Grid};
    /// # use mpikit::ndarray::{array, Ix1};
    /// # mpikit::run(|world| {
    /// let mut a = DistArray::<f32, Ix1>::zeros(world, Grid::rows(&[10], world.size() as usize))?;
    /// let mut access = a.one_sided()?;
    /// if world.rank() == 0 {
    ///     access.put(&[8], &array![1.0, 2.0].view())?;
    /// }
    /// access.sync()?;
    /// assert_eq!(access.get(&[8], &[2])?, array![1.0, 2.0]);
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn put(&self, start: &[usize], values: &ArrayView<'_, T, D>) -> Result<()> {
        self.combine(start, values, None, "put")
    }

    /// Combines `values` into the box at global `start` with `op`, atomically per element
    /// (`ReduceOp`s, or `RmaOp::Replace`).
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::{DistArray, Grid, ReduceOp};
    /// # use mpikit::ndarray::{array, Ix1};
    /// # mpikit::run(|world| {
    /// let mut a = DistArray::<u64, Ix1>::zeros(world, Grid::rows(&[4], world.size() as usize))?;
    /// let mut access = a.one_sided()?;
    /// access.accumulate(&[0], &array![1u64, 1, 1, 1].view(), ReduceOp::Sum)?;
    /// access.sync()?;
    /// assert_eq!(access.get(&[0], &[4])?.sum(), 4 * world.size() as u64);
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn accumulate(
        &self,
        start: &[usize],
        values: &ArrayView<'_, T, D>,
        op: impl Into<RmaOp>,
    ) -> Result<()> {
        self.combine(start, values, Some(op.into()), "accumulate")
    }

    fn combine(
        &self,
        start: &[usize],
        values: &ArrayView<'_, T, D>,
        op: Option<RmaOp>,
        what: &str,
    ) -> Result<()> {
        let runs = self.runs(start, values.shape(), what)?;
        let data = values.as_standard_layout();
        let flat = data.as_slice().expect("standard layout");
        let access = Access::new(&self.win, None);
        for r in &runs {
            let from = &flat[r.in_box..r.in_box + r.len];
            let target = (r.owner as i32, r.at);
            // SAFETY: completed at the origin by the flush below, before `data` goes.
            unsafe {
                match op {
                    None => access.put(target.0, target.1, from)?,
                    Some(op) => access.accumulate(target, from, None, op)?,
                }
            }
        }
        self.win
            .flush_targets(runs.iter().map(|r| r.owner as i32), false);
        Ok(())
    }

    /// Combines `values[k]` into the element at flat (C-order) global index `points[k]` with
    /// `op`, for every `k`, atomically per element: scattered updates (the GUPS pattern), one
    /// MPI call each and one completion for all. An `Err` for a point outside the array or
    /// lengths that differ.
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::{DistArray, Grid, ReduceOp};
    /// # use mpikit::ndarray::Ix2;
    /// # mpikit::run(|world| {
    /// let mut a = DistArray::<u64, Ix2>::zeros(world, Grid::rows(&[4, 4], world.size() as usize))?;
    /// let mut access = a.one_sided()?;
    /// access.accumulate_points(&[0, 5, 15], &[1, 2, 4], ReduceOp::BitXor)?;
    /// access.sync()?;
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn accumulate_points(
        &self,
        points: &[usize],
        values: &[T],
        op: impl Into<RmaOp>,
    ) -> Result<()> {
        if points.len() != values.len() {
            return Err(Error::Shape(format!(
                "accumulate_points: {} points and {} values",
                points.len(),
                values.len()
            )));
        }
        let shape = self.array.grid.shape().to_vec();
        let total: usize = shape.iter().product();
        let (op, ones) = (op.into(), vec![1; shape.len()]);
        // Every point checked before the first MPI call: an Err leaves nothing in flight.
        let mut targets = Vec::with_capacity(points.len());
        for &p in points {
            if p >= total {
                return Err(Error::Shape(format!(
                    "accumulate_points: flat index {p} of an array of {total} elements"
                )));
            }
            let mut index = vec![0; shape.len()];
            let mut rest = p;
            for a in (0..shape.len()).rev() {
                index[a] = rest % shape[a];
                rest /= shape[a];
            }
            let run = &self.runs(&index, &ones, "accumulate_points")?[0];
            targets.push((run.owner as i32, run.at));
        }
        let access = Access::new(&self.win, None);
        for (&target, v) in targets.iter().zip(values) {
            // SAFETY: completed at the origin by the flush below, before `values` goes.
            unsafe { access.accumulate(target, std::slice::from_ref(v), None, op)? };
        }
        let owners = targets.iter().map(|t| t.0);
        self.win.flush_targets(owners, false);
        Ok(())
    }

    /// Combines `value` into the element at global `index` with `op` and returns the element
    /// from before, atomically (`MPI_Fetch_and_op`): a fetch-and-add with `ReduceOp::Sum`.
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::{DistArray, Grid, ReduceOp};
    /// # use mpikit::ndarray::Ix1;
    /// # mpikit::run(|world| {
    /// let mut a = DistArray::<i32, Ix1>::zeros(world, Grid::rows(&[3], world.size() as usize))?;
    /// let access = a.one_sided()?;
    /// let before = access.fetch_and_op(&[2], 5, ReduceOp::Sum)?;
    /// assert_eq!(before % 5, 0);
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn fetch_and_op(&self, index: &[usize], value: T, op: impl Into<RmaOp>) -> Result<T> {
        let ones = vec![1; index.len()];
        let runs = self.runs(index, &ones, "fetch_and_op")?;
        let r = &runs[0];
        self.win
            .held()
            .fetch_and_op(r.owner as i32, r.at, value, op)
    }

    /// Completes every rank's accesses so far everywhere (collective): afterwards each rank
    /// sees all of them in its block and in what it gets.
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::{DistArray, Grid};
    /// # use mpikit::ndarray::Ix1;
    /// # mpikit::run(|world| {
    /// let mut a = DistArray::<u8, Ix1>::zeros(world, Grid::rows(&[4], world.size() as usize))?;
    /// let mut access = a.one_sided()?;
    /// access.sync()?;
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn sync(&mut self) -> Result<()> {
        self.win.flush_everywhere();
        self.win.sync_with(&*self.array.comm);
        Ok(())
    }

    /// This rank's block, between [`sync`](OneSided::sync)s: complete with every access
    /// synced before, and the others' to come land only after the next sync.
    ///
    /// # Examples
    /// ```no_run
    /// # use mpikit::{DistArray, Grid};
    /// # use mpikit::ndarray::Ix1;
    /// # mpikit::run(|world| {
    /// let mut a = DistArray::<u8, Ix1>::zeros(world, Grid::rows(&[4], world.size() as usize))?;
    /// let mut access = a.one_sided()?;
    /// access.sync()?;
    /// access.local_mut().fill(1);
    /// access.sync()?;
    /// # Ok::<(), mpikit::Error>(()) });
    /// ```
    pub fn local_mut(&mut self) -> ndarray::ArrayViewMut<'_, T, D> {
        let stored = self.array.data.raw_dim();
        let ghosts = &self.array.ghosts;
        let all = ndarray::ArrayViewMut::from_shape(stored, self.win.local_mut())
            .expect("the window holds the stored block");
        all.slice_each_axis_inplace_into(ghosts)
    }
}

/// The block of `all` inside `ghosts`.
trait Interior<'a, T, D: Dimension> {
    fn slice_each_axis_inplace_into(self, ghosts: &[[usize; 2]])
        -> ndarray::ArrayViewMut<'a, T, D>;
}

impl<'a, T, D: Dimension> Interior<'a, T, D> for ndarray::ArrayViewMut<'a, T, D> {
    fn slice_each_axis_inplace_into(
        mut self,
        ghosts: &[[usize; 2]],
    ) -> ndarray::ArrayViewMut<'a, T, D> {
        self.slice_each_axis_inplace(|ax| {
            let g = ghosts[ax.axis.index()];
            ndarray::Slice::from(g[0]..ax.len - g[1])
        });
        self
    }
}

impl<T: Element, D: Dimension> Drop for OneSided<'_, T, D> {
    fn drop(&mut self) {
        // Every access complete and visible before the window goes (collective, as the
        // window's own free is).
        self.win.flush_everywhere();
        self.win.sync_with(&*self.array.comm);
        let block = self
            .array
            .data
            .as_slice_mut()
            .expect("standard layout (checked)");
        block.copy_from_slice(self.win.local_mut());
    }
}
