# mpi4py's side of scripts/bench-rma.sh: mpi4py.util.sync (mpi4py >= 4.0) on every rank of
# COMM_WORLD, timed as mpikit-bench's rma benchmarks are.
#   counter  Counter(comm=COMM_WORLD).next() ITERS times per rank (a lock of rank 0, an
#            MPI_Fetch_and_op, the unlock)
#   mutex    Mutex(comm=COMM_WORLD).acquire() + release() ITERS times per rank
# Each figure: the median over REPS of the slowest rank's seconds per operation, after a
# warm-up. Rank 0 prints CSV rows "bench,8,ranks,mpi4py,seconds".
#   mpirun -n N python rma_mpi4py.py counter|mutex ITERS REPS
import sys

from mpi4py import MPI
from mpi4py.util import sync


def timed(comm, iters, reps, op):
    samples = []
    for r in range(-1, reps):  # r = -1: warm-up
        n = iters // 10 + 1 if r < 0 else iters
        comm.Barrier()
        t0 = MPI.Wtime()
        for _ in range(n):
            op()
        mine = (MPI.Wtime() - t0) / n
        slowest = comm.allreduce(mine, op=MPI.MAX)
        if r >= 0:
            samples.append(slowest)
    samples.sort()
    return samples[len(samples) // 2]


def main():
    bench, iters, reps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    comm = MPI.COMM_WORLD
    if bench == "counter":
        counter = sync.Counter(comm=comm, typecode="q")
        t = timed(comm, iters, reps, counter.next)
        counter.free()
    elif bench == "mutex":
        mutex = sync.Mutex(comm=comm)

        def pair():
            mutex.acquire()
            mutex.release()

        t = timed(comm, iters, reps, pair)
        mutex.free()
    else:
        sys.exit(f"rma_mpi4py.py: unknown benchmark {bench!r} (counter or mutex)")
    if comm.Get_rank() == 0:
        print(f"{bench},8,{comm.Get_size()},mpi4py,{t:e}", flush=True)


if __name__ == "__main__":
    main()
