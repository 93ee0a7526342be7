//! The 2-D heat equation by Jacobi steps (each point becomes the average of its four
//! neighbours, zero past the edges) on a `DistArray` split over a 2-D grid of ranks, threads
//! inside each block, halos of width 1. By default each step starts the halo exchange,
//! updates the interior while the ghosts travel, then finishes the exchange and updates the
//! rim; `--blocking` exchanges first and updates everything after. The result is gathered
//! and compared bit for bit with a serial run of the same steps (`--no-check` skips that for
//! large benchmarks).
//!
//! What a numpy program writes for one step, here a few lines per step on any rank grid:
//!
//! ```python
//! v[1:-1, 1:-1] = 0.25 * (u[:-2, 1:-1] + u[2:, 1:-1] + u[1:-1, :-2] + u[1:-1, 2:])
//! ```
//!
//! Run: `mpirun -n 4 target/release/examples/heat_2d [ROWS] [COLS] [STEPS] [--blocking]
//! [--rows] [--no-check] [--checkpoint DIR [--checkpoint-every N]] [--restart DIR]`
//! (`--rows`: row blocks instead of a balanced 2-D grid).
//!
//! Checkpoints (`mpikit::checkpoint`): `--checkpoint DIR` saves both arrays and the step into
//! DIR every N steps (`--checkpoint-every`, default 100; the last two are kept), and also
//! when any rank gets `SIGUSR1` or `SIGTERM` (Slurm's `--signal=B:USR1@120`), then stops.
//! `--restart DIR` resumes from DIR's latest checkpoint, on any rank count, and runs on to
//! STEPS: the result is the uninterrupted run's, bit for bit (the serial check says so).
//! `checkpoint:` lines give each save's and the restore's seconds and the bytes on disk
//! (scripts/bench-checkpoint.sh times them next to numpy).

use std::ops::Range;
use std::time::Instant;

use std::path::PathBuf;

use mpikit::checkpoint::{stop_requested, Checkpoints};
use mpikit::distarray::{Boundary, Halo};
use mpikit::ndarray::{s, Array2, ArrayView2, ArrayViewMut2, Axis, Ix2};
use mpikit::prelude::*;
use mpikit::{DistArray, Grid, ReduceOp};
use rayon::prelude::*;

/// The starting temperatures: a deterministic pattern of the global index.
fn initial(i: usize, j: usize) -> f64 {
    ((i * 31 + j * 17) % 97) as f64 / 96.0
}

/// One Jacobi update of `rows` x `cols` (local indices of the block) of `dst` from `src`, the
/// padded block of the previous step (ghosts one cell wide), row by row on the threads.
fn update(
    src: ArrayView2<'_, f64>,
    dst: &mut ArrayViewMut2<'_, f64>,
    rows: Range<usize>,
    cols: Range<usize>,
    pool: &rayon::ThreadPool,
) {
    if rows.is_empty() || cols.is_empty() {
        return;
    }
    let width = src.ncols();
    let src = src.as_slice().expect("the padded block is contiguous");
    let mut out = dst.slice_mut(s![rows.clone(), cols.clone()]);
    pool.install(|| {
        out.axis_iter_mut(Axis(0))
            .into_par_iter()
            .enumerate()
            .for_each(|(k, mut row)| {
                // Padded row i + 1 holds block row i; padded column j + 1 holds block column j.
                let i = rows.start + k + 1;
                let (j, n) = (cols.start + 1, cols.len());
                let up = &src[(i - 1) * width + j..][..n];
                let down = &src[(i + 1) * width + j..][..n];
                let mid = &src[i * width + j - 1..][..n + 2];
                let row = row.as_slice_mut().expect("a block row is contiguous");
                for (x, ((u, d), c)) in row.iter_mut().zip(up.iter().zip(down).zip(mid.windows(3)))
                {
                    *x = 0.25 * (u + d + c[0] + c[2]);
                }
            })
    });
}

/// The same steps on one array with a border of zeros, in the same order of additions.
fn serial(rows: usize, cols: usize, steps: usize) -> Array2<f64> {
    let mut u = Array2::<f64>::zeros((rows + 2, cols + 2));
    for i in 0..rows {
        for j in 0..cols {
            u[[i + 1, j + 1]] = initial(i, j);
        }
    }
    let mut v = u.clone();
    for _ in 0..steps {
        for i in 1..=rows {
            for j in 1..=cols {
                v[[i, j]] = 0.25 * (u[[i - 1, j]] + u[[i + 1, j]] + u[[i, j - 1]] + u[[i, j + 1]]);
            }
        }
        std::mem::swap(&mut u, &mut v);
    }
    u.slice(s![1..=rows, 1..=cols]).to_owned()
}

