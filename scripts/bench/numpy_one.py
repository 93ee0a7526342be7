# numpy in one process: np.arange + np.dot(x, x).
import sys

import numpy as np

n = int(float(sys.argv[1])) if len(sys.argv) > 1 else 100000000
x = np.arange(0, n, dtype=float)
print(np.dot(x, x))
