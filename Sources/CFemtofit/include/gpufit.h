/*
 * Gpufit's C interface (gpufit/Gpufit, MIT; its master at a0bd66c), served by femtofit: the same
 * names, signatures, enum values and semantics, so a program written for Gpufit, or the pygpufit
 * wrapper, compiles against this header and runs against femtofit unchanged (install the library
 * as libGpufit.so; see README.md and docs/c-api.md).
 *
 * REAL is float, as in Gpufit's default build; femtofit serves no GPUFIT_DOUBLE build. In C++
 * the header brings <cstddef> and <stdexcept> as Gpufit's does (Gpufit programs lean on them).
 *
 * Supported models: GAUSS_1D, GAUSS_2D, GAUSS_2D_ELLIPTIC, GAUSS_2D_ROTATED, CAUCHY_2D_ELLIPTIC,
 * LINEAR_1D (x values in user_info: n_points floats shared by all fits, or n_fits x n_points;
 * none: x = 0, 1, 2, ...), and Gpufit's test functions FLETCHER_POWELL_HELIX and BROWN_DENNIS
 * (points indexed 0, 1, 2, ...; user_info ignored, as in Gpufit), and the splines SPLINE_1D,
 * SPLINE_2D and SPLINE_3D with Gpufit's user_info (floats: SPLINE_1D n_intervals; SPLINE_2D
 * n_points_x, n_points_y, n_intervals_x, n_intervals_y; SPLINE_3D n_points_x, n_points_y,
 * n_points_z, n_intervals_x, n_intervals_y, n_intervals_z; then the coefficients; a spline's ROI is
 * n_points_x wide, row-major, SPLINE_3D's n_points_z slices of n_points_y rows). The other spline
 * ids (SPLINE_3D_MULTICHANNEL, SPLINE_3D_PHASE_MULTICHANNEL, SPLINE_4D, SPLINE_5D) return ERROR,
 * "model not supported". The other 2D models' ROIs are
 * square, row-major, x = index mod size, y = index div size. Fits whose input femtofit finds
 * unusable (NaN data, negative weights, crossed constraints) get SINGULAR_HESSIAN and NaN
 * parameters. States follow Gpufit's rules: SINGULAR_HESSIAN only at an exactly zero pivot,
 * NEG_CURVATURE_MLE as soon as an MLE step makes the model non-positive (the parameters from
 * before that step), and a flat ROI is fitted (amplitude 0 on the constant) as Gpufit fits it.
 *
 * Arguments Gpufit accepts are accepted: tolerance 0 (or below) runs every fit to the iteration
 * limit; max_n_iterations 0 (or below) sets no limit, as in Gpufit (femtofit stops at 100000
 * iterations rather than never); parameters_to_fit all 0 returns the start values with their
 * chi-square, state CONVERGED (NEG_CURVATURE_MLE where an MLE model is negative) and 0
 * iterations; n_fits 0 returns OK and writes nothing.
 *
 * Errors: gpufit_get_last_error() reads as Gpufit's would ("invalid argument" for a NULL array,
 * "unknown model ID", "maximum absolute number of data points exceeded", ...); the detail
 * (which argument, what to do) is femtofit_last_error() in femtofit.h. Both are per thread.
 *
 * Versions: gpufit_cuda_available() returns 1 whenever femtofit can fit, on any backend, and
 * gpufit_get_cuda_version() then reports two positive numbers with driver >= runtime, which is
 * what Gpufit programs check before they call gpufit(): on an OpenCL device, runtime is the
 * device's OpenCL version and driver its driver's version (each major * 1000 + minor * 10; a
 * driver version that does not parse, or reads lower, is reported equal to runtime); on the CPU
 * backend both are femtofit's C API version times 1000 (1000, read "1.0"). Neither is a CUDA
 * version: femtofit has no CUDA.
 */
#ifndef FEMTOFIT_GPUFIT_H
#define FEMTOFIT_GPUFIT_H

#ifdef GPUFIT_DOUBLE
#error "femtofit serves Gpufit's float interface only (REAL = float); build without GPUFIT_DOUBLE"
#endif
#ifndef REAL
#define REAL float
#endif
#if defined(__cplusplus) && __cplusplus >= 201103L
static_assert(sizeof(REAL) == sizeof(float), "femtofit's Gpufit interface takes float arrays: REAL must be float");
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
_Static_assert(sizeof(REAL) == sizeof(float), "femtofit's Gpufit interface takes float arrays: REAL must be float");
#endif

