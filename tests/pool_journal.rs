//! Pool recovery (`Pool::journal`) on 1, 2, 3, 4 and 8 ranks, checked against which tasks
//! really ran (every task notes its index on its rank; rank 0 gathers them) and against the
//! journal's records read by a parser of the documented layout written here:
//! a finished map rerun runs nothing; a journal cut to a prefix plus a torn record reruns
//! exactly the missing tasks, `as_completed` reporting the recorded ones first; failed tasks
//! are retried; other items, damage with records after it, and other files are one `Err` on
//! every rank; a damaged last record is dropped.
//!
//! Then real crashes: a child job (this binary, `POOL_JOURNAL_CHILD` set) is SIGKILLed mid-map
//! on 1, 3 and 4 ranks (the task of item 30 kills its own rank once the journal holds 10
//! records), a torn record is appended, and the rerun must run exactly the unrecorded tasks
//! and return every result in input order.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use mpikit::mpi::traits::*;
use mpikit::prelude::*;
use mpikit::{Pool, World};

/// Set for a child job: the folder of its journal and markers.
const CHILD: &str = "POOL_JOURNAL_CHILD";
/// `crash` or `rerun`, for a child job.
const PHASE: &str = "POOL_JOURNAL_PHASE";
/// The item whose task kills its rank in the crash phase.
const KILL_AT: usize = 30;

fn main() {
    if let Ok(dir) = std::env::var(CHILD) {
        return child(Path::new(&dir), &std::env::var(PHASE).expect(PHASE));
    }
    common::spmd_main_everywhere("pool_journal", rank_checks);
    if std::env::var_os(common::RANK_CHECKS).is_none() && common::have_mpirun("pool_journal") {
        crash_and_rerun();
    }
}

/// The indices of the tasks this rank ran since the last [`ran`].
static RAN: Mutex<Vec<usize>> = Mutex::new(Vec::new());

/// The task: results of varying size, and a note that it ran.
fn label(x: &u64) -> String {
    RAN.lock().unwrap().push(*x as usize);
    format!("<{x}>").repeat((*x % 5) as usize + 1)
}

/// On rank 0: every index run on any rank since the last call, sorted.
fn ran(comm: &mpikit::mpi::topology::SimpleCommunicator) -> Option<Vec<usize>> {
    let mine = std::mem::take(&mut *RAN.lock().unwrap());
    let all = comm.gather_objects(0, &mine).unwrap()?;
    let mut all: Vec<usize> = all.into_iter().flatten().collect();
    all.sort_unstable();
    Some(all)
}

/// The documented layout: a 28-byte header, then (length u32, CRC-32 u32, index u64, result)
/// records. The byte offsets where the whole records start and end, and their indices.
fn records(path: &Path) -> (Vec<(usize, usize)>, Vec<usize>) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..8], b"MPIKPJ01");
    let (mut spans, mut indices, mut at) = (Vec::new(), Vec::new(), 28);
    while bytes.len() - at >= 8 {
        let len = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        if at + 8 + len > bytes.len() {
            break;
        }
        let index = u64::from_le_bytes(bytes[at + 8..at + 16].try_into().unwrap());
        indices.push(index as usize);
        spans.push((at, at + 8 + len));
        at += 8 + len;
    }
    (spans, indices)
}

fn every(n: usize) -> Vec<usize> {
    (0..n).collect()
}

/// The same `Err` text on every rank (gathered to rank 0), containing `says`.
fn refused_everywhere(
    comm: &mpikit::mpi::topology::SimpleCommunicator,
    got: mpikit::Result<impl Sized>,
    says: &str,
) {
    let text = got.err().map(|e| e.to_string());
    if let Some(all) = comm.gather_objects(0, &text).unwrap() {
        assert!(
            all.iter().all(|t| *t == all[0]),
            "the same Err everywhere: {all:?}"
        );
        let t = all[0].clone().expect("an Err");
        assert!(t.contains(says), "{t:?} should say {says:?}");
    }
}

