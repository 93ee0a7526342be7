//! One-sided access: memory that other ranks read, write and update without the owner's
//! help (mpi4py's `MPI.Win`), and the locks and counters built on it (mpi4py.util.sync).
//!
//! A [`Window`] is memory of `len` elements on every rank (`MPI_Win_allocate`; each rank its
//! own length). Accesses happen in an *epoch*, and each kind of epoch is a type:
//!
//! - [`Window::fence_with`] runs a closure inside a fence epoch, collective over the
//!   window's ranks: [`Fence::put`], [`Fence::get`], [`Fence::accumulate`],
//!   [`Fence::get_accumulate`] lend buffers that must outlive the call (the borrow checker
//!   refuses a buffer made inside the closure), and every access is complete everywhere when
//!   it returns.
//! - [`Window::lock`] (one target, [`LockKind::Shared`] or [`LockKind::Exclusive`]) and
//!   [`Window::lock_all`] are passive-target epochs: guards that unlock when dropped. Their
//!   accesses ([`Passive`]) return once complete at the origin, so buffers are free at
//!   once; [`Passive::fetch_and_op`] and [`Passive::compare_and_swap`] are the atomics that
//!   counters and locks are made of, and [`Passive::flush`] completes accesses at the target.
//!
//! The local memory ([`Window::local`], [`Window::local_mut`]) needs `&mut self`: it cannot
//! be borrowed while this rank holds an epoch open. A target rank or displacement outside
//! the window, a lock taken twice, or an epoch inside another is an [`Error::Window`] or
//! [`Error::Rank`] on the calling rank before MPI is called (MPI's own answer would be to
//! abort the job). Transfers past MPI's 2^31-element counts go in pieces.
//!
//! # Examples
//! ```no_run
//! use mpikit::rma::Window;
//! mpikit::run(|world| {
//!     // Every rank writes its rank into slot `rank` of rank 0's window.
//!     let size = world.size() as usize;
//!     let mut win = Window::<i32>::allocate(world, if world.rank() == 0 { size } else { 0 })?;
//!     let mine = [world.rank()];
//!     win.fence_with(|epoch| epoch.put(0, world.rank() as usize, &mine))?;
//!     if world.rank() == 0 {
//!         assert_eq!(win.local(), (0..world.size()).collect::<Vec<_>>().as_slice());
//!     }
//!     Ok::<(), mpikit::Error>(())
//! });
//! ```
//!
//! # Misuse that does not compile
//!
//! The local memory while this rank's lock guard lives:
//! ```compile_fail
//! # use mpikit::rma::{LockKind, Window};
//! # mpikit::run(|world| {
//! let mut win = Window::<u8>::allocate(world, 4)?;
//! let lock = win.lock(0, LockKind::Shared)?;
//! win.local_mut()[0] = 1; // `win` is borrowed by `lock`
//! drop(lock);
//! # Ok::<(), mpikit::Error>(()) });
//! ```
//! A window freed while this rank holds a lock of it:
//! ```compile_fail
//! # use mpikit::rma::{LockKind, Window};
//! # mpikit::run(|world| {
//! let win = Window::<u8>::allocate(world, 4)?;
//! let lock = win.lock(0, LockKind::Exclusive)?;
//! drop(win); // `win` is borrowed by `lock`
//! drop(lock);
//! # Ok::<(), mpikit::Error>(()) });
//! ```
//! A buffer that would be gone before the fence completes the put:
//! ```compile_fail
//! # use mpikit::rma::Window;
//! # mpikit::run(|world| {
//! let win = Window::<u8>::allocate(world, 4)?;
//! win.fence_with(|epoch| {
//!     let data = vec![1u8; 4];
//!     epoch.put(0, 0, &data) // `data` does not live long enough
//! })?;
//! # Ok::<(), mpikit::Error>(()) });
//! ```
//! A shared array written while a view of it lives:
//! ```compile_fail
//! # use mpikit::rma::SharedArray;
//! # use mpikit::ndarray::Ix1;
//! # mpikit::run(|world| {
//! let mut a = SharedArray::<u8, Ix1>::zeros(world, 4)?;
//! let view = a.view();
//! a.write_with(|block, _| block.fill(1))?; // `a` is borrowed by `view`
//! println!("{}", view[0]);
//! # Ok::<(), mpikit::Error>(()) });
//! ```
//!
//! [`Error::Window`]: crate::Error::Window
//! [`Error::Rank`]: crate::Error::Rank

mod condition;
mod epoch;
mod mutex;
mod passive;
mod shared;
mod sync;
mod window;

pub use condition::{Condition, Permit, Semaphore};
pub(crate) use epoch::Access;
pub use epoch::{Fence, LockKind, RmaOp};
pub use mutex::{Mutex, MutexGuard};
pub use passive::{Lock, LockAll, Passive};
pub use shared::SharedArray;
pub use sync::{Counter, Sequential, Turn};
pub use window::Window;
