//! One-sided windows, counters and locks on 1, 2, 3, 4 and 8 ranks, with MPI's message
//! sizes and with 64-byte pieces (so transfers go in many MPI calls), and the counter and the
//! mutex under contention on 16 ranks (both MPIs):
//! fence and passive epochs, uneven and empty windows, every access against values computed
//! here, every index of a counter handed out once, mutual exclusion checked by a critical
//! section that detects overlap, ranks in order through `Sequential`, at most k ranks inside
//! a `Semaphore` of k permits, a baton passed in rank order through a `Condition`,
//! node-shared arrays (filled on every rank or by one, written, read from `.npy` and raw
//! files, on the world and on a split communicator), the misuses refused with an `Err`, a
//! window freed while another rank holds a lock of it, and 1,000 windows created and freed
//! without growth (on Open MPI).
//!
//! No libtest harness: run plainly it relaunches itself under mpirun (see tests/collectives.rs).

mod common;
#[path = "common/npy.rs"]
mod npy;

use mpikit::mpi::topology::Rank;
use mpikit::mpi::traits::*;
use mpikit::ndarray::{Array2, Ix1, Ix2};
use mpikit::prelude::*;
use mpikit::rma::{
    Condition, Counter, LockKind, Mutex, RmaOp, Semaphore, Sequential, SharedArray, Window,
};
use mpikit::runtime::MAX_MESSAGE_ENV;
use mpikit::{Error, ReduceOp, World};

/// Set for the 16-rank launch: only the checks under contention.
const CONTENTION: &str = "MPIKIT_RMA_CONTENTION";

fn main() {
    // Plainly: both launches; under mpirun: the one this process belongs to.
    let contention = std::env::var_os(CONTENTION).is_some();
    if !contention {
        common::spmd_main_everywhere("rma", rank_checks);
    }
    if contention || std::env::var_os(common::RANK_CHECKS).is_none() {
        // 16 ranks on 2 cores: the counter and the mutex under contention, on both MPIs.
        common::spmd_main_on_both_mpis("rma", &[16], &[&[(CONTENTION, "1")]], rank_checks);
    }
}

fn rank_checks() {
    if std::env::var_os(CONTENTION).is_some() {
        return common::run_checks("rma", &[counter, mutex]);
    }
    common::run_checks(
        "rma",
        &[
            fence_epochs,
            passive_epochs,
            counter,
            compare_and_swap,
            mutex,
            sequential,
            semaphore,
            condition,
            refusals,
            free_while_locked_elsewhere,
            shared_arrays,
            no_growth,
        ],
    );
}

/// Rank `r`'s window length: uneven, and empty on every third rank.
fn len_of(r: Rank) -> usize {
    if r % 3 == 2 {
        0
    } else {
        40 * r as usize + 300
    }
}

