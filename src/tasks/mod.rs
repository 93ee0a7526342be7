//! Work handed out across ranks: a master-worker task pool and a bounded queue.

pub(crate) mod pool;
pub(crate) mod queue;
