//! mpikit-report (no MPI): raw benchmark samples in, bench/results.csv and plots out. The
//! medians are checked against values computed here from the same samples.

#[path = "../../tests/common/mod.rs"]
mod common;

use std::time::Duration;

fn report() -> std::path::PathBuf {
    common::bin(env!("CARGO_BIN_EXE_mpikit-report"))
}

#[test]
fn samples_become_results_and_plots() {
    let dir = std::env::temp_dir().join(format!("mpikit-report-{}", std::process::id()));
    let raw = dir.join("raw");
    let out = dir.join("out");
    std::fs::create_dir_all(&raw).unwrap();
    // Three rounds of parsum at -n 2, with an outlier; the median must ignore it.
    let secs = [0.31, 0.29, 2.5];
    let mut parsum = String::from("round,name,seconds,compute_gb_per_s,len\n");
    for (i, s) in secs.iter().enumerate() {
        parsum += &format!("{},parsum -n 2,{s},29.5,100000000\n", i + 1);
        parsum += &format!("{},numpy 1 process,0.28,,100000000\n", i + 1);
    }
    std::fs::write(raw.join("parsum.csv"), parsum).unwrap();
    let mut coll = String::from("round,bench,bytes,ranks,variant,seconds\n");
    for (r, v) in [(1, 1.0e-6), (2, 3.0e-6)] {
        for variant in ["raw", "buffer", "object", "mpi4py-pickle"] {
            for bytes in [8, 1024, 65536] {
                coll += &format!("{r},bcast,{bytes},2,{variant},{v}\n");
                coll += &format!("{r},latency,{bytes},2,{variant},{v}\n");
            }
        }
    }
    std::fs::write(raw.join("collectives-floats.csv"), coll).unwrap();
    // Two rounds of a PRK kernel on both sides: times and rates, the ratio from the rates.
    let mut kernels =
        String::from("round,kernel,size,ranks,threads,variant,seconds,rate,validated\n");
    for (r, (m, c)) in [(0.5f64, 0.4f64), (0.7, 0.6)].into_iter().enumerate() {
        kernels += &format!("{},stencil,20_4000,2,1,mpikit,{m},{},1\n", r + 1, 100.0 / m);
        kernels += &format!("{},stencil,20_4000,2,1,c,{c},{},1\n", r + 1, 100.0 / c);
    }
    std::fs::write(raw.join("kernels.csv"), kernels).unwrap();
    let out_s = out.to_str().unwrap().to_string();
    let raw_s = raw.to_str().unwrap().to_string();
    let job = common::direct(
        &report(),
        &["--raw", &raw_s, "--out", &out_s],
        &[],
        Duration::from_secs(60),
    );
    let csv = std::fs::read_to_string(out.join("results.csv"))
        .unwrap_or_else(|e| panic!("no results.csv ({e})\n{}", job.describe()));
    let mut sorted = secs;
    sorted.sort_by(f64::total_cmp);
    let row = csv
        .lines()
        .find(|l| l.starts_with("parsum time,2,auto,100000000,"))
        .unwrap_or_else(|| panic!("no parsum row in\n{csv}"));
    let f: Vec<&str> = row.split(',').collect();
    let (median, min, max): (f64, f64, f64) = (
        f[4].parse().unwrap(),
        f[5].parse().unwrap(),
        f[6].parse().unwrap(),
    );
    assert_eq!(
        (median, min, max),
        (sorted[1], sorted[0], sorted[2]),
        "{row}"
    );
    assert_eq!(f[7], "s");
    assert_eq!(f[8], "mpikit");
    let bcast = csv
        .lines()
        .filter(|l| l.starts_with("bcast (floats),2,1,1024,"))
        .count();
    assert_eq!(bcast, 4, "one bcast row per variant at 1 KiB\n{csv}");
    assert!(
        csv.contains("bcast (floats),2,1,1024,2.000000e-6"),
        "median of 1 and 3 us\n{csv}"
    );
    let prk = |name: &str, peer: &str| -> f64 {
        let row = csv
            .lines()
            .find(|l| l.starts_with(&format!("{name},2,1,0,")) && l.ends_with(peer))
            .unwrap_or_else(|| panic!("no {name} row for {peer} in\n{csv}"));
        row.split(',').nth(4).unwrap().parse().unwrap()
    };
    assert_eq!(
        prk("prk stencil 20 4000", "mpikit"),
        0.6,
        "median of 0.5 and 0.7"
    );
    assert_eq!(prk("prk stencil 20 4000", "C"), 0.5);
    let want = (100.0 / 0.4 + 100.0 / 0.6) / 2.0; // written with 7 digits
    let rate = prk("prk stencil 20 4000 rate", "C");
    assert!(((rate - want) / want).abs() < 1e-6, "{rate} against {want}");
    let font = std::path::Path::new("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf");
    if font.exists() {
        job.assert_ok();
        for png in ["parsum.png", "collectives.png", "kernels.png"] {
            let bytes = std::fs::read(out.join(png)).unwrap();
            job.check(bytes.starts_with(b"\x89PNG"), &format!("{png} is a PNG"));
        }
    } else {
        job.assert_exit(2);
        job.check(
            job.stderr.contains("fonts-dejavu-core"),
            "says which font is missing",
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