fn rank_checks() {
    let world = World::init().expect("MPI init");
    let comm = world.comm();
    let root = comm.rank() == 0;
    let dir = std::env::temp_dir().join(format!("mpikit-pool-journal-{}", std::process::id()));
    if root {
        std::fs::create_dir_all(&dir).unwrap();
    }
    let items: Vec<u64> = (0..40).collect();
    let want: Vec<_> = items
        .iter()
        .map(|x| Ok(format!("<{x}>").repeat((*x % 5) as usize + 1)))
        .collect();
    for chunksize in [1, 3] {
        let path = dir.join(format!("labels-{chunksize}.journal"));
        let mut pool = Pool::new(comm).chunksize(chunksize).journal(&path);
        // A first run records every task, and the journal stays.
        let got = pool.map(&items, label).unwrap();
        if let (Some(got), Some(ran)) = (got, ran(comm)) {
            assert_eq!((got, ran), (want.clone(), every(40)));
            let (_, mut recorded) = records(&path);
            recorded.sort_unstable();
            assert_eq!(recorded, every(40));
        }
        // A finished map rerun runs nothing, in order or not.
        let got = pool.map(&items, label).unwrap();
        if let (Some(got), Some(ran)) = (got, ran(comm)) {
            assert_eq!((got, ran), (want.clone(), vec![]));
        }
        let got = pool.map_unordered(&items, label).unwrap();
        if let (Some(mut got), Some(ran)) = (got, ran(comm)) {
            got.sort_by_key(|(i, _)| *i);
            let w: Vec<_> = want.iter().cloned().enumerate().collect();
            assert_eq!((got, ran), (w, vec![]));
        }
        // Cut to 13 records and half of the 14th, as a killed job leaves it: as_completed
        // reports the 13 first, in the journal's order, then runs exactly the other 27.
        let mut first = Vec::new();
        if root {
            let (spans, indices) = records(&path);
            let bytes = std::fs::read(&path).unwrap();
            std::fs::write(&path, &bytes[..(spans[13].0 + spans[13].1) / 2]).unwrap();
            first = indices[..13].to_vec();
        }
        let mut seen = Vec::new();
        pool.as_completed(&items, label, |i, r| seen.push((i, r)))
            .unwrap();
        if let Some(ran) = ran(comm) {
            let order: Vec<usize> = seen.iter().map(|(i, _)| *i).collect();
            assert_eq!(order[..13], first[..], "the recorded results first");
            seen.sort_by_key(|(i, _)| *i);
            assert_eq!(seen, want.iter().cloned().enumerate().collect::<Vec<_>>());
            assert_eq!(
                ran,
                every(40)
                    .into_iter()
                    .filter(|i| !first.contains(i))
                    .collect::<Vec<_>>()
            );
            let (_, mut recorded) = records(&path);
            recorded.sort_unstable();
            assert_eq!(
                recorded,
                every(40),
                "the torn record was cut off, the rest appended"
            );
        }
        // A damaged last record is dropped: its task runs again.
        let mut last = usize::MAX;
        if root {
            last = records(&path).1[39];
            let mut bytes = std::fs::read(&path).unwrap();
            *bytes.last_mut().unwrap() ^= 0x55;
            std::fs::write(&path, &bytes).unwrap();
        }
        let got = pool.map(&items, label).unwrap();
        if let (Some(got), Some(ran)) = (got, ran(comm)) {
            assert_eq!((got, ran), (want.clone(), vec![last]));
        }
        // Other items (fewer, or one changed), a damaged record with more after it, and a
        // file that is no journal: one Err on every rank, and no task runs.
        refused_everywhere(
            comm,
            pool.map(&items[..39], label),
            "the journal of another map",
        );
        let mut other = items.clone();
        other[7] = 1000;
        refused_everywhere(comm, pool.map(&other, label), "the journal of another map");
        let saved = root.then(|| std::fs::read(&path).unwrap());
        if let Some(saved) = &saved {
            let (spans, _) = records(&path);
            let mut bytes = saved.clone();
            bytes[spans[5].1 - 1] ^= 0x55;
            std::fs::write(&path, &bytes).unwrap();
        }
        refused_everywhere(
            comm,
            pool.map(&items, label),
            "damaged (checksum) and more follow",
        );
        if root {
            std::fs::write(&path, "label,value\n1,2\n3,4\n5,6\n7,8\n9,10\n").unwrap();
        }
        refused_everywhere(comm, pool.map(&items, label), "not an mpikit pool journal");
        assert_eq!(ran(comm).map(|r| r.len()), root.then_some(0));
        if let Some(saved) = saved {
            std::fs::write(&path, saved).unwrap(); // the journal is usable again
        }
        let got = pool.map(&items, label).unwrap();
        if let (Some(got), Some(ran)) = (got, ran(comm)) {
            assert_eq!((got, ran), (want.clone(), vec![]));
        }
    }
    // No items: a journal like any other. Progress counts the recorded results: a rerun of
    // a finished map reports (40, 40) at once.
    let empty = dir.join("empty.journal");
    let mut pool = Pool::new(comm).journal(&empty);
    for _ in 0..2 {
        let got = pool.map(&[] as &[u64], label).unwrap();
        assert_eq!(got, root.then(Vec::new));
    }
    let seen = std::cell::RefCell::new(Vec::new());
    let path = dir.join("progress.journal");
    let mut pool = Pool::new(comm)
        .journal(&path)
        .on_progress(|done, total| seen.borrow_mut().push((done, total)));
    pool.map(&items, label).unwrap();
    seen.borrow_mut().clear();
    pool.map(&items, label).unwrap();
    drop(pool);
    let _ = ran(comm);
    assert_eq!(
        seen.into_inner(),
        if root { vec![(40, 40)] } else { vec![] }
    );
    // Failed tasks are not recorded: the rerun retries exactly them.
    let path = dir.join("failures.journal");
    let mut pool = Pool::new(comm).journal(&path);
    for attempt in 0..2 {
        let got = pool
            .try_map(&items[..20], |x| {
                let s = label(x);
                if attempt == 0 && x % 4 == 3 {
                    return Err(format!("item {x} failed"));
                }
                Ok(s)
            })
            .unwrap();
        if let (Some(got), Some(ran)) = (got, ran(comm)) {
            let failing: Vec<usize> = (0..20).filter(|x| x % 4 == 3).collect();
            if attempt == 0 {
                assert_eq!(ran, every(20));
                let errs: Vec<usize> = got
                    .iter()
                    .filter_map(|r| r.as_ref().err().map(|e| e.index))
                    .collect();
                assert_eq!(errs, failing);
            } else {
                assert_eq!((got, ran), (want[..20].to_vec(), failing));
            }
        }
    }
    comm.barrier();
    if root {
        std::fs::remove_dir_all(&dir).unwrap();
    }
    common::report_ok("pool_journal", comm);
}