fn fence_epochs(world: &World) -> Result<(), Error> {
    let (me, size) = (world.rank(), world.size());
    let mut win = Window::<f64>::allocate(world, len_of(me))?;
    assert_eq!(win.size(), size);
    for t in 0..size {
        assert_eq!(win.len_of(t)?, len_of(t));
    }
    // Every rank adds (its rank + 1) · (index + 1) to every element of every window.
    let adds: Vec<Vec<f64>> = (0..size)
        .map(|t| {
            (0..len_of(t))
                .map(|i| f64::from(me + 1) * (i + 1) as f64)
                .collect()
        })
        .collect();
    win.fence_with(|epoch| {
        for (t, add) in adds.iter().enumerate() {
            epoch.accumulate(t as Rank, 0, add, ReduceOp::Sum)?;
        }
        Ok(())
    })?;
    let ranks_sum = f64::from(size * (size + 1) / 2);
    let expect = |i: usize| ranks_sum * (i + 1) as f64;
    for (i, &v) in win.local().iter().enumerate() {
        assert_eq!(v, expect(i), "accumulated element {i} on rank {me}");
    }
    // Every rank reads the next rank's whole window, and a slice of it at an offset.
    let next = (me + 1) % size;
    let mut whole = vec![0.0; len_of(next)];
    let mut part = vec![0.0; len_of(next) / 2];
    let at = len_of(next) - part.len();
    win.fence_with(|epoch| {
        epoch.get(next, 0, &mut whole)?;
        epoch.get(next, at, &mut part)
    })?;
    assert!(whole.iter().enumerate().all(|(i, &v)| v == expect(i)));
    assert!(part.iter().enumerate().all(|(i, &v)| v == expect(at + i)));
    // Puts overwrite; get_accumulate swaps round a ring of the non-empty windows.
    let mine: Vec<f64> = (0..len_of(next))
        .map(|i| f64::from(me) + i as f64)
        .collect();
    win.fence_with(|epoch| epoch.put(next, 0, &mine))?;
    let prev = (me + size - 1) % size;
    for (i, &v) in win.local().iter().enumerate() {
        assert_eq!(v, f64::from(prev) + i as f64, "put element {i}");
    }
    let mut ints = Window::<i64>::allocate(world, 1)?;
    let (value, mut before) = ([i64::from(me) + 10], [0i64]);
    ints.fence_with(|e| e.get_accumulate(next, 0, &value, &mut before, RmaOp::Replace))?;
    assert_eq!(before[0], 0);
    assert_eq!(ints.local()[0], i64::from(prev) + 10);
    Ok(())
}

fn passive_epochs(world: &World) -> Result<(), Error> {
    let (me, size) = (world.rank(), world.size());
    // A board on rank 0: each rank writes its slot under a shared lock.
    let board_len = if me == 0 { 5 * size as usize } else { 0 };
    let mut board = Window::<u32>::allocate(world, board_len)?;
    let mine: Vec<u32> = (0..5).map(|k| 7 * me as u32 + k).collect();
    board
        .lock(0, LockKind::Shared)?
        .put(0, 5 * me as usize, &mine)?;
    world.barrier();
    let expect: Vec<u32> = (0..size as u32)
        .flat_map(|r| (0..5).map(move |k| 7 * r + k))
        .collect();
    if me == 0 {
        assert_eq!(board.local(), expect.as_slice());
    }
    world.barrier();
    // Everyone reads the board back under a lock of all, and bit-ors into it.
    let mut got = vec![0u32; 5 * size as usize];
    board.lock_all()?.get(0, 0, &mut got)?;
    assert_eq!(got, expect);
    world.barrier(); // every rank has read before any writes
    {
        let all = board.lock_all()?;
        all.accumulate(0, 0, &[1u32 << (me % 32)], ReduceOp::BitOr)?;
        all.flush(0)?;
    }
    world.barrier();
    if me == 0 {
        let bits = (0..size).fold(0u32, |b, r| b | 1 << (r % 32));
        assert_eq!(board.local()[0], expect[0] | bits);
    }
    world.barrier();
    // MAX of unsigned values, the top bit set on even ranks: right, or refused on every rank
    // where the library compares unsigned integers as signed (MPICH 4.0.2); never wrong.
    let value = |r: i32| {
        if r % 2 == 0 {
            u32::MAX - r as u32
        } else {
            r as u32
        }
    };
    let maxed = board
        .lock_all()?
        .accumulate(0, 1, &[value(me)], ReduceOp::Max);
    world.barrier();
    match maxed {
        Ok(()) if me == 0 => {
            let want = (0..size).map(value).fold(expect[1], u32::max);
            assert_eq!(board.local()[1], want, "unsigned MAX accumulated");
        }
        Ok(()) => {}
        Err(Error::Input(m)) => assert!(m.contains("unsigned integers as signed"), "{m}"),
        Err(e) => panic!("unsigned MAX accumulate: {e}"),
    }
    world.barrier();
    Ok(())
}

