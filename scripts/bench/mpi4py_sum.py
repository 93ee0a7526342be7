# mpi4py: each rank builds np.arange of its own slice, np.dot, then Reduce to rank 0.
import sys

import numpy as np
from mpi4py import MPI

comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
n = int(float(sys.argv[1])) if len(sys.argv) > 1 else 100000000
q, r = divmod(n, size)
start = rank * q + min(rank, r)
stop = start + q + (rank < r)
x = np.arange(start, stop, dtype=float)
local = np.array(np.dot(x, x))
total = np.zeros(1)
comm.Reduce(local, total, op=MPI.SUM, root=0)
if rank == 0:
    print(total[0], size)
