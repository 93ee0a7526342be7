//! mpikit-bench: OSU-style micro-benchmarks of raw rsmpi calls next to mpikit's buffer
//! (ndarray) and object (serde) calls, measured in the same run, interleaved.
//!
//!     mpirun -n 2 target/release/mpikit-bench [--sizes 8,1K,64K,64M] [--csv out.csv]
//!
//! The buffer variants are the in-place calls (`broadcast_array_into`, `scatter_array_into`,
//! `gather_array_into`, `allreduce_array_into`), as mpi4py's uppercase methods are.
//! Benchmarks: latency (ping-pong between ranks 0 and 1, half round trip), bandwidth
//! (a window of sends from 0 to 1), broadcast, scatter, gather, allreduce; and the task
//! pool's tiny-task rate (`tasks`) and skewed-task makespan (`balance`); in-place and
//! non-blocking collectives against raw rsmpi (`inplace`, `iallreduce`, `iallgather`); and
//! the serde + bincode floor of the object payload on rank 0 alone (`codec`: copy, encode,
//! decode); one-sided access (`counter`, `mutex`, `put`, `get`: see rma.rs); the distributed
//! sort (`sort`) and FFT (`fft`, whose size is the side n of an n³ field; `fft-line`, whose
//! size is the length of a 1-D field); files of a DistArray (`file-write`, `file-read`). Sizes are bytes
//! per rank. Each figure is the median over repetitions of the slowest rank's mean time per
//! call. Rank 0 prints a table (and CSV with --csv).

use std::process::ExitCode;

use clap::Parser;
use mpikit::mpi::collective::{CommunicatorCollectives, Root};
use mpikit::mpi::point_to_point::{Destination, Source};
use mpikit::mpi::topology::{Communicator, SimpleCommunicator};
use mpikit::ndarray::Array1;
use mpikit::prelude::*;
use mpikit::{ReduceOp, World};
use serde_bytes::ByteBuf;
use units::{human, parse_size};

mod codec;
mod fft;
mod files;
mod immediate;
mod pool;
mod redistribute;
mod rma;
mod sort;
mod units;

const BENCHES: [&str; 6] = [
    "latency",
    "bandwidth",
    "bcast",
    "scatter",
    "gather",
    "allreduce",
];

/// Task-pool benchmarks: tiny-task throughput (chunksize 1, 4, 16, 64, 256) and skewed-task balance.
const POOL_BENCHES: [&str; 2] = ["tasks", "balance"];

/// One-rank benchmarks: the serde + bincode copy, encode and decode of the object payload.
const LOCAL_BENCHES: [&str; 1] = ["codec"];
const WINDOW: usize = 16;

/// OSU-style benchmarks: raw rsmpi vs mpikit buffer vs mpikit object calls.
#[derive(Parser, Debug)]
#[command(name = "mpikit-bench", version, color = clap::ColorChoice::Never)]
struct Cli {
    /// Message sizes in bytes (suffixes K, M for KiB, MiB; for fft the side n of an n³ field,
    /// for fft-line the length)
    /// [default: 8 B to 64 MiB, x8 steps]
    #[arg(long, value_delimiter = ',', value_parser = parse_size)]
    sizes: Option<Vec<usize>>,

    /// Benchmarks to run
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "latency,bandwidth,bcast,scatter,gather,allreduce,tasks,balance"
    )]
    bench: Vec<String>,

    /// Repetitions per figure (the median is reported)
    #[arg(long, default_value_t = 5)]
    reps: usize,

    /// What the object calls send: bytes (`serde_bytes`) or floats (a `Vec<f64>`)
    #[arg(long, default_value = "bytes", value_parser = ["bytes", "floats"])]
    object: String,

    /// Also write every figure to this CSV file (rank 0)
    #[arg(long)]
    csv: Option<std::path::PathBuf>,
}

/// Calls per timing: enough to take a few milliseconds.
fn iterations(bytes: usize) -> usize {
    ((8 << 20) / bytes.max(1)).clamp(4, 2000)
}