fn counter(world: &World) -> Result<(), Error> {
    let size = world.size() as usize;
    let n = 97 * size + 13;
    let root = world.size() - 1;
    let counter = Counter::new(world, 0, root)?;
    let mine: Vec<usize> = counter.indices(n).collect();
    assert!(
        mine.windows(2).all(|w| w[0] < w[1]),
        "a rank draws in order"
    );
    let all = world.allgather_objects(&mine)?;
    let mut every: Vec<usize> = all.into_iter().flatten().collect();
    every.sort_unstable();
    assert_eq!(every, (0..n).collect::<Vec<_>>(), "each index exactly once");
    // The counter went past n once per rank (each rank's last draw).
    world.barrier();
    assert_eq!(counter.value()?, (n + size) as i64);
    let c2 = Counter::new(world, -5, 0)?;
    let first = c2.fetch_add(3)?;
    assert!(first >= -5 && (first + 5) % 3 == 0);
    Ok(())
}

fn compare_and_swap(world: &World) -> Result<(), Error> {
    let me = world.rank();
    let win = Window::<i32>::allocate(world, 1)?;
    let before = win.lock_all()?.compare_and_swap(0, 0, 0, me + 1)?;
    let won = i32::from(before == 0);
    let winners = world.allreduce_objects(won, |a, b| a + b)?;
    assert_eq!(winners, 1, "exactly one rank swaps first");
    world.barrier();
    let now = win
        .lock(0, LockKind::Shared)?
        .fetch_and_op(0, 0, 0, RmaOp::NoOp)?;
    assert!(now >= 1 && now <= world.size());
    Ok(())
}

fn mutex(world: &World) -> Result<(), Error> {
    let me = world.rank();
    let mutex = Mutex::new(world)?;
    // Slot 0: a plain value updated by get + put (not atomic: only the mutex keeps it
    // exact); slot 1: how many ranks are inside (must be 0 on entry).
    let shared = Window::<i64>::allocate(world, if me == 0 { 2 } else { 0 })?;
    let rounds = 30;
    {
        let all = shared.lock_all()?;
        for _ in 0..rounds {
            let held = mutex.lock()?;
            assert!(mutex.is_held());
            let inside = all.fetch_and_op(0, 1, 1, ReduceOp::Sum)?;
            assert_eq!(inside, 0, "two ranks in the critical section");
            let mut v = [0i64];
            all.get(0, 0, &mut v)?;
            std::thread::yield_now();
            all.put(0, 0, &[v[0] + 1])?;
            all.flush(0)?;
            all.fetch_and_op(0, 1, -1, ReduceOp::Sum)?;
            all.flush(0)?;
            drop(held);
            assert!(!mutex.is_held());
        }
    }
    world.barrier();
    let mut total = [0i64];
    shared.lock(0, LockKind::Shared)?.get(0, 0, &mut total)?;
    assert_eq!(total[0], rounds * i64::from(world.size()));
    Ok(())
}

fn sequential(world: &World) -> Result<(), Error> {
    let seq = Sequential::new(world)?;
    let ticket = Counter::new(world, 0, 0)?;
    let turn = seq.enter()?;
    let mine = ticket.next()?;
    drop(turn);
    assert_eq!(mine, i64::from(world.rank()), "ranks pass in rank order");
    Ok(())
}

