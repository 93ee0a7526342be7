//! A reduction run: generated data (verified against closed forms) or a data file. This is
//! the orchestration: the flags checked into one [`Job`], its phases, then the report.

use mpikit::mpi::traits::*;
use mpikit::runtime::PhaseTimer;
use mpikit::World;

use crate::cli::{Phase, RunArgs};
use crate::job::Job;
use crate::output;
use crate::phases::combine;
use crate::print_once;
use crate::report::Report;
use crate::table::print_table;

/// Runs the job; prints the report on rank 0 and returns the exit status.
pub fn main(world: &World, args: RunArgs) -> u8 {
    let json = args.json;
    match run(world, args) {
        Ok((report, output)) => {
            let text = serde_json::to_string(&report).expect("report serialises");
            if world.is_root() {
                if json {
                    println!("{text}");
                } else {
                    print_table(&report);
                }
            }
            if let Some(output) = output {
                let path = output.path.display().to_string();
                if let Err(e) = output.commit(&text) {
                    eprintln!("parsum: --output {path}: {e}");
                    return 2;
                }
            }
            if report.verified == Some(false) {
                print_once(world.rank(), "parsum: result outside the tolerance");
                1
            } else {
                0
            }
        }
        Err(e) => {
            print_once(world.rank(), &format!("parsum: {e}"));
            2
        }
    }
}

fn run(world: &World, args: RunArgs) -> Result<(Report, Option<output::Output>), mpikit::Error> {
    let output = output::prepare(world, args.output.as_deref())?;
    let job = Job::prepare(world, &args)?;
    world.barrier();
    let start = mpikit::mpi::time();
    let mut timer = PhaseTimer::new();
    job.enter(Phase::Setup);
    let mut data = match &args.input {
        None => job.generated(world, &mut timer)?,
        Some(path) => job.file(world, path, &mut timer)?,
    };
    job.enter(Phase::Reduce);
    let summaries = std::mem::take(&mut data.summaries);
    let combined = timer.time("reduce", || combine(world, summaries))?;
    timer.record("total", mpikit::mpi::time() - start);
    let report = job.report(world, data, &combined, &timer)?;
    Ok((report, output))
}
