//! Compiles `csrc/constants.c` (the MPI handles mpi.h defines as macros, such as
//! `MPI_REPLACE`) with the compiler wrapper of the MPI that rsmpi links (`MPICC`, else
//! `mpicc`, found the way rsmpi's own build finds it), and says whether the libhdf5 of the
//! `hdf5` feature is the MPI build.

fn main() {
    println!("cargo:rerun-if-changed=csrc/constants.c");
    println!("cargo:rerun-if-env-changed=MPICC");
    let lib = match build_probe_mpi::probe() {
        Ok(lib) => lib,
        Err(errs) => {
            for err in errs {
                println!("cargo:warning=looking for MPI: {err}");
            }
            panic!("mpikit needs an MPI library (Debian: apt install libopenmpi-dev)");
        }
    };
    let mut build = cc::Build::new();
    build.file("csrc/constants.c");
    match lib.mpicc {
        Some(mpicc) => {
            build.compiler(mpicc);
        }
        None => {
            for dir in &lib.include_paths {
                build.include(dir);
            }
        }
    }
    build.compile("mpikit_constants");
    // With the `hdf5` feature, `hdf5-metno-sys` (links = "hdf5") says whether the libhdf5 it
    // found is the MPI build; if so, chunked datasets are written collectively through it
    // (src/hdf5/parallel.rs).
    println!("cargo::rustc-check-cfg=cfg(mpikit_hdf5_parallel)");
    if std::env::var("DEP_HDF5_HAVE_PARALLEL").as_deref() == Ok("1") {
        println!("cargo:rustc-cfg=mpikit_hdf5_parallel");
    }
}
