# mpi4py's side of scripts/bench-mpi4py.sh: the calls mpikit-bench times, with mpi4py's
# buffer (uppercase, numpy) and pickle (lowercase; a bytes object or a list of floats)
# methods. Same sizes, same
# statistic (median over repetitions of the slowest rank's mean time per call); prints CSV
# rows "bench,bytes,ranks,variant,seconds" on rank 0.
import sys

import numpy as np
from mpi4py import MPI

comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
sizes = [int(s) for s in sys.argv[1].split(",")]
reps = int(sys.argv[2]) if len(sys.argv) > 2 else 5
benches = sys.argv[3].split(",") if len(sys.argv) > 3 else ["latency", "bcast", "scatter", "gather", "allreduce"]
payload = sys.argv[4] if len(sys.argv) > 4 else "bytes"  # what the pickle calls send: bytes or floats


def iterations(nbytes):
    return max(4, min(2000, (8 << 20) // max(nbytes, 1)))


def measure(nbytes, f):
    iters = iterations(nbytes)
    f()
    samples = []
    for _ in range(reps):
        comm.Barrier()
        t0 = MPI.Wtime()
        for _ in range(iters):
            f()
        mine = (MPI.Wtime() - t0) / iters
        samples.append(comm.allreduce(mine, op=MPI.MAX))
    samples.sort()
    return samples[len(samples) // 2]


def run(bench, n):
    data = np.ones(n, dtype=np.uint8)
    blob = bytes(n) if payload == "bytes" else [i * 0.5 for i in range(max(n // 8, 1))]
    recv = np.empty(n * size, dtype=np.uint8)
    if bench == "latency":
        def buf():
            if rank == 0:
                comm.Send(data, dest=1); comm.Recv(recv[:n], source=1)
            elif rank == 1:
                comm.Recv(recv[:n], source=0); comm.Send(data, dest=0)

        def pkl():
            if rank == 0:
                comm.send(blob, dest=1); comm.recv(source=1)
            elif rank == 1:
                b = comm.recv(source=0); comm.send(b, dest=0)
        return measure(n, buf) / 2, measure(n, pkl) / 2
    if bench == "bcast":
        return (measure(n, lambda: comm.Bcast(data, root=0)),
                measure(n, lambda: comm.bcast(blob if rank == 0 else None, root=0)))
    if bench == "scatter":
        full = np.ones(n * size, dtype=np.uint8)
        parts = [blob] * size
        mine = np.empty(n, dtype=np.uint8)
        return (measure(n, lambda: comm.Scatter(full, mine, root=0)),
                measure(n, lambda: comm.scatter(parts if rank == 0 else None, root=0)))
    if bench == "gather":
        return (measure(n, lambda: comm.Gather(data, recv, root=0)),
                measure(n, lambda: comm.gather(blob, root=0)))
    if bench == "allreduce":
        x = np.ones(max(n // 8, 1))
        out = np.empty_like(x)
        return (measure(n, lambda: comm.Allreduce(x, out, op=MPI.SUM)),
                measure(n, lambda: comm.allreduce(x, op=MPI.SUM)))
    raise SystemExit(f"unknown benchmark {bench}")


for bench in benches:
    for n in sizes:
        b, p = run(bench, n)
        if rank == 0:
            print(f"{bench},{n},{size},mpi4py-buffer,{b:e}")
            print(f"{bench},{n},{size},mpi4py-pickle,{p:e}", flush=True)
