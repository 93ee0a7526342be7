//! The writing and bad-input checks of tests/npz.rs.

use super::*;

/// What a member holds: its type string, shape and C-ordered bytes, computed serially.
struct Want {
    name: &'static str,
    descr: &'static str,
    shape: Vec<usize>,
    bytes: Vec<u8>,
}

fn wanted() -> Vec<Want> {
    let u8s: Vec<u8> = (0..LONG).map(|i| (i * 7 % 251) as u8).collect();
    vec![
        Want {
            name: "grid",
            descr: "<f8",
            shape: SHAPE_2D.to_vec(),
            bytes: f64_bytes(&whole_f64(&SHAPE_2D), false),
        },
        Want {
            name: "cube",
            descr: "<i4",
            shape: SHAPE_3D.to_vec(),
            bytes: i32_bytes(&whole_i32(&SHAPE_3D)),
        },
        Want {
            name: "flags",
            descr: "|b1",
            shape: vec![9],
            bytes: bool_bytes(&whole_bool(9)),
        },
        Want {
            name: "none",
            descr: "<f8",
            shape: vec![0, 3],
            bytes: Vec::new(),
        },
        Want {
            name: "bytes",
            descr: "|u1",
            shape: vec![LONG],
            bytes: u8s,
        },
    ]
}

/// Writes the wanted members from arrays laid out over `size` ranks in several ways.
fn write(world: &World, path: &Path, compression: Compression, zip64: bool) -> Result<(), Error> {
    let size = world.size() as usize;
    let mut npz = NpzWriter::create(world, path, compression)?;
    if zip64 {
        npz = npz.force_zip64();
    }
    // Blocks split along both axes: every rank's runs interleave with the others'.
    let grid = Grid::balanced(&SHAPE_2D, size, &[0, 1])?;
    npz.add("grid", &DistArray::<f64, Ix2>::from_fn(world, grid, f)?)?;
    let cube = Grid::balanced(&SHAPE_3D, size, &[1, 2])?;
    npz.add(
        "cube",
        &DistArray::<i32, Ix3>::from_fn(world, cube, |i| int_value(&SHAPE_3D, i))?,
    )?;
    let flags =
        DistArray::<bool, Ix1>::from_fn(world, Grid::rows(&[9], size), |i| bool_value(i[0]))?;
    npz.add("flags", &flags)?;
    npz.add(
        "none",
        &DistArray::<f64, Ix2>::zeros(world, Grid::rows(&[0, 3], size))?,
    )?;
    let mut rows = vec![0; size];
    rows[size - 1] = LONG;
    let long = Grid::with_counts(&[LONG], vec![rows])?;
    npz.add(
        "bytes",
        &DistArray::<u8, Ix1>::from_fn(world, long, |i| (i[0] * 7 % 251) as u8)?,
    )?;
    npz.finish()
}

/// Rank 0 reads every member through the `zip` crate (which checks the CRC-32) and a header
/// parsed here.
fn check_with_zip(path: &Path, compression: Compression) {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let want = wanted();
    assert_eq!(zip.len(), want.len());
    for w in &want {
        let mut member = zip.by_name(&format!("{}.npy", w.name)).unwrap();
        let method = match compression {
            Compression::Stored => zip::CompressionMethod::Stored,
            _ => zip::CompressionMethod::Deflated,
        };
        assert_eq!(member.compression(), method, "{}", w.name);
        let mut bytes = Vec::new();
        member.read_to_end(&mut bytes).unwrap();
        let (descr, fortran, shape, start) = parse_npy(&bytes);
        assert_eq!(
            (descr.as_str(), fortran, &shape),
            (w.descr, false, &w.shape),
            "{}",
            w.name
        );
        assert!(
            bytes[start..] == w.bytes[..],
            "{}: the values differ",
            w.name
        );
    }
}

/// A Python with numpy: `MPIKIT_PYTHON`, the repository's `.bench/venv`, or `python3`.
pub fn numpy_python() -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> = std::env::var_os("MPIKIT_PYTHON")
        .map(PathBuf::from)
        .into_iter()
        .collect();
    candidates.push(common::repo_root().join(".bench/venv/bin/python"));
    candidates.push("python3".into());
    candidates.into_iter().find(|p| {
        std::process::Command::new(p)
            .args(["-c", "import numpy"])
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// Rank 0 loads the archive with `np.load` and compares every member with the bytes wanted.
fn check_with_numpy(path: &Path, what: &str) {
    let Some(python) = numpy_python() else {
        println!("SKIPPED npz np.load check ({what}): no numpy (set MPIKIT_PYTHON)");
        return;
    };
    let script = "import sys, numpy as np\n\
        z = np.load(sys.argv[1])\n\
        for n in sorted(z.files):\n\
        \x20   a = z[n]\n\
        \x20   print(n, a.dtype.str, list(a.shape), np.ascontiguousarray(a).tobytes().hex())\n";
    let out = std::process::Command::new(&python)
        .args(["-c", script])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "np.load: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut want = wanted();
    want.sort_by_key(|w| w.name);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), want.len(), "np.load: {text}");
    for (line, w) in lines.iter().zip(&want) {
        let hex: String = w.bytes.iter().map(|b| format!("{b:02x}")).collect();
        let shape: Vec<String> = w.shape.iter().map(|n| n.to_string()).collect();
        let expect = format!("{} {} [{}] {hex}", w.name, w.descr, shape.join(", "));
        assert!(
            *line == expect,
            "np.load ({what}) of {}: {}",
            w.name,
            &line[..line.len().min(200)]
        );
    }
}

