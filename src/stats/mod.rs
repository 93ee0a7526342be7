//! Statistics of local blocks with threads and their combination across ranks: vectorised
//! kernels, Welford summaries, exact and reproducible sums.

pub(crate) mod bracket;
pub(crate) mod exact;
pub(crate) mod extract;
pub(crate) mod histogram;
pub mod kernels;
pub(crate) mod order;
pub(crate) mod radix;
pub(crate) mod summary;
pub(crate) mod value;
