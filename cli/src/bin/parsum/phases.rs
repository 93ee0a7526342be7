//! The job's phases (setup, distribute, compute, reduce) on generated data or a data file,
//! each entered through [`Job::enter`], where the watchdog and the fault-injection aids act.

use std::time::Duration;

use mpikit::data::par_arange;
use mpikit::io::{Axis, ReadMode};
use mpikit::ndarray::{Array1, Ix1};
use mpikit::prelude::*;
use mpikit::runtime::PhaseTimer;
use mpikit::stats::{summarize_floats, Summary, Value};
use mpikit::{DistArray, Grid, World};

use crate::cli::{Mode, OpArg, Phase};
use crate::inputs::open_layout;
use crate::job::Job;
use crate::report::{Data, InputInfo};
use mpikit::hdf5::{self as h5, Access};

const DEFAULT_LEN: u64 = 100_000_000;

impl Job<'_> {
    /// Each phase starts here: the watchdog learns it, and the testing aids act in it.
    pub fn enter(&self, phase: Phase) {
        if let Some(dog) = &self.dog {
            dog.phase(phase.name());
        }
        let here = self.args.fault_phase == phase;
        if here && self.args.panic_on_rank == Some(self.rank) {
            panic!(
                "deliberate panic requested with --panic-on-rank {} in {}",
                self.rank,
                phase.name()
            );
        }
        if here && self.args.hang_on_rank == Some(self.rank) {
            loop {
                std::thread::sleep(Duration::from_secs(3600));
            }
        }
    }

    /// x_i = i for i in 0..len as a DistArray of row blocks: each rank builds its own block,
    /// or rank 0 builds it all and scatters it; then the block's summary.
    pub fn generated(&self, world: &World, timer: &mut PhaseTimer) -> Result<Data, mpikit::Error> {
        let n = self.args.len.unwrap_or(DEFAULT_LEN);
        let nz = usize::try_from(n)
            .map_err(|_| mpikit::Error::input("--len does not fit this machine's address space"))?;
        let grid = Grid::rows(&[nz], world.size() as usize);
        // What each rank will hold, checked against its node before anything is allocated.
        let block = grid.block_shape(world.rank() as usize)[0] as u64 * 8;
        let (need, advice) = match self.args.mode {
            Mode::Generate => (
                block,
                "use more ranks or nodes, or --input a file (read in pieces)",
            ),
            Mode::Scatter if world.is_root() => (
                block.saturating_add(n.saturating_mul(8)),
                "use --mode generate (no rank holds the whole array), more nodes, or --input \
                 a file",
            ),
            Mode::Scatter => (block, "use --mode generate, more nodes, or --input a file"),
        };
        let what = format!(
            "--len {n} ({} of f64{})",
            mpikit::runtime::human_bytes(n.saturating_mul(8)),
            if self.args.mode == Mode::Scatter {
                ", all on rank 0 before the scatter"
            } else {
                ""
            }
        );
        mpikit::runtime::check_memory(world, &what, need, advice)?;
        let x: DistArray<f64, Ix1> = match self.args.mode {
            Mode::Generate => {
                let x = timer.time("setup", || DistArray::arange(world, grid))?;
                self.enter(Phase::Distribute);
                timer.record("distribute", 0.0);
                x
            }
            Mode::Scatter => {
                let full = timer.time("setup", || {
                    world
                        .is_root()
                        .then(|| Array1::from_vec(par_arange(0, nz, self.pool)))
                });
                self.enter(Phase::Distribute);
                // The root's full array is dropped as soon as it is scattered.
                timer.time("distribute", || {
                    DistArray::scatter(world, grid, 0, full.as_ref())
                })?
            }
        };
        let local = x.local();
        let block = local.as_slice().expect("fresh blocks are contiguous");
        self.enter(Phase::Compute);
        let (summaries, value) = if self.args.op.is_order() {
            let data = mpikit::stats::InMemory {
                data: block,
                pool: self.pool,
            };
            let v = timer.time("compute", || self.order(world, &data))?;
            (Vec::new(), Some(v))
        } else {
            let s = timer.time("compute", || summarize_floats(&self.spec, block, self.pool));
            (vec![s], None)
        };
        Ok(Data {
            summaries,
            value,
            len: n,
            bytes: n * 8,
            input: None,
        })
    }

    /// A data file's layout agreed on every rank, then its summaries (one per column with
    /// --axis 0), read in pieces.
    pub fn file(
        &self,
        world: &World,
        path: &std::path::Path,
        timer: &mut PhaseTimer,
    ) -> Result<Data, mpikit::Error> {
        let args = self.args;
        let read: ReadMode = args.read.map_or(ReadMode::Parallel, Into::into);
        let (layout, access, source) =
            timer.time("setup", || open_layout(world.comm(), path, args, read))?;
        let input = path;
        let path = source.file.as_path();
        // What every rank reads: the file's bytes, an .npz member (inflated in order when
        // deflated), or an HDF5 dataset through the library.
        let file = || match access {
            Access::Direct if source.format == "npz" => {
                mpikit::io::DataFile::npz(path, source.member.as_deref())
            }
            Access::Direct => mpikit::io::DataFile::path(path),
            Access::Library => {
                let dataset = source.member.as_deref();
                let layout = &layout;
                mpikit::io::DataFile::with(input.display().to_string(), move || {
                    Ok(Box::new(h5::Reader::open(path, dataset, layout)?)
                        as Box<dyn mpikit::io::ReadAt>)
                })
            }
        };
        let axis = if self.columns {
            Axis::Columns
        } else {
            Axis::All
        };
        self.enter(Phase::Distribute);
        timer.record("distribute", 0.0);
        self.enter(Phase::Compute);
        let (summaries, value) = if self.args.op.is_order() {
            let v = timer.time("compute", || {
                let data = mpikit::io::FilePasses::open(world, file(), &layout, self.pool)?;
                self.order(world, &data)
            })?;
            (Vec::new(), Some(v))
        } else {
            let s = timer.time("compute", || {
                mpikit::io::FileSummary::new(file(), &layout, self.spec)
                    .axis(axis)
                    .mode(read)
                    .progress(self.progress)
                    .run(world, self.pool)
            })?;
            (s, None)
        };
        Ok(Data {
            summaries,
            value,
            len: layout.len,
            bytes: layout.len * layout.dtype.size() as u64,
            input: Some(InputInfo {
                path: input.to_path_buf(),
                format: source.format,
                dtype: layout.dtype,
                byte_order: layout.order,
                shape: layout.shape.clone(),
                read,
            }),
        })
    }

    /// An order statistic of every rank's values, exactly (numpy's rules).
    fn order<P: mpikit::stats::Passes>(
        &self,
        world: &World,
        data: &P,
    ) -> Result<Value, mpikit::Error> {
        let nan = self.spec.nan;
        match self.args.op {
            OpArg::Median => mpikit::stats::median(world, data, nan).map(Value::Float),
            OpArg::Quantile => mpikit::stats::quantiles(
                world,
                data,
                self.args.q.as_deref().unwrap_or_default(),
                self.args.method.into(),
                nan,
            )
            .map(Value::Floats),
            _ => mpikit::stats::histogram(world, data, self.args.bins, self.args.range, nan).map(
                |h| Value::Histogram {
                    edges: h.edges().to_vec(),
                    counts: h.counts().to_vec(),
                },
            ),
        }
    }
}

/// Every rank's summaries merged in rank order, on every rank.
pub fn combine(world: &World, summaries: Vec<Summary>) -> Result<Vec<Summary>, mpikit::Error> {
    let all = world.allgather_objects(&summaries)?;
    let mut it = all.into_iter();
    let mut total = it.next().expect("a communicator has a rank");
    for later in it {
        for (a, b) in total.iter_mut().zip(&later) {
            a.merge(b)?;
        }
    }
    Ok(total)
}
