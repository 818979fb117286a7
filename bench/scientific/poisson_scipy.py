#!/usr/bin/python3
"""The SciPy peer of `krgdemo run poisson`: the same matrix (the 5-point
Laplacian scaled by h^2 on an n x n grid, Dirichlet boundaries), the same
right-hand side (h^2 f for u = g(x)g(y), g(t) = t(1-t)e^t), solved by
scipy.sparse.linalg.cg from x0 = 0 to the same relative tolerance
(|r| <= tol |b|). Prints iterations, seconds in cg() and seconds per
iteration, one JSON line per round.

  /usr/bin/python3 bench/scientific/poisson_scipy.py --n 1000 --tol 1e-8

Uses Debian's python3-scipy (hence /usr/bin/python3); single-threaded
except where numpy's BLAS is (dot products)."""
import argparse
import json
import time

import numpy as np
import scipy
import scipy.sparse as sp
import scipy.sparse.linalg as spla


def problem(n):
    h = 1.0 / (n + 1)
    t = np.arange(1, n + 1) * h
    g = t * (1 - t) * np.exp(t)
    f1 = t * (t + 3) * np.exp(t)  # -g''
    one = sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(n, n))
    eye = sp.identity(n)
    a = (sp.kron(eye, one) + sp.kron(one, eye)).tocsr()
    a.sort_indices()
    # Unknown i = iy * n + ix, as in the demo: b[iy, ix].
    b = h * h * (np.outer(g, f1) + np.outer(f1, g)).ravel()
    exact = np.outer(g, g).ravel()
    return a, b, exact


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--tol", type=float, default=1e-8)
    ap.add_argument("--rounds", type=int, default=1)
    args = ap.parse_args()
    a, b, exact = problem(args.n)
    for _ in range(args.rounds):
        its = [0]

        def count(_xk):
            its[0] += 1

        t0 = time.perf_counter()
        try:
            x, info = spla.cg(a, b, tol=args.tol, atol=0.0, callback=count)
        except TypeError:  # SciPy >= 1.12 renamed tol to rtol
            x, info = spla.cg(a, b, rtol=args.tol, atol=0.0, callback=count)
        secs = time.perf_counter() - t0
        rel = np.linalg.norm(b - a @ x) / np.linalg.norm(b)
        print(json.dumps({"scipy": scipy.__version__, "n": args.n,
                          "tol": args.tol, "info": info,
                          "iterations": its[0], "seconds": secs,
                          "ms_per_iteration": 1e3 * secs / max(its[0], 1),
                          "relative_residual": rel,
                          "max_error": float(np.max(np.abs(x - exact)))}),
              flush=True)


if __name__ == "__main__":
    main()
