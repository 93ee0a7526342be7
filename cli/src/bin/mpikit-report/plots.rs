//! The PNG plots of `bench/results.csv`, drawn with plotters.

use std::path::{Path, PathBuf};

use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::chart::{human, legend, log_bounds, short, Res, COLORS, FONT};
use crate::Row;

/// Draws every plot the rows allow; returns the files written.
pub fn draw_all(rows: &[Row], out: &Path, font: &Path) -> Res<Vec<PathBuf>> {
    let bytes = std::fs::read(font).map_err(|e| {
        format!(
            "font {}: {e} (install fonts-dejavu-core, or give --font FILE.ttf)",
            font.display()
        )
    })?;
    plotters::style::register_font(FONT, FontStyle::Normal, Box::leak(bytes.into_boxed_slice()))
        .map_err(|_| format!("font {}: not a usable TrueType font", font.display()))?;
    let mut files = Vec::new();
    let mut plot = |name: &str, draw: &dyn Fn(&Path) -> Res<bool>| -> Res<()> {
        let path = out.join(name);
        if draw(&path)? {
            files.push(path);
        }
        Ok(())
    };
    plot("parsum.png", &|p| parsum(rows, p))?;
    plot("collectives.png", &|p| collectives(rows, p))?;
    plot("pool.png", &|p| pool(rows, p))?;
    plot("files.png", &|p| file_sum(rows, p))?;
    plot("stencil.png", &|p| stencil(rows, p))?;
    plot("kernels.png", &|p| kernels(rows, p))?;
    Ok(files)
}

fn select<'a>(rows: &'a [Row], name: &str) -> Vec<&'a Row> {
    rows.iter().filter(|r| r.name == name).collect()
}

/// parsum's time by ranks next to its peers (log-log), with min..max bars.
fn parsum(rows: &[Row], path: &Path) -> Res<bool> {
    let t = select(rows, "parsum time");
    let Some(n) = t.first().map(|r| r.size) else {
        return Ok(false);
    };
    let series = [
        ("mpikit", "parsum (mpikit; -n 1 with 1 thread)"),
        ("numpy", "numpy, one process"),
        ("mpi4py", "mpi4py + numpy, 2 ranks"),
        (
            "multiprocessing.Pool(4)",
            "seeds' numpy + multiprocessing.Pool(4)",
        ),
    ];
    by_ranks(
        &t,
        &series,
        &format!("parsum: sum of squares of {n:.0e} doubles, end to end (median, min..max)"),
        "MPI ranks (or Python processes), log scale",
        path,
    )
}

/// The 2-D Jacobi stencil's time by ranks: DistArray (overlapped and blocking halos) next
/// to the C + MPI + OpenMP reference and mpi4py + numpy.
fn stencil(rows: &[Row], path: &Path) -> Res<bool> {
    let t = select(rows, "stencil time");
    let Some(n) = t.first().map(|r| r.size) else {
        return Ok(false);
    };
    let series = [
        ("c", "C + MPI + OpenMP (row blocks, MPI_Sendrecv)"),
        ("mpikit-overlap", "mpikit DistArray, halos overlapped"),
        ("mpikit-blocking", "mpikit DistArray, blocking halos"),
        ("mpi4py", "mpi4py + numpy (row blocks, slicing)"),
    ];
    by_ranks(
        &t,
        &series,
        &format!("2-D Jacobi, {n} x {n} f64, 100 steps (median, min..max)"),
        "MPI ranks (oversubscribed past 2), log scale",
        path,
    )
}

