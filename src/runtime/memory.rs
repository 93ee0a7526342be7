//! What a node can hold, and refusing a job that cannot fit before anything is allocated:
//! the memory available from the operating system (`MemAvailable`) and any cgroup limit (a
//! container or a batch job's allocation), shared by the ranks on the node.

use std::path::Path;

use mpi::collective::{CommunicatorCollectives, SystemOperation};
use mpi::topology::Communicator;

use crate::error::{Error, Result};
use crate::runtime::agree::agree_on;
use crate::runtime::world::Comm;

/// Bytes this process may still allocate on its node: the smaller of the kernel's
/// `MemAvailable` and the room left under every cgroup memory limit above this process;
/// `None` where neither can be read (not Linux).
///
/// # Examples
/// ```
/// if let Some(bytes) = mpikit::runtime::available_memory() {
///     assert!(bytes > 0);
/// }
/// ```
pub fn available_memory() -> Option<u64> {
    let mem = meminfo_available();
    let cg = cgroup_room();
    match (mem, cg) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn meminfo_available() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn read_u64(path: &Path) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// The room under the tightest cgroup memory limit on this process's path (v2, or v1's
/// memory controller).
fn cgroup_room() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let mut room: Option<u64> = None;
    let mut tighten = |r: u64| room = Some(room.map_or(r, |x| x.min(r)));
    for line in text.lines() {
        let mut f = line.splitn(3, ':');
        let (_, controllers, path) = (f.next()?, f.next()?, f.next()?);
        let (base, limit, usage) = match controllers {
            "" => ("/sys/fs/cgroup", "memory.max", "memory.current"),
            c if c.split(',').any(|c| c == "memory") => (
                "/sys/fs/cgroup/memory",
                "memory.limit_in_bytes",
                "memory.usage_in_bytes",
            ),
            _ => continue,
        };
        // The limit of the process's own group and of every group above it.
        let mut dir = Path::new(base).join(path.trim_start_matches('/'));
        loop {
            if let (Some(max), Some(used)) =
                (read_u64(&dir.join(limit)), read_u64(&dir.join(usage)))
            {
                // v1 spells "no limit" as a huge number; v2 as "max" (not a number).
                if max < 1 << 60 {
                    tighten(max.saturating_sub(used));
                }
            }
            if dir == Path::new(base) || !dir.pop() {
                break;
            }
        }
    }
    room
}

/// `bytes` as a short figure: `812 MB`, `40.0 GB`, `8.0 TB`.
///
/// # Examples
/// ```
/// use mpikit::runtime::human_bytes;
/// assert_eq!(human_bytes(812_000_000), "812 MB");
/// assert_eq!(human_bytes(40_000_000_000), "40.0 GB");
/// ```
pub fn human_bytes(bytes: u64) -> String {
    let b = bytes as f64;
    match bytes {
        n if n >= 1_000_000_000_000 => format!("{:.1} TB", b / 1e12),
        n if n >= 1_000_000_000 => format!("{:.1} GB", b / 1e9),
        n if n >= 1_000_000 => format!("{:.0} MB", b / 1e6),
        n => format!("{n} B"),
    }
}

/// Checks, on every rank of `comm` together, that what each rank is about to allocate fits
/// in its node's memory (the ranks sharing a node share it); the same `Err` on every rank
/// if any node falls short, before anything is allocated. `what` names the request (as the
/// user gave it), `bytes` is this rank's need, and `advice` says what to do instead.
///
/// # Examples
/// ```no_run
/// mpikit::run(|world| {
///     let n: u64 = 5_000_000_000;
///     let mine = n / world.size() as u64 * 8;
///     mpikit::runtime::check_memory(world, "an array of 5e9 f64", mine, "use more nodes")?;
///     Ok::<(), mpikit::Error>(())
/// });
/// ```
pub fn check_memory<A: Comm + ?Sized>(
    comm: &A,
    what: &str,
    bytes: u64,
    advice: &str,
) -> Result<()> {
    let comm = comm.as_comm();
    let node = comm.split_shared(comm.rank());
    let mut need = 0u64;
    node.all_reduce_into(&bytes, &mut need, SystemOperation::sum());
    // As signed integers: MPICH 4.0.2's MPI_MIN compares unsigned ones as signed (u64::MAX,
    // "unknown", would win).
    let mine = available_memory().map_or(i64::MAX, |m| m.min(i64::MAX as u64) as i64);
    let mut room = 0i64;
    node.all_reduce_into(&mine, &mut room, SystemOperation::min());
    let room = room as u64;
    let ranks = node.size();
    let verdict = if need > room {
        let host = mpi::environment::processor_name().unwrap_or_else(|_| "this node".into());
        Err(Error::input(format!(
            "{what} cannot fit: rank {} needs {} ({} for the {ranks} rank{} on {host}), and the \
             node has {} available; {advice}",
            comm.rank(),
            human_bytes(bytes),
            human_bytes(need),
            if ranks == 1 { "" } else { "s" },
            human_bytes(room)
        )))
    } else {
        Ok(())
    };
    agree_on(comm, verdict)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_machine_has_some_memory_and_figures_read_well() {
        let avail = available_memory().expect("Linux has /proc/meminfo");
        assert!(avail > 1 << 20, "{avail}");
        assert_eq!(human_bytes(40_000_000_000), "40.0 GB");
        assert_eq!(human_bytes(8_000_000_000_000), "8.0 TB");
        assert_eq!(human_bytes(812_000_000), "812 MB");
    }
}
