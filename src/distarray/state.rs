//! What a [`DistArray`](crate::DistArray) keeps between calls besides its data: the halo's
//! settings ([`Halo`], [`Boundary`]), its neighbours, persistent buffers, face copies and
//! requests in flight (`HaloState`, which waits for them when dropped), and the boxes of the
//! last stencil's range (`StencilBoxes`). The calls that fill them are in `halo.rs` and
//! `stencil.rs`.

use std::ops::Range;

use crate::raw::MPI_Request;

use crate::collective::element::Element;
use crate::collective::pending::wait_all;
use crate::distarray::copy::{Assign, BoxCopy, Combine, Side};

/// What lies past the global edge of an axis.
///
/// # Examples
/// ```
/// use mpikit::distarray::{Boundary, Halo};
/// // Zero past both ends of axis 0; axis 1 wraps around.
/// let halo = Halo::new(2, 1)
///     .boundary(0, Boundary::Constant(0.0))
///     .boundary(1, Boundary::Periodic);
/// # let _: Halo<f64> = halo;
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Boundary<T> {
    /// Nothing: the edge's ghost cells keep what the program put there (fixed values).
    None,
    /// The far edge: the axis wraps around.
    Periodic,
    /// Every ghost cell past the edge holds this value.
    Constant(T),
    /// The block mirrored about the edge element, numpy's `pad(mode="reflect")`: the ghost
    /// next to `x[0]` is `x[1]`.
    Reflect,
}

/// Ghost widths, boundaries and corners for [`DistArray::set_halo`](crate::DistArray::set_halo).
///
/// # Examples
/// ```
/// use mpikit::distarray::{Boundary, Halo};
/// // Width 1 on every axis, periodic along axis 1, corners too (a 9-point stencil).
/// let halo = Halo::new(2, 1).boundary(1, Boundary::Periodic).corners(true);
/// # let _: Halo<f64> = halo;
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Halo<T> {
    pub(crate) widths: Vec<[usize; 2]>,
    pub(crate) boundaries: Vec<Boundary<T>>,
    pub(crate) corners: bool,
}

impl<T: Copy> Halo<T> {
    /// `width` ghost cells on both sides of each of `ndim` axes, no boundary values, no
    /// corners.
    ///
    /// # Examples
    /// ```
    /// use mpikit::distarray::Halo;
    /// // Two ghost cells on both sides of each of three axes.
    /// let halo: Halo<f64> = Halo::new(3, 2);
    /// assert_eq!(halo, Halo::new(3, 0).width(0, 2, 2).width(1, 2, 2).width(2, 2, 2));
    /// ```
    pub fn new(ndim: usize, width: usize) -> Halo<T> {
        Halo {
            widths: vec![[width, width]; ndim],
            boundaries: vec![Boundary::None; ndim],
            corners: false,
        }
    }

    /// `low` cells before and `high` after the block along `axis`.
    ///
    /// # Examples
    /// ```
    /// use mpikit::distarray::Halo;
    /// // An upwind scheme along axis 0: two cells before each block, none after, none along axis 1.
    /// let upwind: Halo<f64> = Halo::new(2, 0).width(0, 2, 0);
    /// # let _ = upwind;
    /// // Width 1 along axis 0 only.
    /// assert_eq!(Halo::<f64>::new(2, 1).width(1, 0, 0), Halo::new(2, 0).width(0, 1, 1));
    /// ```
    pub fn width(mut self, axis: usize, low: usize, high: usize) -> Halo<T> {
        if let Some(w) = self.widths.get_mut(axis) {
            *w = [low, high];
        }
        self
    }

    /// What lies past both global edges of `axis`.
    ///
    /// # Examples
    /// ```
    /// use mpikit::distarray::{Boundary, Halo};
    /// // A rod held at 100 degrees at both ends.
    /// let rod = Halo::new(1, 1).boundary(0, Boundary::Constant(100.0));
    /// // numpy's pad(mode="reflect") along both axes of an image.
    /// let image = Halo::new(2, 2).boundary(0, Boundary::Reflect).boundary(1, Boundary::Reflect);
    /// # let _: (Halo<f64>, Halo<f32>) = (rod, image);
    /// ```
    pub fn boundary(mut self, axis: usize, boundary: Boundary<T>) -> Halo<T> {
        if let Some(b) = self.boundaries.get_mut(axis) {
            *b = boundary;
        }
        self
    }

    /// Whether corner (and edge) ghost cells are filled too, for stencils that reach
    /// diagonally. Axes are then exchanged one after the other.
    ///
    /// # Examples
    /// ```
    /// use mpikit::distarray::Halo;
    /// // A 9-point stencil reads diagonal neighbours: fill the corner ghosts too.
    /// let nine_point: Halo<f64> = Halo::new(2, 1).corners(true);
    /// assert_ne!(nine_point, Halo::new(2, 1));
    /// ```
    pub fn corners(mut self, corners: bool) -> Halo<T> {
        self.corners = corners;
        self
    }
}

