//! Unit tests of the parent module: box copies in every axis order, on one and several
//! threads, against an index-by-index copy; contiguity.
use super::*;

use crate::runtime::threads::test_pool as pool;

/// Every element of a box, copied with every axis order, against an index-by-index copy.
#[test]
fn boxes_in_every_axis_order() {
    // A small box, and one large enough for the threads.
    for (shape, start, size) in [
        ([5usize, 70, 9], [1usize, 3, 2], [3usize, 60, 6]),
        ([12, 100, 40], [1, 2, 3], [10, 90, 37]),
    ] {
        every_axis_order(shape, start, size);
    }
}

fn every_axis_order(shape: [usize; 3], start: [usize; 3], size: [usize; 3]) {
    let src: Vec<u32> = (0..shape.iter().product::<usize>() as u32).collect();
    let strides = standard_strides(&shape);
    // The six orders of three axes.
    let orders = (0..27).map(|k| [k / 9, k / 3 % 3, k % 3]);
    for axes in orders.filter(|[a, b, c]| a != b && b != c && a != c) {
        let walk: Vec<usize> = axes.iter().map(|&a| size[a]).collect();
        for threads in [1, 3] {
            let mut out = vec![0u32; walk.iter().product::<usize>() + 4];
            copy_box(
                &src,
                &Side::of_box(&shape, &start, &axes),
                &mut out,
                &Side::packed(&walk, 2),
                &walk,
                &Combine::<Assign<u32>>::Assign,
                &pool(threads),
            );
            let mut want = vec![0u32; out.len()];
            let mut k = 2;
            for i in 0..walk[0] {
                for j in 0..walk[1] {
                    for l in 0..walk[2] {
                        let mut idx = [0usize; 3];
                        idx[axes[0]] = i;
                        idx[axes[1]] = j;
                        idx[axes[2]] = l;
                        let at: usize = (0..3).map(|a| (start[a] + idx[a]) * strides[a]).sum();
                        want[k] = src[at];
                        k += 1;
                    }
                }
            }
            assert_eq!(out, want, "axes {axes:?}");
            // And back: the packed box unpacked with a combine.
            let mut back = vec![1u32; src.len()];
            let add = |a: u32, b: u32| a + b;
            copy_box(
                &out,
                &Side::packed(&walk, 2),
                &mut back,
                &Side::of_box(&shape, &start, &axes),
                &walk,
                &Combine::With(&add),
                &pool(threads),
            );
            for (at, (&b, &s)) in back.iter().zip(&src).enumerate() {
                let idx = [at / strides[0], at / strides[1] % shape[1], at % shape[2]];
                let inside = (0..3).all(|a| idx[a] >= start[a] && idx[a] < start[a] + size[a]);
                assert_eq!(
                    b,
                    if inside { s + 1 } else { 1 },
                    "at {idx:?}, axes {axes:?}"
                );
            }
        }
    }
}

#[test]
fn contiguity() {
    let shape = [4usize, 6];
    assert!(Side::of_box(&shape, &[1, 0], &[0, 1]).is_contiguous(&[2, 6]));
    assert!(!Side::of_box(&shape, &[1, 0], &[0, 1]).is_contiguous(&[2, 5]));
    assert!(Side::of_box(&shape, &[1, 2], &[0, 1]).is_contiguous(&[1, 3]));
    assert!(!Side::of_box(&shape, &[0, 0], &[1, 0]).is_contiguous(&[4, 6]));
}
