//! Helpers of the data-file tests (cli/tests/files.rs, order.rs, hdf5.rs): numpy headers
//! written by hand (not by the code under test), a seeded random generator, a scratch folder
//! per test, and what a job printed: its `parsum:` error lines, its JSON report and the
//! numbers in it as written.
#![allow(dead_code)] // each suite uses some of them

use std::path::PathBuf;

/// An npy v1.0 header, written by hand.
pub fn npy_header(descr: &str, shape: &[usize], fortran: bool) -> Vec<u8> {
    let shape = match shape {
        [n] => format!("({n},)"),
        s => format!(
            "({})",
            s.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let fo = if fortran { "True" } else { "False" };
    let mut dict = format!("{{'descr': '{descr}', 'fortran_order': {fo}, 'shape': {shape}, }}");
    while (10 + dict.len() + 1) % 64 != 0 {
        dict.push(' ');
    }
    dict.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend((dict.len() as u16).to_le_bytes());
    out.extend(dict.as_bytes());
    out
}

/// splitmix64: deterministic values from a seed.
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1), 53 bits.
    pub fn uniform(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A fresh scratch folder for one test of one suite.
pub fn scratch_dir(suite: &str, test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mpikit-{suite}-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The lines of `stderr` that parsum's errors start with.
pub fn error_lines(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.starts_with("parsum:"))
        .collect()
}

/// parsum's JSON report: the line of stdout that starts with `{`; the test fails with the
/// job's report when there is none or it does not parse.
pub fn json_of(job: &crate::common::Job) -> serde_json::Value {
    let line = job.stdout.lines().find(|l| l.starts_with('{'));
    job.check(line.is_some(), "no JSON line on stdout");
    serde_json::from_str(line.unwrap())
        .unwrap_or_else(|e| panic!("bad JSON ({e})\n{}", job.describe()))
}

/// The number after `"key":` in the JSON text, as written (exact for 128-bit integers).
pub fn raw_number<'a>(job: &'a crate::common::Job, key: &str) -> &'a str {
    let pat = format!("\"{key}\":");
    let at = job
        .stdout
        .find(&pat)
        .unwrap_or_else(|| panic!("no {key} in\n{}", job.describe()));
    let rest = &job.stdout[at + pat.len()..];
    &rest[..rest.find([',', '}', ']']).unwrap_or(rest.len())]
}
