//! The serde + bincode floor under every object call, on one rank: a plain copy of the
//! bytes, bincode's encode into a reused buffer and its decode into a new value. An object
//! that arrives costs at least the raw transfer plus its decode, so `(raw + decode) / raw`
//! bounds what any object call can reach against the raw buffer call.

use std::time::Instant;

use serde::de::DeserializeOwned;
use serde::Serialize;

/// Median seconds of `f` over `reps` timings of enough calls to take a few milliseconds.
fn median(bytes: usize, reps: usize, f: &mut dyn FnMut()) -> f64 {
    let iters = super::iterations(bytes);
    f();
    let mut samples: Vec<f64> = (0..reps.max(1))
        .map(|_| {
            let t0 = Instant::now();
            for _ in 0..iters {
                f();
            }
            t0.elapsed().as_secs_f64() / iters as f64
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// Copy, encode and decode times of `value` (whose bincode form is about `bytes` long):
/// `[("copy", s), ("encode", s), ("decode", s)]`.
pub fn run<P: Serialize + DeserializeOwned>(
    value: &P,
    bytes: usize,
    reps: usize,
) -> [(&'static str, f64); 3] {
    let config = bincode::config::standard();
    let encoded = bincode::serde::encode_to_vec(value, config).expect("the payload encodes");
    let mut into = vec![0u8; encoded.len()];
    let copy = median(bytes, reps, &mut || {
        into.copy_from_slice(&encoded);
        std::hint::black_box(&mut into);
    });
    let encode = median(bytes, reps, &mut || {
        let n = bincode::serde::encode_into_slice(value, &mut into, config).expect("fits");
        std::hint::black_box(n);
    });
    let decode = median(bytes, reps, &mut || {
        let (v, _): (P, usize) =
            bincode::serde::decode_from_slice(&encoded, config).expect("decodes");
        std::hint::black_box(v);
    });
    [("copy", copy), ("encode", encode), ("decode", decode)]
}