/// Median over `reps` of the slowest rank's mean seconds per call of `f`.
fn measure(comm: &SimpleCommunicator, bytes: usize, reps: usize, f: &mut dyn FnMut()) -> f64 {
    let iters = iterations(bytes);
    f(); // warm-up
    let mut samples: Vec<f64> = (0..reps)
        .map(|_| {
            comm.barrier();
            let t0 = mpikit::mpi::time();
            for _ in 0..iters {
                f();
            }
            let mine = (mpikit::mpi::time() - t0) / iters as f64;
            comm.allreduce_scalar(mine, ReduceOp::Max)
                .expect("allreduce of one f64")
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

struct Row {
    bench: &'static str,
    bytes: usize,
    raw: f64,
    buffer: Option<f64>,
    object: f64,
    /// allreduce: the most bytes one rank sent and received in one object call.
    object_bytes: Option<f64>,
}

/// What the object variants send: raw bytes (`serde_bytes`, like a Python `bytes`) or a
/// list of floats (like a Python list of floats), of about the benchmark's size.
trait Payload: serde::Serialize + serde::de::DeserializeOwned + Clone {
    fn of_bytes(bytes: usize) -> Self;
}

impl Payload for ByteBuf {
    fn of_bytes(bytes: usize) -> Self {
        ByteBuf::from(vec![1u8; bytes])
    }
}

impl Payload for Vec<f64> {
    fn of_bytes(bytes: usize) -> Self {
        (0..(bytes / 8).max(1)).map(|i| i as f64 * 0.5).collect()
    }
}

/// The three variants of one benchmark at one size, interleaved per repetition.
fn run<P: Payload>(
    comm: &SimpleCommunicator,
    bench: &'static str,
    bytes: usize,
    reps: usize,
) -> Row {
    let rank = comm.rank();
    let size = comm.size() as usize;
    let root = comm.process_at_rank(0);
    let data = vec![1u8; bytes];
    let mut recv = vec![0u8; bytes * size];
    let array = Array1::from_vec(data.clone());
    let blob = P::of_bytes(bytes);
    let peer = comm.process_at_rank(1 - rank.min(1));
    let time = |f: &mut dyn FnMut()| measure(comm, bytes, reps, f);
    let (raw, buffer, object) = match bench {
        "latency" => {
            let raw = time(&mut || {
                if rank == 0 {
                    peer.send(&data[..]);
                    peer.receive_into(&mut recv[..bytes]);
                } else if rank == 1 {
                    peer.receive_into(&mut recv[..bytes]);
                    peer.send(&data[..]);
                }
            }) / 2.0;
            let buffer = time(&mut || {
                if rank == 0 {
                    comm.send_array(1, 0, &data[..]).unwrap();
                    comm.receive_array_into(Some(1), Some(0), &mut recv[..bytes])
                        .unwrap();
                } else if rank == 1 {
                    comm.receive_array_into(Some(0), Some(0), &mut recv[..bytes])
                        .unwrap();
                    comm.send_array(0, 0, &data[..]).unwrap();
                }
            }) / 2.0;
            let object = time(&mut || {
                if rank == 0 {
                    comm.send_object(1, 0, &blob).unwrap();
                    let _ = comm.receive_object::<P>(Some(1), Some(0)).unwrap();
                } else if rank == 1 {
                    let (b, _) = comm.receive_object::<P>(Some(0), Some(0)).unwrap();
                    comm.send_object(0, 0, &b).unwrap();
                }
            }) / 2.0;
            (raw, Some(buffer), object)
        }
        "bandwidth" => {
            let window = |send: &mut dyn FnMut(), receive: &mut dyn FnMut()| {
                for _ in 0..WINDOW {
                    if rank == 0 {
                        send();
                    } else if rank == 1 {
                        receive();
                    }
                }
            };
            let raw = time(&mut || {
                window(&mut || peer.send(&data[..]), &mut || {
                    peer.receive_into(&mut recv[..bytes]);
                })
            }) / WINDOW as f64;
            let object = time(&mut || {
                window(&mut || comm.send_object(1, 1, &blob).unwrap(), &mut || {
                    comm.receive_object::<P>(Some(0), Some(1)).unwrap();
                })
            }) / WINDOW as f64;
            (raw, None, object)
        }
        "bcast" => {
            let mut buf = data.clone();
            let raw = time(&mut || root.broadcast_into(&mut buf[..]));
            let mut arr = array.clone();
            let buffer = time(&mut || comm.broadcast_array_into(0, &mut arr).unwrap());
            let object = time(&mut || {
                comm.broadcast_object(0, (rank == 0).then_some(&blob))
                    .unwrap();
            });
            (raw, Some(buffer), object)
        }
        "scatter" => {
            let all = vec![1u8; bytes * size];
            let all_array = Array1::from_vec(all.clone());
            let parts: Vec<P> = (0..size).map(|_| blob.clone()).collect();
            let mut mine = vec![0u8; bytes];
            let raw = time(&mut || {
                if rank == 0 {
                    root.scatter_into_root(&all[..], &mut mine[..]);
                } else {
                    root.scatter_into(&mut mine[..]);
                }
            });
            let mut mine_a = Array1::<u8>::zeros(bytes);
            let buffer = time(&mut || {
                comm.scatter_array_into(0, (rank == 0).then_some(&all_array), &mut mine_a)
                    .unwrap();
            });
            let object = time(&mut || {
                comm.scatter_objects(0, (rank == 0).then_some(&parts[..]))
                    .unwrap();
            });
            (raw, Some(buffer), object)
        }
        "gather" => {
            let raw = time(&mut || {
                if rank == 0 {
                    root.gather_into_root(&data[..], &mut recv[..]);
                } else {
                    root.gather_into(&data[..]);
                }
            });
            let mut all_a = Array1::<u8>::zeros(bytes * size);
            let buffer = time(&mut || {
                let out = (rank == 0).then_some(&mut all_a);
                comm.gather_array_into(0, &array, out).unwrap();
            });
            let object = time(&mut || {
                comm.gather_objects(0, &blob).unwrap();
            });
            (raw, Some(buffer), object)
        }
        "allreduce" => {
            let x = vec![1.0f64; (bytes / 8).max(1)];
            let xa = Array1::from_vec(x.clone());
            let mut out = vec![0.0f64; x.len()];
            let op = ReduceOp::Sum.system();
            let raw = time(&mut || comm.all_reduce_into(&x[..], &mut out[..], op));
            let mut out_a = xa.clone();
            let buffer = time(&mut || {
                comm.allreduce_array_into(&xa, &mut out_a, ReduceOp::Sum)
                    .unwrap()
            });
            let object = time(&mut || {
                comm.allreduce_objects(x.clone(), |mut a, b| {
                    a.iter_mut().zip(&b).for_each(|(a, b)| *a += b);
                    a
                })
                .unwrap();
            });
            (raw, Some(buffer), object)
        }
        _ => unreachable!("checked names"),
    };
    let object_bytes = (bench == "allreduce").then(|| {
        let before = mpikit::objects::tree_traffic();
        comm.allreduce_objects(blob.clone(), |a, _| a).unwrap();
        let after = mpikit::objects::tree_traffic();
        let mine = (after.0 - before.0 + after.1 - before.1) as f64;
        comm.allreduce_scalar(mine, ReduceOp::Max)
            .expect("allreduce of one f64")
    });
    Row {
        bench,
        bytes,
        raw,
        buffer,
        object,
        object_bytes,
    }
}

fn main() -> ExitCode {
    let world = match World::init() {
        Ok(w) => w,
        Err(e) => {
            eprintln!("mpikit-bench: {e}");
            return ExitCode::from(2);
        }
    };
    let comm = world.comm();
    let root = world.is_root();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            if root {
                let _ = e.print();
            }
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let known = [
        &BENCHES[..],
        &POOL_BENCHES,
        &LOCAL_BENCHES,
        &immediate::BENCHES,
        &redistribute::BENCHES,
        &rma::BENCHES,
        &sort::BENCHES,
        &fft::BENCHES,
        &files::BENCHES,
    ]
    .concat();
    if let Some(bad) = cli.bench.iter().find(|b| !known.contains(&b.as_str())) {
        if root {
            let expected = known.join(", ");
            eprintln!("mpikit-bench: unknown benchmark {bad:?} (expected {expected})");
        }
        return ExitCode::from(2);
    }
    // Every benchmark but the sort, the FFT and the codec needs a partner rank.
    let one_rank_ok = cli
        .bench
        .iter()
        .all(|b| ["sort", "fft", "fft-line", "codec"].contains(&b.as_str()));
    if (comm.size() < 2 && !one_rank_ok) || cli.reps == 0 {
        if root {
            eprintln!(
                "mpikit-bench: needs --reps >= 1, and at least 2 ranks for benchmarks other than sort, fft, fft-line and codec"
            );
        }
        return ExitCode::from(2);
    }
    let sizes = cli
        .sizes
        .clone()
        .unwrap_or_else(|| (0..9).map(|k| 8usize << (3 * k)).collect());
    let mut rows = Vec::new();
    for bench in BENCHES.iter().filter(|b| cli.bench.iter().any(|x| x == *b)) {
        for &bytes in &sizes {
            let row = if cli.object == "floats" {
                run::<Vec<f64>>(comm, bench, bytes, cli.reps)
            } else {
                run::<ByteBuf>(comm, bench, bytes, cli.reps)
            };
            if root {
                let buf = row.buffer.map_or("-".into(), |b| format!("{:.2}", b * 1e6));
                let ratio = row
                    .buffer
                    .map_or("-".into(), |b| format!("{:.3}", b / row.raw));
                let moved = row
                    .object_bytes
                    .map_or(String::new(), |b| format!("  object moves {b:.0} B/rank"));
                println!(
                    "{:<10} {:>6} raw {:>10.2} us  buffer {:>10} us  object {:>10.2} us  buffer/raw {:>6}  object/raw {:>7.3}  raw {:>8.1} MB/s{moved}",
                    row.bench,
                    human(row.bytes),
                    row.raw * 1e6,
                    buf,
                    row.object * 1e6,
                    ratio,
                    row.object / row.raw,
                    row.bytes as f64 / row.raw / 1e6,
                );
            }
            rows.push(row);
        }
    }
    let mut pool_rows = Vec::new();
    if root && cli.bench.iter().any(|b| b == "codec") {
        for &bytes in &sizes {
            let figures = if cli.object == "floats" {
                codec::run(&<Vec<f64>>::of_bytes(bytes), bytes, cli.reps)
            } else {
                codec::run(&ByteBuf::of_bytes(bytes), bytes, cli.reps)
            };
            let cols: Vec<String> = figures
                .iter()
                .map(|(v, t)| format!("{v} {:>9.2} us", t * 1e6))
                .collect();
            println!("codec      {:>6} {}", human(bytes), cols.join("  "));
            for (v, t) in figures {
                pool_rows.push(format!("codec,{bytes},1,{v},{t:e}"));
            }
        }
    }
    for bench in immediate::BENCHES
        .iter()
        .chain(&redistribute::BENCHES)
        .chain(&sort::BENCHES)
        .chain(&fft::BENCHES)
        .chain(&files::BENCHES)
        .filter(|b| cli.bench.iter().any(|x| x == *b))
    {
        for &bytes in &sizes {
            let figures = if *bench == "redistribute" {
                redistribute::run(comm, bytes, cli.reps)
            } else if *bench == "sort" {
                sort::run(comm, bytes, cli.reps)
            } else if bench.starts_with("file-") {
                files::run(comm, bench, bytes, cli.reps)
            } else if bench.starts_with("fft") {
                fft::run(comm, bench, bytes, cli.reps)
            } else {
                immediate::run(comm, bench, bytes, cli.reps)
            };
            let base = figures[0].1;
            if root {
                let cols: Vec<String> = figures
                    .iter()
                    .map(|(v, t)| format!("{v} {:>9.2} us ({:.3}x)", t * 1e6, t / base))
                    .collect();
                println!("{bench:<10} {:>6} {}", human(bytes), cols.join("  "));
            }
            for (v, t) in figures {
                pool_rows.push(format!("{bench},{bytes},{},{v},{t:e}", comm.size()));
            }
        }
    }
    rma::run_selected(comm, &cli.bench, &sizes, cli.reps, &mut pool_rows);
    if cli.bench.iter().any(|b| b == "tasks") {
        for chunksize in [1, 4, 16, 64, 256] {
            if let Some(rate) = pool::tasks_per_second(comm, 20_000, chunksize, cli.reps) {
                println!("tasks      chunksize {chunksize:>3}: {rate:>12.0} tiny tasks/s");
                pool_rows.push(format!(
                    "tasks,{chunksize},{},pool,{:e}",
                    comm.size(),
                    1.0 / rate
                ));
            }
        }
    }
    if cli.bench.iter().any(|b| b == "balance") {
        let unit = std::time::Duration::from_millis(10);
        if let Some((span, ideal)) = pool::balance(comm, 64, unit, cli.reps) {
            println!(
                "balance    64 skewed tasks: makespan {span:.3} s, ideal {ideal:.3} s, {:.1}% over",
                100.0 * (span / ideal - 1.0)
            );
            pool_rows.push(format!("balance,64,{},pool,{span:e}", comm.size()));
            pool_rows.push(format!("balance,64,{},ideal,{ideal:e}", comm.size()));
        }
    }
    if let (true, Some(path)) = (root, &cli.csv) {
        let mut csv = String::from("bench,bytes,ranks,variant,seconds\n");
        for row in &pool_rows {
            csv += row;
            csv.push('\n');
        }
        for r in &rows {
            let variants = [
                ("raw", Some(r.raw)),
                ("buffer", r.buffer),
                ("object", Some(r.object)),
            ];
            for (v, t) in variants {
                if let Some(t) = t {
                    csv += &format!("{},{},{},{v},{t:e}\n", r.bench, r.bytes, comm.size());
                }
            }
            if let Some(b) = r.object_bytes {
                // Not seconds: the bytes one rank moved (scripts/bench-reduce.sh reads them).
                csv += &format!(
                    "{},{},{},object-bytes,{b:e}\n",
                    r.bench,
                    r.bytes,
                    comm.size()
                );
            }
        }
        if let Err(e) = std::fs::write(path, csv) {
            eprintln!("mpikit-bench: cannot write {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    ExitCode::SUCCESS
}
