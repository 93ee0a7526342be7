//! A rank that fails while it holds a lock across ranks ends the whole job promptly, with its
//! rank and message, while the other ranks wait for that lock (never a hang): a panic under
//! a `Mutex` guard, an `Err` returned under a `Mutex` guard (the guard unlocks on the way
//! out; the job still ends), a panic under an exclusive
//! window lock and a panic on a `Semaphore`'s last permit, on 2, 3 and 4 ranks (the last
//! rank fails; the others are inside `lock`, `acquire` or a get from the locked rank).
//!
//! No libtest harness: run plainly it relaunches itself under mpirun once per fault.

mod common;

use std::time::Duration;

use mpikit::mpi::traits::*;
use mpikit::rma::{LockKind, Mutex, Semaphore, Window};
use mpikit::{Error, World};

/// Set under mpirun: the fault to inject.
const FAULT: &str = "MPIKIT_RMA_FAULT";

/// The faults, each with what the failing rank must say and whether the others may get the
/// lock before the job ends: an `Err` returned through `?` drops the guard on its way out,
/// which unlocks (as Python's `with lock:` does on an exception); a panic aborts the job
/// from the panic hook, before anything unwinds.
const FAULTS: &[(&str, &str, bool)] = &[
    ("panic-under-mutex", "panicked at", false),
    (
        "err-under-mutex",
        "error: failed while holding the lock",
        true,
    ),
    ("panic-under-window-lock", "panicked at", false),
    ("panic-holding-semaphore", "panicked at", false),
];

fn main() {
    if let Ok(fault) = std::env::var(FAULT) {
        return mpikit::run(|world| inject(world, &fault));
    }
    if !common::have_mpirun("rma_faults") {
        println!("rma_faults: 0 passed, 0 failed, 1 skipped");
        return;
    }
    let exe = std::env::current_exe().expect("own path");
    // Within seconds of the fault: MPI_Abort after run's 2-second grace, with slack for a
    // loaded machine (and MPICH's slower launches).
    let limit = Duration::from_secs(30) * if common::on_mpich() { 3 } else { 1 };
    let mut passed = 0;
    for &(fault, says, unlocks) in FAULTS {
        for np in [2, 3, 4] {
            let job = common::mpirun_with(np, &exe, &[], &[(FAULT, fault)], common::TIMEOUT);
            job.assert_failed_within(limit);
            let line = format!("rank {}: {says}", np - 1);
            job.check(job.stderr.contains(&line), &format!("expected {line:?}"));
            job.check(
                job.stderr.contains("while holding the lock"),
                "the failing rank's message",
            );
            job.check(
                unlocks || !job.stdout.contains("got the lock"),
                "no rank may get the lock the failed rank held",
            );
            println!(
                "test rma_faults {fault} on {np} ranks ... ok ({:.1?})",
                job.elapsed
            );
            passed += 1;
        }
    }
    println!("rma_faults: {passed} passed, 0 failed");
}

/// On every rank: the last rank takes the lock (or the last permit), everybody meets at a
/// barrier, then the last rank fails while the others wait for what it holds.
fn inject(world: &World, fault: &str) -> Result<(), Error> {
    let last = world.size() - 1;
    let holder = world.rank() == last;
    match fault {
        "panic-under-mutex" | "err-under-mutex" => {
            let mutex = Mutex::new(world)?;
            if holder {
                let _guard = mutex.lock()?;
                world.barrier();
                if fault == "err-under-mutex" {
                    return Err(Error::input("failed while holding the lock"));
                }
                panic!("failed while holding the lock");
            }
            world.barrier();
            let _guard = mutex.lock()?;
            println!("rank {}: got the lock", world.rank());
        }
        "panic-under-window-lock" => {
            let window = Window::<u64>::allocate(world, 4)?;
            if holder {
                let lock = window.lock(last, LockKind::Exclusive)?;
                // An access and a flush: the lock is surely taken (MPI may take it lazily).
                lock.put(last, 0, &[1, 2, 3, 4])?;
                lock.flush(last)?;
                world.barrier();
                panic!("failed while holding the lock");
            }
            world.barrier();
            let mut got = [0u64; 4];
            window
                .lock(last, LockKind::Exclusive)?
                .get(last, 0, &mut got)?;
            println!("rank {}: got the lock", world.rank());
        }
        "panic-holding-semaphore" => {
            let semaphore = Semaphore::new(world, 1)?;
            if holder {
                let _permit = semaphore.acquire()?;
                world.barrier();
                panic!("failed while holding the lock (the last permit)");
            }
            world.barrier();
            let _permit = semaphore.acquire()?;
            println!("rank {}: got the lock", world.rank());
        }
        other => return Err(Error::input(format!("unknown fault {other}"))),
    }
    Ok(())
}
