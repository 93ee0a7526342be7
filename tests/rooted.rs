//! Every rooted call whose root passes data or a buffer: a root that passes `None` (and, for
//! the calls with caller buffers, a root buffer of the wrong length) gets the same `Err` on
//! every rank — never a panic, never a rank left waiting — and the same call right after,
//! with the root's data, gives what an independent computation here says. On 1, 2, 3 and 4
//! ranks, with the root first and last, with the cross-rank checks off (release default)
//! and on (`MPIKIT_CHECK=1`, 64-byte pieces).
//!
//! No libtest harness: run plainly it relaunches itself under mpirun (see tests/collectives.rs).

mod common;

use mpikit::mpi::topology::Rank;
use mpikit::ndarray::{Array2, Ix2};
use mpikit::prelude::*;
use mpikit::runtime::MAX_MESSAGE_ENV;
use mpikit::{DistArray, Error, Grid, World};

fn main() {
    common::spmd_main(
        "rooted",
        &[1, 2, 3, 4],
        &[&[], &[(MAX_MESSAGE_ENV, "64"), ("MPIKIT_CHECK", "1")]],
        rank_checks,
    );
}

fn rank_checks() {
    mpikit::run(|world| {
        let size = world.size();
        let mut roots = vec![0, size as usize - 1];
        roots.dedup();
        for root in roots {
            let r = Checks {
                world,
                root: root as Rank,
                rank: world.rank() as usize,
                size: size as usize,
            };
            r.arrays()?;
            r.buffers()?;
            r.immediate()?;
            r.in_place()?;
            r.objects()?;
            r.distarray()?;
        }
        common::report_ok("rooted", world.comm());
        Ok::<(), Error>(())
    });
}

struct Checks<'a> {
    world: &'a World,
    root: Rank,
    rank: usize,
    size: usize,
}