fn main() {
    mpikit::run(|world| {
        let opts = Options::parse(std::env::args().skip(1).collect())?;
        let Options {
            rows, cols, steps, ..
        } = opts;
        let (overlap, check) = (!opts.blocking, !opts.no_check);
        let shape = [rows, cols];
        let size = world.size() as usize;
        let by_rows = opts.by_rows;
        let grid_of = move |shape: &[usize]| {
            if by_rows {
                Ok(Grid::rows(shape, size))
            } else {
                Grid::balanced(shape, size, &[0, 1])
            }
        };
        let grid = grid_of(&shape)?;
        let dims = grid.dims().to_vec();
        let ckpt = match opts.checkpoint.as_ref().or(opts.restart.as_ref()) {
            Some(dir) => Some(Checkpoints::new(world, dir, "heat_2d")?),
            None => None,
        };
        let restore_start = Instant::now();
        let (mut u, mut v, first) = match (&opts.restart, &ckpt) {
            (Some(dir), Some(ckpt)) => {
                let step = ckpt.latest()?.ok_or_else(|| {
                    mpikit::Error::Input(format!(
                        "--restart {}: no checkpoint there",
                        dir.display()
                    ))
                })?;
                let saved = ckpt.restore(step)?;
                let state: Saved = saved.state()?;
                if (state.rows, state.cols) != (rows, cols) {
                    return Err(mpikit::Error::Input(format!(
                        "--restart {}: its checkpoint is of a {}x{} grid, this run asks for {rows}x{cols}",
                        dir.display(),
                        state.rows,
                        state.cols
                    )));
                }
                let u = saved.array::<f64, Ix2>("u", grid_of)?;
                let v = saved.array::<f64, Ix2>("v", grid_of)?;
                let secs = restore_start.elapsed().as_secs_f64();
                let secs = world.allreduce_scalar(secs, ReduceOp::Max)?;
                if world.is_root() {
                    println!(
                        "checkpoint: restored step {} ({} bytes) in {secs:.3} s",
                        state.step,
                        folder_bytes(saved.path())
                    );
                }
                (u, v, state.step as usize)
            }
            _ => {
                let u = DistArray::<f64, Ix2>::from_fn(world, grid, |ix| initial(ix[0], ix[1]))?;
                let v = u.map(|_| 0.0);
                (u, v, 0)
            }
        };
        let save = |u: &DistArray<f64, Ix2>, v: &DistArray<f64, Ix2>, step: usize| match &ckpt {
            Some(ckpt) if opts.checkpoint.is_some() => {
                let mut save = ckpt.save(step as u64)?;
                save.array("u", u)?;
                save.array("v", v)?;
                save.state(&Saved {
                    step: step as u64,
                    rows,
                    cols,
                })?;
                save.commit().map(Some)
            }
            _ => Ok(None),
        };
        let halo = Halo::new(2, 1)
            .boundary(0, Boundary::Constant(0.0))
            .boundary(1, Boundary::Constant(0.0));
        u.set_halo(halo.clone())?;
        v.set_halo(halo)?;
        // Seconds in saves (the slowest rank's), how many, the last one's folder.
        let (mut save_time, mut saves, mut last_save) = (0.0, 0, None);
        let (mut halo_time, start) = (0.0, Instant::now());
        let mut stopped = None;
        for step in first..steps {
            let t = Instant::now();
            if overlap {
                u.begin_halos()?;
                halo_time += t.elapsed().as_secs_f64();
                let inner = u.interior(1);
                update(
                    u.padded(),
                    &mut v.local_mut(),
                    inner[0].clone(),
                    inner[1].clone(),
                    u.pool(),
                );
                let t = Instant::now();
                u.finish_halos()?;
                halo_time += t.elapsed().as_secs_f64();
                for b in u.rim(1) {
                    update(
                        u.padded(),
                        &mut v.local_mut(),
                        b[0].clone(),
                        b[1].clone(),
                        u.pool(),
                    );
                }
            } else {
                u.exchange_halos()?;
                halo_time += t.elapsed().as_secs_f64();
                let block = u.local().dim();
                update(
                    u.padded(),
                    &mut v.local_mut(),
                    0..block.0,
                    0..block.1,
                    u.pool(),
                );
            }
            std::mem::swap(&mut u, &mut v);
            let done = step + 1;
            if opts.checkpoint.is_some() {
                let stop = stop_requested(world)?;
                if done % opts.every == 0 || stop {
                    let t = Instant::now();
                    let saved = save(&u, &v, done)?;
                    save_time +=
                        world.allreduce_scalar(t.elapsed().as_secs_f64(), ReduceOp::Max)?;
                    saves += 1;
                    last_save.clone_from(&saved);
                    if stop {
                        stopped = saved.map(|dir| (done, dir));
                        break;
                    }
                }
            }
        }
        if let Some((step, dir)) = stopped {
            if world.is_root() {
                println!(
                    "stopped: heat_2d at step {step} of {steps} on a signal, saved in {}; resume with --restart {}",
                    dir.display(),
                    opts.checkpoint.as_ref().map_or(String::new(), |d| d.display().to_string())
                );
            }
            return Ok(());
        }
        let steps_run = steps.saturating_sub(first);
        let seconds = world.allreduce_scalar(start.elapsed().as_secs_f64(), ReduceOp::Max)?;
        let halo_ms =
            world.allreduce_scalar(halo_time, ReduceOp::Max)? * 1e3 / steps_run.max(1) as f64;
        let total = u.sum()?;
        let verdict = if check {
            let got = u.gather(0)?;
            if let Some(got) = got {
                let want = serial(rows, cols, steps);
                let differ = got
                    .iter()
                    .zip(want.iter())
                    .filter(|(a, b)| a.to_bits() != b.to_bits())
                    .count();
                assert_eq!(differ, 0, "{differ} points differ from the serial run");
            }
            "equal to the serial run bit for bit"
        } else {
            "not checked"
        };
        if let (true, Some(dir)) = (world.is_root(), &last_save) {
            println!(
                "checkpoint: {saves} saves of {} bytes, {:.3} s each",
                folder_bytes(dir),
                save_time / saves as f64
            );
        }
        if world.is_root() {
            if first > 0 {
                println!(
                    "restarted: heat_2d from step {first} on {} ranks",
                    world.size()
                );
            }
            println!(
                "ok: heat_2d {rows}x{cols}, {steps} steps on {} ranks, {verdict}, grid {}x{}, {}, {} threads, {seconds:.6} s, halo {halo_ms:.4} ms/step, sum {total:.6e}",
                world.size(),
                dims[0],
                dims[1],
                if overlap { "overlap" } else { "blocking" },
                u.pool().current_num_threads(),
            );
        }
        Ok::<_, mpikit::Error>(())
    })
}