fn refusals(world: &World) -> Result<(), Error> {
    let (me, size) = (world.rank(), world.size());
    let win = Window::<u64>::allocate(world, 4)?;
    {
        let all = win.lock_all()?;
        let e = all.put(size, 0, &[1]);
        assert!(matches!(e, Err(Error::Rank { .. })), "{e:?}");
        let e = all.put(0, 3, &[1, 2]);
        assert!(matches!(e, Err(Error::Window(_))), "{e:?}");
        let mut buf = [0u64; 5];
        assert!(matches!(all.get(0, 0, &mut buf), Err(Error::Window(_))));
        assert!(all.fetch_and_op(-1, 0, 1, ReduceOp::Sum).is_err());
        assert!(matches!(
            win.lock(0, LockKind::Shared),
            Err(Error::Window(_))
        ));
        assert!(win.lock_all().is_err());
    }
    {
        let lock = win.lock(me, LockKind::Exclusive)?;
        assert!(matches!(
            win.lock(me, LockKind::Shared),
            Err(Error::Window(_))
        ));
        assert!(win.lock_all().is_err());
        let other = (me + 1) % size;
        if other != me {
            assert!(lock.put(other, 0, &[1]).is_err(), "a lock of one rank only");
        }
        assert!(win.fence_with(|_| Ok(())).is_err(), "a fence inside a lock");
    }
    let floats = Window::<f64>::allocate(world, 1)?;
    let e = floats.lock_all()?.compare_and_swap(0, 0, 0.0, 1.0);
    assert!(matches!(e, Err(Error::Window(_))), "{e:?}");
    let e = floats
        .lock_all()?
        .accumulate(0, 0, &[1.0], ReduceOp::BitXor);
    assert!(e.is_err());
    let mutex = Mutex::new(world)?;
    let held = mutex.lock()?;
    assert!(
        matches!(mutex.lock(), Err(Error::Window(_))),
        "a mutex taken twice"
    );
    drop(held);
    // Every rank still takes part after the refusals.
    let after = Counter::new(world, 0, 0)?;
    after.next()?;
    world.barrier();
    assert_eq!(after.value()?, i64::from(size));
    Ok(())
}

/// The resident memory of this process, from /proc (kB).
fn rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

/// Every rank drops a window while rank 0 still holds a lock of the last rank's part and
/// writes there: the free is collective, so the others wait in it until rank 0 has unlocked
/// (its accesses complete) and drops the window too. Then the job goes on: no hang, no abort.
fn free_while_locked_elsewhere(world: &World) -> Result<(), Error> {
    let last = world.size() - 1;
    let win = Window::<u64>::allocate(world, 4)?;
    if world.rank() == 0 {
        let lock = win.lock(last, LockKind::Exclusive)?;
        lock.put(last, 0, &[7; 4])?;
        std::thread::sleep(std::time::Duration::from_millis(50));
        drop(lock);
    }
    drop(win);
    let total = world.allreduce_scalar(1u64, ReduceOp::Sum)?;
    assert_eq!(total, world.size() as u64);
    Ok(())
}

fn no_growth(world: &World) -> Result<(), Error> {
    // Once per rank count is enough; and not on MPICH, whose ranks poll without yielding:
    // 1,100 creations (four collectives each) on 3 ranks over 2 cores take 100 s there.
    let mpich = mpikit::mpi::environment::library_version()
        .unwrap_or_default()
        .contains("MPICH");
    if std::env::var_os(MAX_MESSAGE_ENV).is_some() || mpich {
        return Ok(());
    }
    for _ in 0..100 {
        drop(Window::<u8>::allocate(world, 4096)?);
    }
    let before = rss_kb();
    for i in 0..1000 {
        let mut w = Window::<u8>::allocate(world, 4096)?;
        w.local_mut()[0] = i as u8;
    }
    let grown = rss_kb().saturating_sub(before);
    assert!(
        grown < 8 * 1024,
        "1,000 windows grew the process by {grown} kB"
    );
    Ok(())
}

/// An npy v1.0 file written by hand (not by the code under test): `descr`, shape, order.
fn write_npy(path: &std::path::Path, descr: &str, shape: &[usize], fortran: bool, body: &[u8]) {
    let mut out = npy::npy_header(descr, shape, fortran);
    out.extend(body);
    std::fs::write(path, out).expect("write the npy file");
}

