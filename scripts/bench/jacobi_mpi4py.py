"""The mpi4py + numpy version for scripts/bench-stencil.sh: 2-D Jacobi on row blocks, ghost
rows exchanged with Sendrecv (PROC_NULL at the ends), the update by slicing. The same start
values and order of additions as examples/heat_2d.rs and jacobi.c.
    python jacobi_mpi4py.py ROWS COLS STEPS   prints: seconds halo_ms_per_step sum 1"""
import sys

import numpy as np
from mpi4py import MPI

comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
rows, cols, steps = (int(a) for a in sys.argv[1:4])
first = rows * rank // size
n = rows * (rank + 1) // size - first
u = np.zeros((n + 2, cols + 2))
i = np.arange(first, first + n)[:, None]
j = np.arange(cols)[None, :]
u[1:-1, 1:-1] = ((i * 31 + j * 17) % 97) / 96.0
v = np.zeros_like(u)
up = rank - 1 if rank > 0 else MPI.PROC_NULL
down = rank + 1 if rank + 1 < size else MPI.PROC_NULL
halo = 0.0
comm.Barrier()
start = MPI.Wtime()
for _ in range(steps):
    t = MPI.Wtime()
    comm.Sendrecv(u[1], dest=up, sendtag=0, recvbuf=u[n + 1], source=down, recvtag=0)
    comm.Sendrecv(u[n], dest=down, sendtag=1, recvbuf=u[0], source=up, recvtag=1)
    halo += MPI.Wtime() - t
    v[1:-1, 1:-1] = 0.25 * (u[:-2, 1:-1] + u[2:, 1:-1] + u[1:-1, :-2] + u[1:-1, 2:])
    u, v = v, u
seconds = comm.reduce(MPI.Wtime() - start, op=MPI.MAX)
halo = comm.reduce(halo, op=MPI.MAX)
total = comm.reduce(float(u[1:-1, 1:-1].sum()), op=MPI.SUM)
if rank == 0:
    print(f"{seconds:.6f} {halo * 1e3 / max(steps, 1):.4f} {total:.6e} 1")
