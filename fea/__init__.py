"""Finite-element core of pkgrel: meshes in, weak forms, solvers, stress recovery, export."""
import os as _os
import sys as _sys


def _one_blas_thread() -> None:
    """numpy's and scipy's OpenBLAS on one thread. pkgrel's dense BLAS calls are tiny (dot
    products, short matrix-vector products), and OpenBLAS's idle threads busy-wait after every
    call, which takes the cores from PARDISO and the compiled kernels (fea.jit): the default
    recessed-PPI assembly cycled (with the kernels) 22.1 s with them, 17.1 s without (docs/performance.md). Before
    numpy is loaded the environment says so; after (a script that imported numpy first), the
    loaded OpenBLAS libraries are told directly. ``OPENBLAS_NUM_THREADS`` set by the user wins."""
    if "OPENBLAS_NUM_THREADS" in _os.environ:
        return
    _os.environ["OPENBLAS_NUM_THREADS"] = "1"
    if "numpy" not in _sys.modules:
        return
    import ctypes
    try:
        with open("/proc/self/maps") as maps:
            libraries = {line.split()[-1] for line in maps if "openblas" in line.lower() and ".so" in line}
    except OSError:      # not Linux: the environment variable is all we can do
        return
    for path in libraries:
        library = ctypes.CDLL(path)
        for name in ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads", "openblas_set_num_threads"):
            setter = getattr(library, name, None)
            if setter is not None:
                setter(1)
                break


_one_blas_thread()
