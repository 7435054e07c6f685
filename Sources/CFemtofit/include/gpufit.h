/*
 * Gpufit's C interface (gpufit/Gpufit, MIT), served by femtofit: the same names, signatures,
 * enum values and semantics, so a program written for Gpufit, or the pygpufit wrapper, runs
 * against femtofit unchanged (install the library as libGpufit.so; see README.md). REAL is float.
 *
 * Supported models: GAUSS_1D, GAUSS_2D, GAUSS_2D_ELLIPTIC, GAUSS_2D_ROTATED, CAUCHY_2D_ELLIPTIC
 * and LINEAR_1D (x values in user_info: n_points floats shared by all fits, or n_fits x n_points;
 * none: x = 0, 1, 2, ...). The other ids return ERROR, "model not supported". 2D ROIs are
 * square, row-major, x = index mod size, y = index div size. Fits whose input femtofit finds
 * unusable (NaN data, negative weights, crossed constraints) get SINGULAR_HESSIAN and NaN
 * parameters. gpufit_cuda_available returns 1 whenever femtofit can fit, on any backend.
 */
#ifndef FEMTOFIT_GPUFIT_H
#define FEMTOFIT_GPUFIT_H

#include <stddef.h>

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
    SPLINE_3D_PHASE_MULTICHANNEL = 12
};

enum EstimatorID { LSE = 0, MLE = 1 };

enum FitState { CONVERGED = 0, MAX_ITERATION = 1, SINGULAR_HESSIAN = 2, NEG_CURVATURE_MLE = 3, GPU_NOT_READY = 4 };

enum ReturnState { OK = 0, ERROR = -1 };

enum ConstraintType { NONE = 0, LOWER = 1, UPPER = 2, LOWER_UPPER = 3 };

int gpufit(size_t n_fits, size_t n_points, float *data, float *weights, int model_id, float *initial_parameters,
           float tolerance, int max_n_iterations, int *parameters_to_fit, int estimator_id, size_t user_info_size,
           char *user_info, float *output_parameters, int *output_states, float *output_chi_squares,
           int *output_n_iterations);

/* constraints: n_fits x n_parameters x {lower, upper}; constraint_types: per parameter. */
int gpufit_constrained(size_t n_fits, size_t n_points, float *data, float *weights, int model_id,
                       float *initial_parameters, float *constraints, int *constraint_types, float tolerance,
                       int max_n_iterations, int *parameters_to_fit, int estimator_id, size_t user_info_size,
                       char *user_info, float *output_parameters, int *output_states, float *output_chi_squares,
                       int *output_n_iterations);

/* The message of the last error on this thread. */
char const *gpufit_get_last_error(void);

/* 1 whenever femtofit can fit (on any backend). */
int gpufit_cuda_available(void);

/* The OpenCL version of the device femtofit uses (major * 1000 + minor * 10) and the driver's
   version number when it is a plain number, or zeros when femtofit runs on the CPU backend. */
int gpufit_get_cuda_version(int *runtime_version, int *driver_version);

/* Gpufit's CUDA interfaces take arrays that already live on a CUDA device. femtofit has no CUDA:
   they return ERROR, saying so. They exist so that wrappers which look them up when they load
   (pygpufit does) load against femtofit. */
int gpufit_cuda_interface(size_t n_fits, size_t n_points, float *gpu_data, float *gpu_weights, int model_id,
                          float tolerance, int max_n_iterations, int *parameters_to_fit, int estimator_id,
                          size_t user_info_size, char *gpu_user_info, float *gpu_fit_parameters,
                          int *gpu_output_states, float *gpu_output_chi_squares, int *gpu_output_n_iterations);
int gpufit_constrained_cuda_interface(size_t n_fits, size_t n_points, float *gpu_data, float *gpu_weights,
                                      int model_id, float tolerance, int max_n_iterations, int *parameters_to_fit,
                                      float *gpu_constraints, int *constraint_types, int estimator_id,
                                      size_t user_info_size, char *gpu_user_info, float *gpu_fit_parameters,
                                      int *gpu_output_states, float *gpu_output_chi_squares,
                                      int *gpu_output_n_iterations);

/* gpufit's arguments as an array of pointers to each (for MATLAB, LabVIEW and the like). */
int gpufit_portable_interface(int argc, void *argv[]);
int gpufit_constrained_portable_interface(int argc, void *argv[]);

#ifdef __cplusplus
}
#endif

#endif /* FEMTOFIT_GPUFIT_H */