/// The bytes of the files in a checkpoint's folder.
fn folder_bytes(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|files| {
            files
                .filter_map(|f| f.ok()?.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

/// What a checkpoint of heat_2d records besides its two arrays.
#[derive(serde::Serialize, serde::Deserialize)]
struct Saved {
    step: u64,
    rows: usize,
    cols: usize,
}

/// The command line.
struct Options {
    rows: usize,
    cols: usize,
    steps: usize,
    blocking: bool,
    no_check: bool,
    by_rows: bool,
    checkpoint: Option<PathBuf>,
    every: usize,
    restart: Option<PathBuf>,
}

impl Options {
    fn parse(args: Vec<String>) -> mpikit::Result<Options> {
        let bad = |msg: String| mpikit::Error::Input(format!("heat_2d: {msg}"));
        let mut numbers = Vec::new();
        let mut o = Options {
            rows: 256,
            cols: 256,
            steps: 50,
            blocking: false,
            no_check: false,
            by_rows: false,
            checkpoint: None,
            every: 100,
            restart: None,
        };
        let mut args = args.into_iter();
        while let Some(a) = args.next() {
            let mut value = |name: &str| {
                args.next()
                    .ok_or_else(|| bad(format!("{name} needs a value")))
            };
            match a.as_str() {
                "--blocking" => o.blocking = true,
                "--no-check" => o.no_check = true,
                "--rows" => o.by_rows = true,
                "--checkpoint" => o.checkpoint = Some(PathBuf::from(value("--checkpoint")?)),
                "--restart" => o.restart = Some(PathBuf::from(value("--restart")?)),
                "--checkpoint-every" => {
                    let v = value("--checkpoint-every")?;
                    o.every = v.parse().ok().filter(|&n| n > 0).ok_or_else(|| {
                        bad(format!("--checkpoint-every {v}: a positive step count"))
                    })?;
                }
                flag if flag.starts_with("--") => return Err(bad(format!("unknown flag {flag}"))),
                n => numbers.push(
                    n.parse::<f64>()
                        .map(|x| x as usize)
                        .map_err(|_| bad(format!("not a number: {n}")))?,
                ),
            }
        }
        if numbers.len() > 3 {
            return Err(bad(format!(
                "at most three numbers (ROWS COLS STEPS), got {}",
                numbers.len()
            )));
        }
        let mut n = numbers.into_iter();
        o.rows = n.next().unwrap_or(o.rows);
        o.cols = n.next().unwrap_or(o.rows);
        o.steps = n.next().unwrap_or(o.steps);
        Ok(o)
    }
}
