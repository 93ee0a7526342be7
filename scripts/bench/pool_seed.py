# The seeds' chunked sum of squares, as published: numpy + multiprocessing.Pool, 4 chunks.
import sys
from multiprocessing import Pool

import numpy as np


def process_data(data_chunk):
    """CPU-intensive processing"""
    return np.sum(data_chunk ** 2)


def main():
    n = int(float(sys.argv[1])) if len(sys.argv) > 1 else 100000000
    data = np.arange(0, n, dtype=float)
    chunk_size = len(data) // 4
    chunks = [data[i:i + chunk_size] for i in range(0, len(data), chunk_size)]
    with Pool(processes=4) as pool:
        results = pool.map(process_data, chunks)
    total = sum(results)
    print(f"Total sum of squares: {total}")


if __name__ == '__main__':
    main()
