#!/usr/bin/env python3
"""femtofit's Gpufit entry points against Cpufit (Gpufit's CPU path) on SPLINE_3D, by hand.

Not part of CI: Cpufit is not in this repository. Build it from Gpufit's sources (gpufit/Gpufit,
a0bd66c): `g++ -O3 -shared -fPIC -o /tmp/libCpufit.so Cpufit/*.cpp` in Gpufit's checkout, then
`FEMTOFIT_BACKEND=cpu python3 benchmarks/python/cpufit_spline_compare.py .build/release/libfemtofit_c.so`.
It makes an astigmatic PSF template (Catmull-Rom coefficients of 21 x 21 x 11 samples, Gpufit's
layout), 20 000 noisy 13x13 ROIs from it (LSE: Gaussian noise, MLE: Poisson), fits them through
both libraries' `gpufit`/`cpufit` with the same start values and user_info, and prints the share of
fits in the same state, iterations within 1, the largest parameter difference between converged
fits and both rates (Cpufit runs on one thread). benchmarks/README.md quotes a run.
"""
import ctypes, numpy as np, sys, time
F = ctypes.POINTER(ctypes.c_float); I = ctypes.POINTER(ctypes.c_int)
def load(path, name):
    lib = ctypes.CDLL(path); f = getattr(lib, name); f.restype = ctypes.c_int; return f
cpufit = load("/tmp/libCpufit.so", "cpufit"); femto = load(sys.argv[1], "gpufit")
B = np.array([[0,1,0,0],[-0.5,0,0.5,0],[1,-2.5,2,-0.5],[-0.5,1.5,-1.5,0.5]])
# astigmatic PSF samples 21x21x11 (x slowest), Catmull-Rom coefficients in Gpufit's layout
n = (21, 21, 11); i, j, k = np.meshgrid(np.arange(21), np.arange(21), np.arange(11), indexing='ij')
sx = 1.8*np.sqrt(1+((k-3.5)/4)**2); sy = 1.8*np.sqrt(1+((k-6.5)/4)**2)
S = np.exp(-(i-10)**2/(2*sx**2) - (j-10)**2/(2*sy**2))
P = np.pad(S, 1, mode='edge')  # clamped neighbours
ni = (20, 20, 10)
C = np.zeros(ni + (4, 4, 4))
for a in range(ni[0]):
    for b in range(ni[1]):
        for c in range(ni[2]):
            nb = P[a:a+4, b:b+4, c:c+4]
            C[a, b, c] = np.einsum('ar,bs,ct,rst->abc', B, B, B, nb)
coef = C.astype(np.float32).ravel()
user_info = np.concatenate([[13, 13, 1, 20, 20, 10], coef]).astype(np.float32)
def value(t):  # t: (m, 5) -> (m, 169), the spline model written out
    xs = np.arange(169) % 13; ys = np.arange(169) // 13
    out = np.empty((len(t), 169))
    for f in range(len(t)):
        px = xs - t[f, 1]; py = ys - t[f, 2]; pz = np.full(169, -t[f, 3])
        ii = np.clip(np.floor(px).astype(int), 0, 19); jj = np.clip(np.floor(py).astype(int), 0, 19); kk = np.clip(np.floor(pz).astype(int), 0, 9)
        u, v, w = px - ii, py - jj, pz - kk
        c = C[ii, jj, kk]  # (169, 4, 4, 4)
        pu = np.stack([u**0, u, u**2, u**3], 1); pv = np.stack([v**0, v, v**2, v**3], 1); pw = np.stack([w**0, w, w**2, w**3], 1)
        out[f] = t[f, 0] * np.einsum('nabc,na,nb,nc->n', c, pu, pv, pw) + t[f, 4]
    return out
rng = np.random.default_rng(1)
N = 20000
truth = np.column_stack([rng.uniform(300, 1000, N), rng.uniform(-5, -3, N), rng.uniform(-5, -3, N), rng.uniform(-7, -3, N), rng.uniform(10, 60, N)])
model = value(truth)
start = truth.copy(); start[:, 0] *= rng.uniform(0.85, 1.15, N); start[:, 4] *= rng.uniform(0.85, 1.15, N)
start[:, 1:3] += rng.uniform(-0.45, 0.45, (N, 2)); start[:, 3] += rng.uniform(-0.5, 0.5, N)
def run(f, data, start, est, tol=1e-4, iters=20):
    n, m = data.shape; p = 5
    data = np.ascontiguousarray(data, np.float32); start = np.ascontiguousarray(start, np.float32)
    out = np.full((n, p), np.nan, np.float32); st = np.full(n, -7, np.int32); chi = np.full(n, np.nan, np.float32); it = np.zeros(n, np.int32)
    tf = np.ones(p, np.int32)
    t0 = time.perf_counter()
    rc = f(ctypes.c_size_t(n), ctypes.c_size_t(m), data.ctypes.data_as(F), None, 10, start.ctypes.data_as(F), ctypes.c_float(tol), iters,
           tf.ctypes.data_as(I), est, ctypes.c_size_t(user_info.nbytes), user_info.ctypes.data_as(ctypes.c_char_p), out.ctypes.data_as(F),
           st.ctypes.data_as(I), chi.ctypes.data_as(F), it.ctypes.data_as(I))
    return rc, out, st, chi, it, time.perf_counter() - t0
for est, name in [(0, "LSE"), (1, "MLE")]:
    data = (rng.poisson(model) if est else model + rng.normal(0, 8, model.shape)).astype(np.float32)
    a = run(cpufit, data, start, est); b = run(femto, data, start, est)
    same = np.mean(a[2] == b[2]); itc = np.mean(np.abs(a[4] - b[4]) <= 1)
    ok = (a[2] == 0) & (b[2] == 0)
    rel = np.abs(a[1][ok] - b[1][ok]); se_scale = np.array([10, 0.01, 0.01, 0.03, 1.0])
    print(f"SPLINE_3D 13x13 {name}: rc {a[0]},{b[0]}; same state {same*100:.3f} %, iterations within 1 {itc*100:.2f} %; states cpufit {np.bincount(a[2][a[2]>=0], minlength=4).tolist()} femtofit {np.bincount(b[2][b[2]>=0], minlength=4).tolist()}; "
          f"max |param diff| (both converged) {rel.max(0)}; cpufit {N/a[5]:.0f} fits/s (1 thread), femtofit {N/b[5]:.0f} fits/s ({b[5] and a[5]/b[5]:.1f}x)")
    print("   femtofit mean abs error vs truth", np.abs(b[1][ok] - truth[ok]).mean(0), "cpufit", np.abs(a[1][ok] - truth[ok]).mean(0))