/// Seconds by rank count (log-log), one line per `(peer, label)` of `series`, with
/// min..max bars.
fn by_ranks(
    t: &[&Row],
    series: &[(&str, &str)],
    caption: &str,
    x_desc: &str,
    path: &Path,
) -> Res<bool> {
    let root = BitMapBackend::new(path, (1000, 650)).into_drawing_area();
    root.fill(&WHITE)?;
    let (lo, hi) = log_bounds(t.iter().flat_map(|r| [r.min, r.max]));
    let top = t.iter().map(|r| r.ranks).max().unwrap_or(1).max(2) as f64;
    let mut chart = ChartBuilder::on(&root)
        .caption(caption, (FONT, 24))
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(80)
        .build_cartesian_2d(-0.3f64..top.log2() + 0.3, (lo..hi).log_scale())?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc("seconds (log scale)")
        .x_labels(top.log2() as usize + 1)
        .x_label_formatter(&|x| format!("{}", 2f64.powf(x.round())))
        .y_label_formatter(&|y| short(*y))
        .label_style((FONT, 18))
        .axis_desc_style((FONT, 20))
        .draw()?;
    for (i, (peer, label)) in series.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let mut pts: Vec<&&Row> = t.iter().filter(|r| r.peer == *peer).collect();
        if pts.is_empty() {
            continue;
        }
        pts.sort_by_key(|r| r.ranks);
        let xy: Vec<(f64, f64)> = pts
            .iter()
            .map(|r| ((r.ranks as f64).log2(), r.median))
            .collect();
        chart
            .draw_series(LineSeries::new(xy.clone(), color.stroke_width(3)))?
            .label(*label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(3))
            });
        chart.draw_series(xy.iter().map(|&p| Circle::new(p, 6, color.filled())))?;
        chart.draw_series(pts.iter().map(|r| {
            let x = (r.ranks as f64).log2();
            PathElement::new(vec![(x, r.min), (x, r.max)], color.stroke_width(2))
        }))?;
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight)?;
    root.present()?;
    Ok(true)
}

/// Time per call by message size for each collective, raw vs buffer vs object vs mpi4py
/// (log-log), and the ping-pong bandwidth.
fn collectives(rows: &[Row], path: &Path) -> Res<bool> {
    let benches = ["latency", "bcast", "scatter", "gather", "allreduce"];
    let payload = "floats";
    if select(rows, &format!("latency ({payload})")).is_empty() {
        return Ok(false);
    }
    let root = BitMapBackend::new(path, (1500, 950)).into_drawing_area();
    root.fill(&WHITE)?;
    let (title, body) = root.split_vertically(50);
    title.titled(
        "collectives at 2 ranks: raw rsmpi vs mpikit buffer vs mpikit object vs mpi4py (objects: Vec<f64> / list of float)",
        (FONT, 22),
    )?;
    let panels = body.split_evenly((2, 3));
    let variants = ["raw", "buffer", "object", "mpi4py-buffer", "mpi4py-pickle"];
    for (k, bench) in benches.iter().enumerate() {
        let rs = select(rows, &format!("{bench} ({payload})"));
        let (ylo, yhi) = log_bounds(rs.iter().map(|r| r.median * 1e6));
        let (xlo, xhi) = log_bounds(rs.iter().map(|r| r.size as f64));
        let mut chart = ChartBuilder::on(&panels[k])
            .caption(
                if *bench == "latency" {
                    "send/receive (half round trip)"
                } else {
                    bench
                },
                (FONT, 20),
            )
            .margin(10)
            .x_label_area_size(45)
            .y_label_area_size(70)
            .build_cartesian_2d((xlo..xhi).log_scale(), (ylo..yhi).log_scale())?;
        chart
            .configure_mesh()
            .x_desc("bytes per rank")
            .y_desc("µs per call")
            .x_label_formatter(&|x| human(*x))
            .y_label_formatter(&|y| short(*y))
            .label_style((FONT, 14))
            .axis_desc_style((FONT, 15))
            .draw()?;
        for (i, v) in variants.iter().enumerate() {
            let mut pts: Vec<(f64, f64)> = rs
                .iter()
                .filter(|r| r.peer == *v)
                .map(|r| (r.size as f64, r.median * 1e6))
                .collect();
            if pts.is_empty() {
                continue;
            }
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            let color = COLORS[i];
            chart
                .draw_series(LineSeries::new(pts.clone(), color.stroke_width(2)))?
                .label(*v)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                });
            chart.draw_series(pts.iter().map(|&p| Circle::new(p, 3, color.filled())))?;
        }
        if k == 1 {
            legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
        }
    }
    // Bandwidth of the ping-pong: bytes / half round trip.
    let rs = select(rows, &format!("latency ({payload})"));
    let (ylo, yhi) = log_bounds(rs.iter().map(|r| r.size as f64 / r.median / 1e6));
    let (xlo, xhi) = log_bounds(rs.iter().map(|r| r.size as f64));
    let mut chart = ChartBuilder::on(&panels[5])
        .caption("send/receive bandwidth", (FONT, 20))
        .margin(10)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d((xlo..xhi).log_scale(), (ylo..yhi).log_scale())?;
    chart
        .configure_mesh()
        .x_desc("message bytes")
        .y_desc("MB/s")
        .x_label_formatter(&|x| human(*x))
        .y_label_formatter(&|y| short(*y))
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 15))
        .draw()?;
    for (i, v) in variants.iter().enumerate() {
        let mut pts: Vec<(f64, f64)> = rs
            .iter()
            .filter(|r| r.peer == *v)
            .map(|r| (r.size as f64, r.size as f64 / r.median / 1e6))
            .collect();
        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
        chart.draw_series(LineSeries::new(pts, COLORS[i].stroke_width(2)))?;
    }
    root.present()?;
    Ok(true)
}