/// The halo of an array: its settings, its neighbours, persistent buffers, requests in flight.
pub(crate) struct HaloState<T> {
    pub(crate) halo: Halo<T>,
    /// Per axis: the ranks below and above (`None` past a non-periodic edge).
    pub(crate) neighbours: Vec<[Option<i32>; 2]>,
    /// Per axis and side: packed faces out, and ghost slabs in.
    pub(crate) send: Vec<[Vec<T>; 2]>,
    pub(crate) recv: Vec<[Vec<T>; 2]>,
    /// Per axis and side: the regions of the padded block sent, and the ghosts filled
    /// (worked out once, so a step allocates nothing).
    pub(crate) faces: Vec<[Region; 2]>,
    pub(crate) ghost_faces: Vec<[Region; 2]>,
    /// The same regions as copies between the padded block and a packed buffer.
    pub(crate) face_copies: Vec<[FaceCopy; 2]>,
    pub(crate) ghost_copies: Vec<[FaceCopy; 2]>,
    /// Per axis and side, where this rank is its own neighbour (periodic, one rank along
    /// the axis): the other side's face copied straight into these ghosts.
    pub(crate) own_copies: Vec<[Option<OwnCopy>; 2]>,
    pub(crate) requests: Vec<MPI_Request>,
    /// `Some(k)`: axes `0..k` are in flight, the rest still to run.
    pub(crate) in_flight: Option<usize>,
}

/// A region of the padded block: one range per axis.
pub(crate) type Region = Vec<Range<usize>>;

/// A region of the padded block as a copy to and from a packed buffer (worked out once, so
/// an exchange copies runs as slices and allocates nothing).
pub(crate) struct FaceCopy {
    pack: BoxCopy,
    unpack: BoxCopy,
}

impl FaceCopy {
    pub(crate) fn of(padded: &[usize], region: &Region) -> FaceCopy {
        let start: Vec<usize> = region.iter().map(|r| r.start).collect();
        let shape: Vec<usize> = region.iter().map(|r| r.len()).collect();
        let axes: Vec<usize> = (0..padded.len()).collect();
        let (block, packed) = (Side::of_box(padded, &start, &axes), Side::packed(&shape, 0));
        FaceCopy {
            pack: BoxCopy::new(&block, &packed, &shape),
            unpack: BoxCopy::new(&packed, &block, &shape),
        }
    }

    /// The region of `block` into `out`.
    pub(crate) fn pack<T: Element>(&self, block: &[T], out: &mut [T], pool: &rayon::ThreadPool) {
        self.pack
            .run(block, out, &Combine::<Assign<T>>::Assign, pool);
    }

    /// `packed` into the region of `block`.
    pub(crate) fn unpack<T: Element>(
        &self,
        packed: &[T],
        block: &mut [T],
        pool: &rayon::ThreadPool,
    ) {
        self.unpack
            .run(packed, block, &Combine::<Assign<T>>::Assign, pool);
    }
}

/// The face of one side copied into the ghosts of the other within the padded block, for an
/// axis where the rank is its own neighbour (no packed buffer, one copy).
pub(crate) struct OwnCopy(BoxCopy);

impl OwnCopy {
    /// The copy of region `face` into region `ghosts` (the same shape) of a padded block.
    ///
    /// # Panics
    /// If the regions differ in shape or overlap.
    pub(crate) fn of(padded: &[usize], face: &Region, ghosts: &Region) -> OwnCopy {
        let shape: Vec<usize> = face.iter().map(|r| r.len()).collect();
        assert_eq!(
            shape,
            ghosts.iter().map(|r| r.len()).collect::<Vec<_>>(),
            "a face and its ghosts of different shapes"
        );
        // Two boxes share no element when they are apart along some axis.
        assert!(
            face.iter()
                .zip(ghosts)
                .any(|(f, g)| f.end <= g.start || g.end <= f.start),
            "a face overlapping its ghosts"
        );
        let axes: Vec<usize> = (0..padded.len()).collect();
        let start = |r: &Region| r.iter().map(|r| r.start).collect::<Vec<_>>();
        let (from, to) = (
            Side::of_box(padded, &start(face), &axes),
            Side::of_box(padded, &start(ghosts), &axes),
        );
        OwnCopy(BoxCopy::new(&from, &to, &shape))
    }

    /// Runs the copy in `block` (the padded block the regions are of).
    pub(crate) fn run<T: Element>(&self, block: &mut [T], pool: &rayon::ThreadPool) {
        // SAFETY: the two regions share no element (asserted in `of`).
        unsafe { self.0.run_within(block, pool) }
    }
}

impl<T> Drop for HaloState<T> {
    fn drop(&mut self) {
        // MPI must never write into freed buffers.
        wait_all(&mut self.requests);
    }
}

/// The boxes of a stencil over one range, kept in the array while its layout stays the same.
pub(crate) struct StencilBoxes {
    pub(crate) reach: usize,
    pub(crate) within: Vec<Range<usize>>,
    /// Local boxes, each with whether the halo exchange must be finished before it.
    pub(crate) blocking: Vec<(Vec<Range<usize>>, bool)>,
    pub(crate) overlapped: Vec<(Vec<Range<usize>>, bool)>,
}

/// Disjoint boxes that, with `inner` (inside `outer`), cover `outer`.
pub(crate) fn rim_of(outer: &[Range<usize>], inner: &[Range<usize>]) -> Vec<Vec<Range<usize>>> {
    let nd = outer.len();
    let mut boxes = Vec::new();
    for a in 0..nd {
        for part in [outer[a].start..inner[a].start, inner[a].end..outer[a].end] {
            if part.is_empty() {
                continue;
            }
            let b: Vec<Range<usize>> = (0..nd)
                .map(|k| match k.cmp(&a) {
                    std::cmp::Ordering::Less => inner[k].clone(),
                    std::cmp::Ordering::Equal => part.clone(),
                    std::cmp::Ordering::Greater => outer[k].clone(),
                })
                .collect();
            if b.iter().all(|r| !r.is_empty()) {
                boxes.push(b);
            }
        }
    }
    boxes
}
