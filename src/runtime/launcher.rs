//! What the launcher (`mpirun`, `mpiexec`, `srun`) tells each process before MPI starts.

/// The rank and size that the launcher put in the environment, if any: OpenMPI's
/// `OMPI_COMM_WORLD_RANK`/`_SIZE`, PMIx's `PMIX_RANK`, MPICH/Hydra's `PMI_RANK`/`PMI_SIZE`,
/// Slurm's `SLURM_PROCID`/`SLURM_NTASKS`.
///
/// Useful before MPI is initialised (to print an early error once) and to notice a launcher
/// from another MPI, whose processes each start as rank 0 of 1.
///
/// # Examples
/// ```
/// // Outside mpirun/srun nothing says which rank this is.
/// if std::env::var_os("OMPI_COMM_WORLD_RANK").is_none() && std::env::var_os("PMI_RANK").is_none()
///     && std::env::var_os("PMIX_RANK").is_none() && std::env::var_os("SLURM_PROCID").is_none()
/// {
///     assert_eq!(mpikit::runtime::launcher_rank_and_size(), None);
/// }
/// ```
pub fn launcher_rank_and_size() -> Option<(i32, i32)> {
    let get = |name: &str| std::env::var(name).ok()?.trim().parse::<i32>().ok();
    [
        ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"),
        ("PMI_RANK", "PMI_SIZE"),
        ("SLURM_PROCID", "SLURM_NTASKS"),
    ]
    .iter()
    .find_map(|(r, s)| Some((get(r)?, get(s)?)))
    .or_else(|| get("PMIX_RANK").map(|r| (r, -1)))
}

/// The number of processes a launcher started, when it differs from the MPI job's `size`:
/// the sign of a binary started by another MPI's launcher (each process then believes it is
/// rank 0 of 1). Reads only what `mpirun`/`mpiexec` set for each process
/// (`OMPI_COMM_WORLD_SIZE`, `PMI_SIZE`), not Slurm's job-wide variables, which a batch
/// script running a 1-rank program also has.
///
/// # Examples
/// ```no_run
/// mpikit::run(|world| {
///     if let Some(launched) = mpikit::runtime::launcher_mismatch(world.size()) {
///         eprintln!("started by another MPI's launcher ({launched} processes, each rank 0 of 1)");
///     }
///     Ok::<(), mpikit::Error>(())
/// });
/// ```
pub fn launcher_mismatch(size: i32) -> Option<i32> {
    let get = |name: &str| std::env::var(name).ok()?.trim().parse::<i32>().ok();
    let launched = get("OMPI_COMM_WORLD_SIZE").or_else(|| get("PMI_SIZE"))?;
    (launched != size).then_some(launched)
}