/// Tiny tasks per second by chunksize for each pool.
fn pool(rows: &[Row], path: &Path) -> Res<bool> {
    let rs = select(rows, "pool tiny tasks");
    if rs.is_empty() {
        return Ok(false);
    }
    let root = BitMapBackend::new(path, (1000, 650)).into_drawing_area();
    root.fill(&WHITE)?;
    let (ylo, yhi) = log_bounds(rs.iter().flat_map(|r| [r.min, r.max]));
    let (xlo, xhi) = log_bounds(rs.iter().map(|r| r.size as f64));
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "task pools at 2 processes: tiny tasks per second (median, min..max)",
            (FONT, 24),
        )
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(90)
        .build_cartesian_2d((xlo..xhi).log_scale(), (ylo..yhi).log_scale())?;
    chart
        .configure_mesh()
        .x_desc("chunksize (tasks per message)")
        .y_desc("tasks per second (log scale)")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| human(*y))
        .label_style((FONT, 18))
        .axis_desc_style((FONT, 20))
        .draw()?;
    let mut peers: Vec<&str> = rs.iter().map(|r| r.peer.as_str()).collect();
    peers.dedup();
    for (i, peer) in peers.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let mut pts: Vec<&&Row> = rs.iter().filter(|r| r.peer == *peer).collect();
        pts.sort_by_key(|r| r.size);
        let xy: Vec<(f64, f64)> = pts.iter().map(|r| (r.size as f64, r.median)).collect();
        chart
            .draw_series(LineSeries::new(xy.clone(), color.stroke_width(3)))?
            .label(*peer)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(3))
            });
        chart.draw_series(xy.iter().map(|&p| Circle::new(p, 6, color.filled())))?;
        chart.draw_series(pts.iter().map(|r| {
            PathElement::new(
                vec![(r.size as f64, r.min), (r.size as f64, r.max)],
                color.stroke_width(2),
            )
        }))?;
    }
    legend(&mut chart, SeriesLabelPosition::LowerRight)?;
    root.present()?;
    Ok(true)
}

/// Reading and summing a file: end-to-end seconds per variant, as bars.
fn file_sum(rows: &[Row], path: &Path) -> Res<bool> {
    let rs: Vec<&Row> = select(rows, "file sum time")
        .into_iter()
        .filter(|r| !r.peer.starts_with("generated"))
        .collect();
    if rs.is_empty() {
        return Ok(false);
    }
    let n = rs[0].size;
    let names: Vec<String> = rs.iter().map(|r| r.peer.clone()).collect();
    let top = rs.iter().map(|r| r.max).fold(0.0, f64::max) * 1.15;
    let root = BitMapBackend::new(path, (1000, 120 + 55 * rs.len() as u32)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("sum of a {n:.0e}-double .npy file (page cache warm), 2 ranks: end to end"),
            (FONT, 22),
        )
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(200)
        .build_cartesian_2d(0.0..top, -0.5f64..(rs.len() as f64 - 0.5))?;
    let label = |y: &f64| {
        let i = y.round();
        if (y - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < names.len() {
            names[i as usize].clone()
        } else {
            String::new()
        }
    };
    chart
        .configure_mesh()
        .disable_y_mesh()
        .x_desc("seconds (median; bar ends: min..max)")
        .y_labels(rs.len() * 2 + 1)
        .y_label_formatter(&label)
        .label_style((FONT, 17))
        .axis_desc_style((FONT, 19))
        .draw()?;
    for (i, r) in rs.iter().enumerate() {
        let y = i as f64;
        let color = if r.peer.starts_with("parsum") {
            COLORS[0]
        } else {
            COLORS[1]
        };
        chart.draw_series(std::iter::once(Rectangle::new(
            [(0.0, y - 0.35), (r.median, y + 0.35)],
            color.filled(),
        )))?;
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(r.min, y), (r.max, y)],
            BLACK.stroke_width(2),
        )))?;
    }
    root.present()?;
    Ok(true)
}

