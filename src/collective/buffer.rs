//! What buffer collectives accept: slices, `Vec`s, fixed-size arrays and ndarray arrays or
//! views of any [`Element`] type, seen as one contiguous run of elements in standard (C)
//! order, with a shape.

use std::borrow::Cow;

use ndarray::{Array, ArrayBase, Data, DataMut, Dimension};

use crate::collective::element::Element;

/// A buffer that collectives can send: `[T]`, `Vec<T>`, `[T; N]`, or an ndarray array or view
/// (`Array`, `ArrayView`, `ArcArray`, ...) of an [`Element`] type `T`.
///
/// A slice or `Vec` is a 1-D array: its rows are its elements. Collectives that build a new
/// buffer return [`Owned`](Buffer::Owned): a `Vec<T>` for slices and `Vec`s, an
/// `Array<T, D>` of the same dimensionality for ndarray inputs. Arrays that are not in
/// standard layout (a transposed view, a strided slice) are copied once into standard order.
///
/// # Examples
/// ```no_run
/// use mpikit::prelude::*;
/// use mpikit::ndarray::array;
/// mpikit::run(|world| {
///     let v: Vec<u64> = vec![1, 2, 3];
///     let a = array![[1.0, 2.0], [3.0, 4.0]];
///     let from_vec: Vec<u64> = world.allgather_rows(&v)?;       // a Vec in, a Vec out
///     let from_slice: Vec<u64> = world.allgather_rows(&v[1..])?; // slices too
///     let from_array = world.allgather_rows(&a.t())?;          // an Array2 out
///     assert_eq!(from_array.nrows(), 2 * world.size() as usize);
///     Ok::<(), mpikit::Error>(())
/// });
/// ```
pub trait Buffer {
    /// The element type.
    type Elem: Element;
    /// What a collective returns for this kind of input: `Vec<T>` or `Array<T, D>`.
    type Owned: BufferMut<Elem = Self::Elem, Owned = Self::Owned>;

    /// The shape: `[len]` for slices and `Vec`s.
    ///
    /// # Examples
    /// ```
    /// use mpikit::buffers::Buffer;
    /// use mpikit::ndarray::Array2;
    /// assert_eq!(vec![1u8, 2, 3].buffer_shape(), vec![3]);
    /// assert_eq!(Array2::<f64>::zeros((2, 5)).buffer_shape(), vec![2, 5]);
    /// ```
    fn buffer_shape(&self) -> Vec<usize>;

    /// The number of elements.
    ///
    /// # Examples
    /// ```
    /// use mpikit::buffers::Buffer;
    /// use mpikit::ndarray::Array2;
    /// assert_eq!([1.0f32; 4].buffer_len(), 4);
    /// assert_eq!(Array2::<i32>::zeros((3, 2)).buffer_len(), 6);
    /// ```
    fn buffer_len(&self) -> usize;

    /// The elements in standard order: borrowed when they already are, else copied.
    ///
    /// # Examples
    /// ```
    /// use mpikit::buffers::Buffer;
    /// use mpikit::ndarray::array;
    /// let a = array![[1, 2], [3, 4]];
    /// assert_eq!(&*a.contiguous(), &[1, 2, 3, 4]); // borrowed: already in standard order
    /// assert_eq!(&*a.t().contiguous(), &[1, 3, 2, 4]); // a transposed view: copied
    /// ```
    fn contiguous(&self) -> Cow<'_, [Self::Elem]>;

    /// A new owned buffer of `shape` holding `data` (`data.len()` is the shape's product).
    ///
    /// # Panics
    /// If `shape` does not fit the buffer kind (two axes for a `Vec`, three for an `Array2`).
    ///
    /// # Examples
    /// ```
    /// use mpikit::buffers::Buffer;
    /// use mpikit::ndarray::Array2;
    /// let a = <Array2<f64> as Buffer>::from_parts(&[2, 3], vec![0.0; 6]);
    /// assert_eq!(a.shape(), &[2, 3]);
    /// let v = <Vec<u8> as Buffer>::from_parts(&[2], vec![7, 8]);
    /// assert_eq!(v, vec![7, 8]);
    /// ```
    fn from_parts(shape: &[usize], data: Vec<Self::Elem>) -> Self::Owned;
}

