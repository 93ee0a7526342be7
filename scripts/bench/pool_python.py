# Python's side of scripts/bench-pool.sh: multiprocessing.Pool with 2 processes, and (under
# `mpirun -n 2 python -m mpi4py.futures`) mpi4py's MPIPoolExecutor: tiny tasks per second
# at chunksize 1, 4, 16, 64 and 256, and the makespan of 64 skewed sleeps. Prints CSV rows
# "bench,chunksize,peer,value" (value: tasks/s, or seconds for balance).
import sys
import time


def identity(x):
    return x


def skewed(i):
    time.sleep(0.1 if i % 8 == 3 else 0.01)


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def measure(peer, pmap, n, reps):
    for cs in (1, 4, 16, 64, 256):
        rates = []
        for _ in range(reps):
            t0 = time.perf_counter()
            out = list(pmap(identity, range(n), cs))
            rates.append(n / (time.perf_counter() - t0))
            assert out == list(range(n))
        print(f"tasks,{cs},{peer},{median(rates):e}", flush=True)
    spans = []
    for _ in range(reps):
        t0 = time.perf_counter()
        list(pmap(skewed, range(64), 1))
        spans.append(time.perf_counter() - t0)
    print(f"balance,1,{peer},{median(spans):e}", flush=True)


if __name__ == "__main__":
    kind, n, reps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    if kind == "pool":
        from multiprocessing import Pool
        with Pool(processes=2) as pool:
            measure("python Pool(2)", lambda f, xs, cs: pool.map(f, xs, chunksize=cs), n, reps)
    else:
        from mpi4py.futures import MPIPoolExecutor
        with MPIPoolExecutor() as ex:
            measure("mpi4py.futures", lambda f, xs, cs: ex.map(f, xs, chunksize=cs), n, reps)