#include <stddef.h>
#ifdef __cplusplus
#include <cstddef>
#include <stdexcept>
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Gpufit's enums, with its names and values (constants.h). */
enum ModelID {
    GAUSS_1D = 0,
    GAUSS_2D = 1,
    GAUSS_2D_ELLIPTIC = 2,
    GAUSS_2D_ROTATED = 3,
    CAUCHY_2D_ELLIPTIC = 4,
    LINEAR_1D = 5,
    FLETCHER_POWELL_HELIX = 6,
    BROWN_DENNIS = 7,
    SPLINE_1D = 8,
    SPLINE_2D = 9,
    SPLINE_3D = 10,
    SPLINE_3D_MULTICHANNEL = 11,
    SPLINE_3D_PHASE_MULTICHANNEL = 12,
    SPLINE_4D = 13,
    SPLINE_5D = 14
};

enum EstimatorID { LSE = 0, MLE = 1 };

enum FitState { CONVERGED = 0, MAX_ITERATION = 1, SINGULAR_HESSIAN = 2, NEG_CURVATURE_MLE = 3, GPU_NOT_READY = 4 };

enum ReturnState { OK = 0, ERROR = -1 };

enum DataLocation { HOST = 0, DEVICE = 1 };

enum Bound { LOWER_BOUND = 0, UPPER_BOUND = 1 };

enum ConstraintType { NONE = 0, LOWER = 1, UPPER = 2, LOWER_UPPER = 3 };

int gpufit(size_t n_fits, size_t n_points, REAL *data, REAL *weights, int model_id, REAL *initial_parameters,
           REAL tolerance, int max_n_iterations, int *parameters_to_fit, int estimator_id, size_t user_info_size,
           char *user_info, REAL *output_parameters, int *output_states, REAL *output_chi_squares,
           int *output_n_iterations);

/* constraints: n_fits x n_parameters x {lower, upper}; constraint_types: per parameter. */
int gpufit_constrained(size_t n_fits, size_t n_points, REAL *data, REAL *weights, int model_id,
                       REAL *initial_parameters, REAL *constraints, int *constraint_types, REAL tolerance,
                       int max_n_iterations, int *parameters_to_fit, int estimator_id, size_t user_info_size,
                       char *user_info, REAL *output_parameters, int *output_states, REAL *output_chi_squares,
                       int *output_n_iterations);

/* The message of the last error on this thread, in Gpufit's words (femtofit_last_error: the detail). */
char const *gpufit_get_last_error(void);

/* 1 whenever femtofit can fit (on any backend); see "Versions" above. */
int gpufit_cuda_available(void);

/* Positive runtime and driver numbers, driver >= runtime, whenever femtofit can fit: see "Versions"
   above. ERROR when either pointer is NULL. */
int gpufit_get_cuda_version(int *runtime_version, int *driver_version);

/* Gpufit's CUDA interfaces take arrays that already live on a CUDA device. femtofit has no CUDA:
   they return ERROR, saying so. They exist so that wrappers which look them up when they load
   (pygpufit does) load against femtofit. */
int gpufit_cuda_interface(size_t n_fits, size_t n_points, REAL *gpu_data, REAL *gpu_weights, int model_id,
                          REAL tolerance, int max_n_iterations, int *parameters_to_fit, int estimator_id,
                          size_t user_info_size, char *gpu_user_info, REAL *gpu_fit_parameters,
                          int *gpu_output_states, REAL *gpu_output_chi_squares, int *gpu_output_n_iterations);
int gpufit_constrained_cuda_interface(size_t n_fits, size_t n_points, REAL *gpu_data, REAL *gpu_weights,
                                      int model_id, REAL tolerance, int max_n_iterations, int *parameters_to_fit,
                                      REAL *gpu_constraints, int *constraint_types, int estimator_id,
                                      size_t user_info_size, char *gpu_user_info, REAL *gpu_fit_parameters,
                                      int *gpu_output_states, REAL *gpu_output_chi_squares,
                                      int *gpu_output_n_iterations);

/* gpufit's arguments as an array of pointers to each (for MATLAB, LabVIEW and the like). */
int gpufit_portable_interface(int argc, void *argv[]);
int gpufit_constrained_portable_interface(int argc, void *argv[]);

#ifdef __cplusplus
}
#endif

#endif /* FEMTOFIT_GPUFIT_H */