/// A buffer that collectives can write into (the `_into` calls): `[T]`, `Vec<T>`, `[T; N]`,
/// or a mutable ndarray array or view.
pub trait BufferMut: Buffer {
    /// The elements as one mutable slice, when they lie contiguous in standard order.
    ///
    /// # Examples
    /// ```
    /// use mpikit::buffers::BufferMut;
    /// use mpikit::ndarray::Array2;
    /// let mut a = Array2::<u16>::zeros((2, 2));
    /// a.contiguous_mut().expect("standard layout").fill(1);
    /// assert_eq!(a.sum(), 4);
    /// assert!(a.view_mut().reversed_axes().contiguous_mut().is_none()); // transposed
    /// ```
    fn contiguous_mut(&mut self) -> Option<&mut [Self::Elem]>;

    /// Overwrites the elements, in standard order, with `data` (of the same length).
    ///
    /// # Examples
    /// ```
    /// use mpikit::buffers::BufferMut;
    /// use mpikit::ndarray::{array, Array2};
    /// let mut a = Array2::<i32>::zeros((2, 2));
    /// a.view_mut().reversed_axes().assign_from(&[1, 2, 3, 4]); // in the view's order
    /// assert_eq!(a, array![[1, 3], [2, 4]]);
    /// ```
    fn assign_from(&mut self, data: &[Self::Elem]);
}

/// A buffer a non-blocking `_owned` call holds until it completes: a `Vec<T>` or an owned
/// `Array<T, D>` (moving one leaves its elements where they are), handed back by
/// [`Pending::wait`](crate::requests::Pending::wait). Implemented for every such buffer.
///
/// # Examples
/// ```
/// use mpikit::buffers::OwnedBuffer;
/// fn takes<B: OwnedBuffer>(b: B) -> B { b }
/// assert_eq!(takes(vec![1u8, 2]), vec![1, 2]);
/// ```
pub trait OwnedBuffer: Buffer<Owned = Self> + 'static {}

impl<B: Buffer<Owned = B> + 'static> OwnedBuffer for B {}

/// An owned buffer of elements `E` that a non-blocking `_owned` call writes into and hands
/// back: a `Vec<E>` or an owned `Array<E, D>`. Implemented for every such buffer.
///
/// # Examples
/// ```
/// use mpikit::buffers::OwnedBufferMut;
/// use mpikit::ndarray::Array2;
/// fn fill<R: OwnedBufferMut<f64>>(mut r: R) -> R { r.assign_from(&vec![1.0; r.buffer_len()]); r }
/// assert_eq!(fill(Array2::<f64>::zeros((2, 2))).sum(), 4.0);
/// ```
pub trait OwnedBufferMut<E: Element>: BufferMut<Elem = E, Owned = Self> + 'static {}

impl<E: Element, R: BufferMut<Elem = E, Owned = R> + 'static> OwnedBufferMut<E> for R {}

/// Runs `f` on `buf`'s elements as one contiguous slice, through a copy (written back
/// afterwards) if they are not contiguous in standard order.
pub(crate) fn with_contiguous_mut<B: BufferMut + ?Sized, R>(
    buf: &mut B,
    f: impl FnOnce(&mut [B::Elem]) -> R,
) -> R {
    if let Some(slice) = buf.contiguous_mut() {
        return f(slice);
    }
    let mut copy = buf.contiguous().into_owned();
    let result = f(&mut copy);
    buf.assign_from(&copy);
    result
}

/// The 1-D shape check behind `from_parts` for slices and `Vec`s.
fn vec_from_parts<T>(shape: &[usize], data: Vec<T>) -> Vec<T> {
    assert!(
        shape.len() == 1,
        "mpikit: a slice or Vec receives 1-D data, but the ranks sent shape {shape:?} \
         (use an ndarray array of that dimensionality)"
    );
    data
}

macro_rules! slice_like {
    ($(impl[$($g:tt)*] $ty:ty;)*) => {$(
        impl<$($g)*> Buffer for $ty {
            type Elem = T;
            type Owned = Vec<T>;

            fn buffer_shape(&self) -> Vec<usize> {
                vec![self.len()]
            }

            fn buffer_len(&self) -> usize {
                self.len()
            }

            fn contiguous(&self) -> Cow<'_, [T]> {
                Cow::Borrowed(&self[..])
            }

            fn from_parts(shape: &[usize], data: Vec<T>) -> Vec<T> {
                vec_from_parts(shape, data)
            }
        }

        impl<$($g)*> BufferMut for $ty {
            fn contiguous_mut(&mut self) -> Option<&mut [T]> {
                Some(&mut self[..])
            }

            fn assign_from(&mut self, data: &[T]) {
                self.copy_from_slice(data);
            }
        }
    )*};
}