impl Checks<'_> {
    fn is_root(&self) -> bool {
        self.rank == self.root as usize
    }

    /// `got` must be an `Err` on this rank whose message every rank shares and which
    /// contains `needle`.
    fn same_err<T: std::fmt::Debug>(&self, what: &str, got: Result<T, Error>, needle: &str) {
        let msg = match got {
            Ok(v) => panic!("{what}: rank {} got Ok({v:?}), expected an Err", self.rank),
            Err(e) => e.to_string(),
        };
        let all = self.world.allgather_objects(&msg).expect("allgather");
        assert!(
            all.iter().all(|m| *m == all[0]),
            "{what}: the ranks' errors differ: {all:?}"
        );
        assert!(
            msg.contains(needle) && msg.contains(what),
            "{what}: {msg:?} should name the call and say {needle:?}"
        );
        assert!(
            msg.contains(&format!("rank {}", self.root)),
            "{what}: {msg:?} should name the root"
        );
    }

    /// The root's rows: row i is [i, i + 0.5] (written out here, not by the library).
    fn rows(&self, n: usize) -> Array2<f64> {
        Array2::from_shape_fn((n, 2), |(i, j)| i as f64 + 0.5 * j as f64)
    }

    fn arrays(&self) -> Result<(), Error> {
        let (w, root) = (self.world, self.root);
        let none = None::<&Array2<f64>>;
        self.same_err(
            "broadcast_array",
            w.broadcast_array(root, none),
            "passed None",
        );
        self.same_err("scatter_rows", w.scatter_rows(root, none), "passed None");
        let counts = vec![1; self.size];
        self.same_err(
            "scatterv_rows",
            w.scatterv_rows(root, none, Some(&counts)),
            "passed None",
        );
        // The same calls with the root's data.
        let full = self.rows(2 * self.size + 1);
        let data = self.is_root().then_some(&full);
        assert_eq!(w.broadcast_array(root, data)?, full);
        let mine = w.scatter_rows(root, data)?;
        // Balanced blocks: the first rank gets the odd row.
        let start = 2 * self.rank + usize::from(self.rank > 0);
        let len = 2 + usize::from(self.rank == 0);
        assert_eq!(
            mine,
            full.slice(mpikit::ndarray::s![start..start + len, ..])
        );
        Ok(())
    }

    fn buffers(&self) -> Result<(), Error> {
        let (w, root, size) = (self.world, self.root, self.size);
        let mut recv = vec![0.0f64; 3];
        self.same_err(
            "scatter_array_into",
            w.scatter_array_into(root, None::<&Vec<f64>>, &mut recv),
            "passed None",
        );
        let short = vec![1.0f64; 3 * size - 1];
        self.same_err(
            "scatter_array_into",
            w.scatter_array_into(root, self.is_root().then_some(&short), &mut recv),
            &format!(
                "holds {} elements where {} are needed",
                3 * size - 1,
                3 * size
            ),
        );
        let local = vec![self.rank as f64; 3];
        self.same_err(
            "gather_array_into",
            w.gather_array_into(root, &local, None::<&mut Vec<f64>>),
            "passed None",
        );
        let mut long = vec![0.0f64; 3 * size + 1];
        self.same_err(
            "gather_array_into",
            w.gather_array_into(root, &local, self.is_root().then_some(&mut long)),
            &format!(
                "holds {} elements where {} are needed",
                3 * size + 1,
                3 * size
            ),
        );
        // With the root's buffers: block r is [3r, 3r + 1, 3r + 2].
        let send: Vec<f64> = (0..3 * size).map(|i| i as f64).collect();
        w.scatter_array_into(root, self.is_root().then_some(&send), &mut recv)?;
        let base = 3.0 * self.rank as f64;
        assert_eq!(recv, [base, base + 1.0, base + 2.0]);
        let mut all = self.is_root().then(|| vec![-1.0f64; 3 * size]);
        w.gather_array_into(root, &recv, all.as_mut())?;
        if let Some(all) = all {
            assert_eq!(all, send);
        }
        Ok(())
    }

    fn immediate(&self) -> Result<(), Error> {
        let (w, root, size) = (self.world, self.root, self.size);
        let none = None::<&Array2<f64>>;
        self.same_err(
            "immediate_scatter_rows",
            w.immediate_scatter_rows(root, none).map(|p| p.wait()),
            "passed None",
        );
        let counts = vec![1; size];
        self.same_err(
            "immediate_scatterv_rows",
            w.immediate_scatterv_rows(root, none, Some(&counts))
                .map(|p| p.wait()),
            "passed None",
        );
        self.same_err(
            "immediate_scatter_array_owned",
            w.immediate_scatter_array_owned(root, None::<Vec<i64>>, vec![0i64; 2])
                .map(|p| p.wait()),
            "passed None",
        );
        let short = self.is_root().then(|| vec![0i64; 2 * size + 1]);
        self.same_err(
            "immediate_scatter_array_owned",
            w.immediate_scatter_array_owned(root, short, vec![0i64; 2])
                .map(|p| p.wait()),
            "are needed",
        );
        self.same_err(
            "immediate_gather_array_owned",
            w.immediate_gather_array_owned(root, vec![1i64; 2], None::<Vec<i64>>)
                .map(|p| p.wait()),
            "passed None",
        );
        // With the root's buffers: rank r sends [r, -r].
        let local = vec![self.rank as i64, -(self.rank as i64)];
        let recv = self.is_root().then(|| vec![0i64; 2 * size]);
        let (_, got) = w.immediate_gather_array_owned(root, local, recv)?.wait()?;
        if let Some(got) = got {
            let want: Vec<i64> = (0..size as i64).flat_map(|r| [r, -r]).collect();
            assert_eq!(got, want);
        }
        let full = self.rows(size);
        let mine = w
            .immediate_scatter_rows(root, self.is_root().then_some(&full))?
            .wait()?;
        assert_eq!(mine.row(0)[1], self.rank as f64 + 0.5);
        Ok(())
    }

    fn in_place(&self) -> Result<(), Error> {
        let (w, root, size) = (self.world, self.root, self.size);
        if size > 1 {
            // The root's buffer must be `size` equal blocks.
            let mut buf = vec![0u32; if self.is_root() { 2 * size + 1 } else { 2 }];
            self.same_err(
                "gather_array_in_place",
                w.gather_array_in_place(root, &mut buf),
                "equal blocks",
            );
            self.same_err(
                "scatter_array_in_place",
                w.scatter_array_in_place(root, &mut buf),
                "equal blocks",
            );
        }
        // With a root buffer of `size` blocks: rank r's block is [r, r].
        let mut buf = if self.is_root() {
            vec![u32::MAX; 2 * size]
        } else {
            vec![self.rank as u32; 2]
        };
        if self.is_root() {
            buf[2 * self.rank..2 * self.rank + 2].fill(self.rank as u32);
        }
        w.gather_array_in_place(root, &mut buf)?;
        if self.is_root() {
            let want: Vec<u32> = (0..size as u32).flat_map(|r| [r, r]).collect();
            assert_eq!(buf, want);
        }
        Ok(())
    }

    fn objects(&self) -> Result<(), Error> {
        let (w, root, size) = (self.world, self.root, self.size);
        self.same_err(
            "broadcast_object",
            w.broadcast_object(root, None::<&String>),
            "passed None",
        );
        self.same_err(
            "scatter_objects",
            w.scatter_objects::<String, Vec<String>>(root, None),
            "passed None",
        );
        let names: Vec<String> = (0..size).map(|r| format!("item {r}")).collect();
        let short = &names[..size - 1];
        self.same_err(
            "scatter_objects",
            w.scatter_objects::<String, [String]>(root, self.is_root().then_some(short)),
            "one item per rank",
        );
        let hello = "hello".to_string();
        assert_eq!(
            w.broadcast_object(root, self.is_root().then_some(&hello))?,
            "hello"
        );
        let mine: String = w.scatter_objects(root, self.is_root().then_some(&names))?;
        assert_eq!(mine, format!("item {}", self.rank));
        Ok(())
    }

    fn distarray(&self) -> Result<(), Error> {
        let (w, root) = (self.world, self.root);
        let shape = [self.size + 2, 3];
        let grid = Grid::rows(&shape, self.size);
        self.same_err(
            "DistArray::scatter",
            DistArray::<f64, Ix2>::scatter(w, grid.clone(), root, None).map(|_| ()),
            "passed None",
        );
        let whole = Array2::from_shape_fn((shape[0], shape[1]), |(i, j)| (10 * i + j) as f64);
        let a = DistArray::scatter(w, grid, root, self.is_root().then_some(&whole))?;
        let back = a.gather(root)?;
        if let Some(back) = back {
            assert_eq!(back, whole);
        }
        // A root outside the job: Error::Rank on every rank, before any message.
        for bad in [-1, self.size as i32] {
            let e = DistArray::<f64, Ix2>::scatter(w, a.grid().clone(), bad, None);
            assert!(matches!(e, Err(Error::Rank { .. })), "scatter root {bad}");
            assert!(
                matches!(a.gather(bad), Err(Error::Rank { .. })),
                "gather root {bad}"
            );
        }
        Ok(())
    }
}