fn shared_arrays(world: &World) -> Result<(), Error> {
    let size = world.size() as usize;
    // Fewer rows than ranks on 8 ranks (empty blocks), and uneven blocks elsewhere.
    for (rows, cols) in [(3usize, 5usize), (37, 11), (0, 4)] {
        let value = |i: usize, j: usize| (i * 1000 + j) as i64;
        let mut a = SharedArray::<i64, Ix2>::from_fn(world, (rows, cols), world.pool(), |k| {
            value(k / cols, k % cols)
        })?;
        assert_eq!(a.node_size(), world.local_size() as usize);
        let want = Array2::from_shape_fn((rows, cols), |(i, j)| value(i, j));
        assert_eq!(a.view(), want.view());
        // A write phase: each rank negates its block; every rank sees every block.
        a.write_with(|block, range| {
            assert_eq!(block.len(), range.len());
            block.iter_mut().for_each(|x| *x = -*x);
        })?;
        assert_eq!(a.view(), want.mapv(|x| -x).view());
        // Filled by one rank: the node's first writes everything, every rank sees it.
        let first = a.write_whole_with(|all| {
            all.iter_mut().enumerate().for_each(|(k, x)| *x = k as i64);
            all.len()
        })?;
        assert_eq!(first.unwrap_or(rows * cols), rows * cols);
        let writers = world.allreduce_scalar(u64::from(first.is_some()), ReduceOp::Sum)?;
        assert_eq!(
            writers,
            (size / a.node_size()) as u64,
            "one writer per node"
        );
        let arange = Array2::from_shape_fn((rows, cols), |(i, j)| (i * cols + j) as i64);
        assert_eq!(a.view(), arange.view());
    }
    // On a split communicator (even and odd ranks): each half its own array.
    let half = world
        .split_by_color(mpikit::mpi::topology::Color::with_value(world.rank() % 2))
        .expect("a colour");
    let n = 100 + world.rank() as usize % 2;
    let b = SharedArray::<f32, Ix1>::from_fn(&half, n, world.pool(), |i| i as f32)?;
    assert_eq!(b.view().len(), n);
    assert_eq!(b.view()[n - 1], (n - 1) as f32);
    drop(b);
    // From .npy files, C and Fortran order, written here by rank 0.
    let dir = std::env::temp_dir().join(format!("mpikit-rma-{}", std::process::id()));
    let (c_path, f_path) = (dir.join("c.npy"), dir.join("f.npy"));
    let (rows, cols) = (2 * size + 1, 3);
    let m = Array2::from_shape_fn((rows, cols), |(i, j)| (i * 10 + j) as f64);
    if world.rank() == 0 {
        std::fs::create_dir_all(&dir).expect("scratch folder");
        let c_body: Vec<u8> = m.iter().flat_map(|x| x.to_le_bytes()).collect();
        let f_body: Vec<u8> = m.t().iter().flat_map(|x| x.to_le_bytes()).collect();
        write_npy(&c_path, "<f8", &[rows, cols], false, &c_body);
        write_npy(&f_path, "<f8", &[rows, cols], true, &f_body);
    }
    let paths = world.broadcast_object(0, Some(&(c_path, f_path)))?;
    for path in [&paths.0, &paths.1] {
        let t = SharedArray::<f64, Ix2>::read_npy(world, path, world.pool())?;
        assert_eq!(t.view(), m.view(), "{}", path.display());
    }
    // A raw file of the same values (numpy's tofile), and one read with the wrong shape.
    let raw = paths.0.with_file_name("m.bin"); // rank 0's folder
    if world.rank() == 0 {
        let body: Vec<u8> = m.iter().flat_map(|x| x.to_ne_bytes()).collect();
        std::fs::write(&raw, body).expect("raw file");
    }
    world.barrier();
    let t = SharedArray::<f64, Ix2>::read_raw(world, &raw, (rows, cols), world.pool())?;
    assert_eq!(t.view(), m.view(), "raw");
    let e = SharedArray::<f64, Ix2>::read_raw(world, &raw, (rows + 1, cols), world.pool());
    let text = e.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        text.contains(&format!("{} bytes, the shape", rows * cols * 8)),
        "{text}"
    );
    // The wrong dtype or number of axes: the same Err everywhere.
    let e = SharedArray::<i32, Ix2>::read_npy(world, &paths.0, world.pool());
    let text = e.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(text.contains("dtype '<f8'"), "{text}");
    let e = SharedArray::<f64, Ix1>::read_npy(world, &paths.0, world.pool());
    let text = e.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(text.contains("2 axes, the array has 1"), "{text}");
    // 8 TiB: refused by the memory check on every rank, before allocating; the node's need
    // is one copy (8.8 TB), not one per rank.
    let e = SharedArray::<f64, Ix1>::zeros(world, 1usize << 40);
    let text = e.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(text.contains("cannot fit"), "{text}");
    let ranks = world.local_size();
    let need = format!(
        "(8.8 TB for the {ranks} rank{}",
        if ranks == 1 { "" } else { "s" }
    );
    assert!(text.contains(&need), "{text}");
    let e = SharedArray::<f64, Ix1>::zeros(world, world.rank() as usize % 2 + 1);
    assert_eq!(e.is_err(), size > 1, "shapes that differ between ranks");
    world.barrier();
    if world.rank() == 0 {
        std::fs::remove_dir_all(&dir).ok();
    }
    Ok(())
}

