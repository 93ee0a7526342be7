//! Statistics of each rank's block, computed with its threads and combined across ranks in
//! one reduction: sums, means, variances, extremes and counts ([`Partial`] over the
//! vectorised [`kernels`], or a [`Summary`] with a NaN policy and exact integer sums),
//! correctly rounded reproducible sums ([`ExactSum`]), histograms ([`Histogram`],
//! [`histogram`]) and exact medians and quantiles over any source read in passes
//! ([`median`], [`quantiles`], [`Passes`]) without gathering the data.
//!
//! ```no_run
//! use mpikit::prelude::*;
//! use mpikit::stats::{median, InMemory, NanPolicy, Partial, Stat};
//!
//! mpikit::run(|world| {
//!     let x: Vec<f64> = world.block(1_000_001).map(|i| i as f64).collect();
//!     // One pass with the threads, one reduction across ranks.
//!     let mean = Partial::local(Stat::Mean, &x, world.pool())?.combine(world)?;
//!     // The exact median over every rank, without gathering the values.
//!     let data = InMemory { data: &x, pool: world.pool() };
//!     let med = median(world, &data, NanPolicy::Propagate)?;
//!     assert_eq!((mean, med), (500_000.0, 500_000.0));
//!     Ok::<(), mpikit::Error>(())
//! });
//! ```

pub(crate) mod bracket;
pub(crate) mod exact;
pub(crate) mod extract;
pub(crate) mod histogram;
pub(crate) mod int_summary;
pub mod kernels;
pub(crate) mod moments;
pub(crate) mod order;
pub(crate) mod radix;
pub(crate) mod spec;
pub(crate) mod summary;
pub(crate) mod value;

pub use exact::ExactSum;
pub use histogram::Histogram;
pub use kernels::{Partial, Real};
pub use order::{histogram, median, quantiles, QuantileMethod};
pub use radix::{Fold, InMemory, Init, Merge, Passes};
pub use spec::{NanPolicy, Spec, Stat};
pub use summary::{summarize_floats, FloatSummary, IntSummary, Summary};
pub use value::{Stats, Value};