/// The items of the crash test and their results.
const CHILD_ITEMS: u64 = 60;

/// A child job: the crash phase kills a rank inside the task of item [`KILL_AT`] once the
/// journal holds 10 records; the rerun phase checks every result on rank 0.
fn child(dir: &Path, phase: &str) {
    let world = World::init().expect("MPI init");
    let comm = world.comm();
    let journal = dir.join("child.journal");
    let mut pool = Pool::new(comm).journal(&journal);
    let items: Vec<u64> = (0..CHILD_ITEMS).collect();
    let got = pool
        .map(&items, |&x| {
            let marker = dir.join(format!("ran-{phase}-{x}"));
            std::fs::File::create_new(&marker).expect("each task runs once per phase");
            if phase == "crash" && x as usize == KILL_AT {
                while records(&journal).1.len() < 10 {
                    std::thread::sleep(Duration::from_millis(10));
                }
                // SAFETY: raise(2) on this process.
                unsafe { libc::raise(libc::SIGKILL) };
            }
            std::thread::sleep(Duration::from_millis(5));
            x * x + 1
        })
        .unwrap();
    if let Some(got) = got {
        let want: Vec<_> = items.iter().map(|x| Ok(x * x + 1)).collect();
        assert_eq!(got, want, "every result, in input order");
        println!("rerun results ok");
    }
    comm.barrier();
}

/// The indices of the markers `ran-{phase}-*` in `dir`, sorted.
fn markers(dir: &Path, phase: &str) -> Vec<usize> {
    let prefix = format!("ran-{phase}-");
    let mut found: Vec<usize> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            e.ok()?
                .file_name()
                .to_str()?
                .strip_prefix(&prefix)?
                .parse()
                .ok()
        })
        .collect();
    found.sort_unstable();
    found
}

fn crash_and_rerun() {
    let exe = std::env::current_exe().expect("own path");
    let mut passed = 0;
    for np in [1, 3, 4]
        .into_iter()
        .filter(|&np| common::runs_on_this_mpi(np))
    {
        let dir: PathBuf =
            std::env::temp_dir().join(format!("mpikit-pool-crash-{}-{np}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let d = dir.to_str().unwrap();
        let timeout = Duration::from_secs(60);
        let job = common::mpirun_with(np, &exe, &[], &[(CHILD, d), (PHASE, "crash")], timeout);
        job.check(job.code != Some(0), "the crash phase must not succeed");
        job.check(
            !job.stdout.contains("rerun results ok"),
            "the crash phase must not finish",
        );
        let journal = dir.join("child.journal");
        let (_, mut recorded) = records(&journal);
        recorded.sort_unstable();
        job.check(
            recorded.len() >= 10,
            &format!("10 records or more: {recorded:?}"),
        );
        job.check(
            !recorded.contains(&KILL_AT),
            "the killing task is not recorded",
        );
        let crashed = markers(&dir, "crash");
        job.check(
            recorded.iter().all(|i| crashed.binary_search(i).is_ok()),
            "every recorded task ran",
        );
        // A torn record after the whole ones, as a kill inside a write would leave.
        let mut bytes = std::fs::read(&journal).unwrap();
        bytes.extend_from_slice(&[40, 0, 0, 0, 1, 2, 3, 4, 5]);
        std::fs::write(&journal, bytes).unwrap();
        let rerun = common::mpirun_with(
            np,
            &exe,
            &[],
            &[(CHILD, d), (PHASE, "rerun")],
            common::TIMEOUT,
        );
        rerun.assert_ok();
        rerun.check(
            rerun.stdout.contains("rerun results ok"),
            "rank 0 checked the results",
        );
        let missing: Vec<usize> = (0..CHILD_ITEMS as usize)
            .filter(|i| recorded.binary_search(i).is_err())
            .collect();
        let again = markers(&dir, "rerun");
        rerun.check(
            again == missing,
            &format!("the rerun ran {again:?}, not the unrecorded {missing:?}"),
        );
        println!(
            "test pool_journal crash on {np} ranks ... ok ({} of {CHILD_ITEMS} recorded before the kill)",
            recorded.len()
        );
        std::fs::remove_dir_all(&dir).unwrap();
        passed += 1;
    }
    println!("pool_journal crash: {passed} passed, 0 failed");
}