slice_like! {
    impl[T: Element] [T];
    impl[T: Element] Vec<T>;
    impl[T: Element, const N: usize] [T; N];
}

impl<T, S, D> Buffer for ArrayBase<S, D>
where
    T: Element,
    S: Data<Elem = T>,
    D: Dimension,
{
    type Elem = T;
    type Owned = Array<T, D>;

    fn buffer_shape(&self) -> Vec<usize> {
        self.shape().to_vec()
    }

    fn buffer_len(&self) -> usize {
        self.len()
    }

    fn contiguous(&self) -> Cow<'_, [T]> {
        match self.as_slice() {
            Some(slice) => Cow::Borrowed(slice),
            None => Cow::Owned(self.iter().copied().collect()),
        }
    }

    fn from_parts(shape: &[usize], data: Vec<T>) -> Array<T, D> {
        if let Some(n) = D::NDIM {
            assert_eq!(
                n,
                shape.len(),
                "mpikit: an array of {n} axes receives data of shape {shape:?}"
            );
        }
        let mut dim = D::zeros(shape.len());
        dim.slice_mut().copy_from_slice(shape);
        Array::from_shape_vec(dim, data).expect("mpikit: length matches shape")
    }
}

impl<T, S, D> BufferMut for ArrayBase<S, D>
where
    T: Element,
    S: DataMut<Elem = T>,
    D: Dimension,
{
    fn contiguous_mut(&mut self) -> Option<&mut [T]> {
        self.as_slice_mut()
    }

    fn assign_from(&mut self, data: &[T]) {
        for (x, &d) in self.iter_mut().zip(data) {
            *x = d;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array2, Ix2};

    #[test]
    fn every_kind_gives_standard_order() {
        let v = vec![1u64, 2, 3, 4];
        assert_eq!(v.buffer_shape(), vec![4]);
        assert_eq!(&*v[1..].contiguous(), &[2, 3, 4]);
        assert_eq!(&*[5i32, 6].contiguous(), &[5, 6]);
        let a = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
        assert!(matches!(a.contiguous(), Cow::Borrowed(_)));
        let t = a.t();
        assert_eq!(t.buffer_shape(), vec![3, 2]);
        assert_eq!(&*t.contiguous(), &[1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
        let back: Array2<f64> = <Array2<f64> as Buffer>::from_parts(&[3, 2], t.to_vec_std());
        assert_eq!(back, t);
    }

    #[test]
    fn strided_targets_get_the_data_written_back() {
        let mut a = Array2::<i64>::zeros((2, 3));
        {
            let mut t = a.view_mut().reversed_axes();
            with_contiguous_mut(&mut t, |s| {
                assert_eq!(s.len(), 6);
                s.copy_from_slice(&[1, 2, 3, 4, 5, 6]);
            });
        }
        assert_eq!(a, array![[1, 3, 5], [2, 4, 6]]);
        let mut v = vec![0usize; 3];
        with_contiguous_mut(&mut v[..], |s| s.fill(7));
        assert_eq!(v, vec![7, 7, 7]);
    }

    #[test]
    #[should_panic(expected = "1-D data")]
    fn a_vec_refuses_two_axes() {
        let _ = <Vec<f64> as Buffer>::from_parts(&[2, 2], vec![0.0; 4]);
    }

    #[test]
    #[should_panic(expected = "2 axes")]
    fn an_array_refuses_another_dimensionality() {
        let _ = <ndarray::Array<f64, Ix2> as Buffer>::from_parts(&[4], vec![0.0; 4]);
    }

    trait ToVecStd {
        fn to_vec_std(&self) -> Vec<f64>;
    }
    impl ToVecStd for ndarray::ArrayView2<'_, f64> {
        fn to_vec_std(&self) -> Vec<f64> {
            self.iter().copied().collect()
        }
    }
}
