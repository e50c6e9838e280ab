"""Compiled loops (numba) for the per-point and per-element work of every Newton iteration.

The constitutive updates, strains, internal forces and element tangents of the inelastic regions
run at every iteration of a cycling run over tens of thousands of points. As numpy expressions
they are many short passes over arrays on one core; compiled, each is one loop over the points
or elements, spread over the machine's cores (`parallel`). Measured on the default recessed-PPI
assembly (docs/performance.md): the Anand update of 17,013 points 4.3 -> 2.0 ms on two cores,
3 G cycles 19.9 -> 15.9 s.

Kernels compile on their first call and are cached beside their module (``__pycache__``), so only
the first run on a machine pays the compilation (a few seconds). The number of threads is
numba's: all cores, or ``NUMBA_NUM_THREADS`` (sweep workers get one each, like MKL's).
"""
from __future__ import annotations

import numba

# error_model "numpy": a division by zero gives inf or nan as in numpy (which the kernels test
# for), not Python's ZeroDivisionError
#: a loop over points or elements (``numba.prange``) on all threads; compiled once, cached
parallel = numba.njit(cache=True, parallel=True, nogil=True, error_model="numpy")
#: a compiled function of scalars (called from the kernels) or a serial loop
serial = numba.njit(cache=True, nogil=True, error_model="numpy")
prange = numba.prange


def threads_in_use() -> int:
    return numba.get_num_threads()