/// The PRK kernels: mpikit's median time over the C reference's, per kernel and size (the
/// cases both sides ran at one thread per rank), one series per rank count, with the 1.0 and
/// 1.1 lines.
fn kernels(rows: &[Row], path: &Path) -> Res<bool> {
    let mut cases: Vec<&str> = Vec::new();
    for r in rows
        .iter()
        .filter(|r| r.name.starts_with("prk ") && r.peer == "C")
    {
        if let Some(case) = r.name.strip_suffix(" rate") {
            if !cases.contains(&case) {
                cases.push(case);
            }
        }
    }
    if cases.is_empty() {
        return Ok(false);
    }
    // The time ratio, from the rates (the same work on both sides).
    let ratio = |case: &str, ranks: u32| -> Option<f64> {
        let name = format!("{case} rate");
        let find = |peer: &str| {
            rows.iter()
                .find(|r| r.name == name && r.ranks == ranks && r.threads == "1" && r.peer == peer)
                .map(|r| r.median)
        };
        Some(find("C")? / find("mpikit")?).filter(|x| x.is_finite())
    };
    let mut ranks: Vec<u32> = rows
        .iter()
        .filter(|r| r.name.starts_with("prk ") && r.peer == "C")
        .map(|r| r.ranks)
        .collect();
    ranks.sort_unstable();
    ranks.dedup();
    let top = cases
        .iter()
        .flat_map(|c| ranks.iter().filter_map(|&n| ratio(c, n)))
        .fold(1.5f64, f64::max)
        .min(8.0);
    let n = cases.len() as f64;
    let height = 160 + 38 * cases.len() as u32;
    let root = BitMapBackend::new(path, (1300, height)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Parallel Research Kernels: mpikit time / C + MPI time (median; 1 thread per rank)",
            (FONT, 22),
        )
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(260)
        .build_cartesian_2d(0f64..top * 1.05, -0.5f64..n - 0.5)?;
    chart
        .configure_mesh()
        .y_labels(cases.len())
        .y_label_formatter(&|y| {
            let k = y.round();
            if (y - k).abs() < 0.01 && k >= 0.0 && (k as usize) < cases.len() {
                cases[cases.len() - 1 - k as usize]
                    .trim_start_matches("prk ")
                    .to_string()
            } else {
                String::new()
            }
        })
        .x_desc("mpikit / C (left of 1: mpikit faster)")
        .label_style((FONT, 16))
        .axis_desc_style((FONT, 18))
        .draw()?;
    for level in [1.0, 1.1] {
        chart.draw_series(LineSeries::new(
            [(level, -0.5), (level, n - 0.5)],
            BLACK.mix(0.5).stroke_width(1),
        ))?;
    }
    for (i, &np) in ranks.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let shift = (i as f64 - (ranks.len() as f64 - 1.0) / 2.0) * 0.2;
        let pts: Vec<(f64, f64)> = cases
            .iter()
            .enumerate()
            .filter_map(|(k, c)| {
                ratio(c, np).map(|r| (r.min(top), (cases.len() - 1 - k) as f64 + shift))
            })
            .collect();
        chart
            .draw_series(pts.iter().map(|&p| Circle::new(p, 7, color.filled())))?
            .label(format!("-n {np}"))
            .legend(move |(x, y)| Circle::new((x + 10, y), 6, color.filled()));
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight)?;
    root.present()?;
    Ok(true)
}