fn semaphore(world: &World) -> Result<(), Error> {
    let permits = 2;
    let sem = Semaphore::new(world, permits)?;
    // Rank 0: [ranks inside now, the most ever inside, entries].
    let stats = Window::<i64>::allocate(world, if world.rank() == 0 { 3 } else { 0 })?;
    {
        let all = stats.lock_all()?;
        for _ in 0..10 {
            let permit = sem.acquire()?;
            let inside = all.fetch_and_op(0, 0, 1, ReduceOp::Sum)? + 1;
            all.fetch_and_op(0, 1, inside, ReduceOp::Max)?;
            all.fetch_and_op(0, 2, 1, ReduceOp::Sum)?;
            std::thread::yield_now();
            all.fetch_and_op(0, 0, -1, ReduceOp::Sum)?;
            all.flush(0)?;
            drop(permit);
        }
    }
    world.barrier();
    let mut got = [0i64; 3];
    stats.lock(0, LockKind::Shared)?.get(0, 0, &mut got)?;
    assert_eq!(got[0], 0);
    assert!(
        got[1] >= 1 && got[1] <= i64::from(permits),
        "{} inside at once",
        got[1]
    );
    assert_eq!(got[2], 10 * i64::from(world.size()));
    Ok(())
}

fn condition(world: &World) -> Result<(), Error> {
    let (me, size) = (world.rank(), world.size());
    let cond = Condition::new(world)?;
    // A baton on rank 0: rank r waits until it reads r, then passes r + 1 and notifies.
    let baton = Window::<i32>::allocate(world, usize::from(me == 0))?;
    let read = || -> Result<i32, Error> {
        let mut v = [0i32];
        baton.lock(0, LockKind::Shared)?.get(0, 0, &mut v)?;
        Ok(v[0])
    };
    let held = cond.wait_for(cond.lock()?, || Ok(read()? == me))?;
    baton.lock(0, LockKind::Exclusive)?.put(0, 0, &[me + 1])?;
    cond.notify_all(&held)?;
    drop(held);
    if me == 0 {
        let _held = cond.wait_for(cond.lock()?, || Ok(read()? == size))?;
    }
    world.barrier();
    assert_eq!(read()?, size, "the baton went round once");
    let other = Mutex::new(world)?;
    let foreign = other.lock()?;
    let e = cond.notify(&foreign, 1);
    assert!(
        matches!(e, Err(Error::Window(_))),
        "a guard of another mutex"
    );
    drop(foreign);
    Ok(())
}