pub fn writes(world: &World) -> Result<(), Error> {
    let size = world.size() as usize;
    let dir = folder(world, "writes")?;
    for compression in [Compression::Stored, Compression::Deflated] {
        for zip64 in [false, true] {
            let what = format!("{compression:?}{}", if zip64 { ", zip64" } else { "" });
            let path = dir.join("out.npz");
            write(world, &path, compression, zip64)?;
            if world.rank() == 0 {
                check_with_zip(&path, compression);
                check_with_numpy(&path, &what);
            }
            // And back through our reader, in other layouts.
            let grid = DistArray::<f64, Ix2>::read_npz(world, &path, Some("grid"), |s| {
                Ok(Grid::rows(s, size))
            })?;
            check(&grid, &whole_f64(&SHAPE_2D), &what);
            let cube = DistArray::<i32, Ix3>::read_npz(world, &path, Some("cube"), |s| {
                Grid::balanced(s, size, &[0])
            })?;
            check(&cube, &whole_i32(&SHAPE_3D), &what);
            let flags = DistArray::<bool, Ix1>::read_npz(world, &path, Some("flags"), |s| {
                Ok(Grid::rows(s, size))
            })?;
            check(&flags, &whole_bool(9), &what);
            let u8s = Array::from_shape_fn(IxDyn(&[LONG]), |i| (i[0] * 7 % 251) as u8);
            let bytes = DistArray::<u8, Ix1>::read_npz(world, &path, Some("bytes"), |s| {
                Ok(Grid::rows(s, size))
            })?;
            check(&bytes, &u8s, &what);
            world.barrier();
            let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
            assert_eq!(left.len(), 1, "{what}: only the archive is left");
        }
    }
    world.barrier();
    if world.rank() == 0 {
        std::fs::remove_dir_all(&dir).unwrap();
    }
    Ok(())
}

/// `r` is an `Err` containing `want`, the same on every rank.
fn same_err<T>(world: &World, r: Result<T, Error>, want: &str) {
    let msg = match r {
        Ok(_) => panic!("expected an error with {want:?}"),
        Err(e) => e.to_string(),
    };
    assert!(msg.contains(want), "{msg:?} lacks {want:?}");
    let all = world.allgather_objects(&msg).unwrap();
    assert!(all.iter().all(|m| *m == msg), "ranks differ: {all:?}");
}

/// The central directory entry of the archive's first member: where it starts.
fn central(bytes: &[u8]) -> usize {
    bytes.windows(4).position(|w| w == b"PK\x01\x02").unwrap()
}

pub fn bad_input(world: &World) -> Result<(), Error> {
    let size = world.size() as usize;
    let dir = folder(world, "bad")?;
    let good = dir.join("good.npz");
    let (flipped, crc, short) = (
        dir.join("flipped.npz"),
        dir.join("crc.npz"),
        dir.join("short.npz"),
    );
    if world.rank() == 0 {
        let values = f64_bytes(&whole_f64(&[LONG]), false);
        zip_archive(&good, &[("a", npy("<f8", &[LONG], false, &values), true)]);
        let bytes = std::fs::read(&good).unwrap();
        let c = central(&bytes);
        // A byte of the deflate data flipped.
        let mut b = bytes.clone();
        b[bytes.len() / 2] ^= 0x5a;
        std::fs::write(&flipped, b).unwrap();
        // The directory's CRC-32 off by one bit: the data inflates, the check fails.
        let mut b = bytes.clone();
        b[c + 16] ^= 1;
        std::fs::write(&crc, b).unwrap();
        // The directory's compressed size halved: the stream stops early.
        let mut b = bytes.clone();
        let stored = u32::from_le_bytes(b[c + 20..c + 24].try_into().unwrap());
        b[c + 20..c + 24].copy_from_slice(&(stored / 2).to_le_bytes());
        std::fs::write(&short, b).unwrap();
    }
    world.barrier();
    let read = |p: &Path, m: Option<&str>| {
        DistArray::<f64, Ix1>::read_npz(world, p, m, |s| Ok(Grid::rows(s, size)))
    };
    assert_eq!(read(&good, Some("a"))?.len(), LONG);
    let flip = read(&flipped, Some("a"));
    let msg = flip
        .as_ref()
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    same_err(world, flip, "damaged compressed member");
    assert!(msg.contains("flipped.npz:a"), "{msg}");
    same_err(world, read(&crc, Some("a")), "CRC-32");
    same_err(
        world,
        read(&short, Some("a")),
        "short.npz:a: damaged compressed member",
    );
    same_err(
        world,
        read(&good, Some("b")),
        "no array \"b\" in the archive (it holds a)",
    );
    same_err(
        world,
        DistArray::<i32, Ix1>::read_npz(world, &good, None, |s| Ok(Grid::rows(s, size))),
        "holds dtype '<f8'",
    );
    let wrong_shape = DistArray::<f64, Ix2>::read_npz(world, &good, None, |_| {
        Grid::balanced(&[2, 3], size, &[0])
    });
    assert!(wrong_shape.is_err());
    // A writer that fails is abandoned: the same error everywhere, nothing left behind.
    let out = dir.join("out.npz");
    let mut npz = NpzWriter::create(world, &out, Compression::Deflated)?;
    let a = DistArray::<f64, Ix1>::arange(world, Grid::rows(&[10], size))?;
    npz.add("a", &a)?;
    same_err(world, npz.add("a", &a), "already has an array \"a\"");
    same_err(world, npz.add("b", &a), "abandoned");
    same_err(world, npz.finish(), "abandoned");
    same_err(
        world,
        NpzWriter::create(world, &dir.join("no/such/dir.npz"), Compression::Stored),
        "dir.npz",
    );
    world.barrier();
    let mut left: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["crc.npz", "flipped.npz", "good.npz", "short.npz"]);
    world.barrier();
    if world.rank() == 0 {
        std::fs::remove_dir_all(&dir).unwrap();
    }
    Ok(())
}
