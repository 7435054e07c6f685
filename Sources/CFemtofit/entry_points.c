// The entry points that are plainer in C: the last-error text of each thread (thread-local
// storage), Gpufit's portable interfaces (they only unpack an argv of pointers) and Gpufit's CUDA
// interfaces (femtofit has no CUDA; they refuse, saying so). The others are in FemtofitABI.
#include "femtofit_internal.h"
#include "gpufit.h"
#include <string.h>

static _Thread_local char last_error[1024];
/* What gpufit_get_last_error() reads: Gpufit's own words for the same failure, so that a Gpufit
   front end that compares error strings sees Gpufit's; last_error keeps femtofit's detail. */
static _Thread_local char gpufit_error[1024];

static void copy_message(char *buffer, size_t size, const char *message) {
    if (message == NULL) { buffer[0] = 0; return; }
    strncpy(buffer, message, size - 1);
    buffer[size - 1] = 0;
}

void femtofit_internal_set_last_error(const char *message) {
    copy_message(last_error, sizeof last_error, message);
    copy_message(gpufit_error, sizeof gpufit_error, message);
}

void femtofit_internal_set_gpufit_error(const char *gpufit_text, const char *detail) {
    copy_message(last_error, sizeof last_error, detail);
    copy_message(gpufit_error, sizeof gpufit_error, gpufit_text);
}

const char *femtofit_internal_last_error(void) { return last_error; }

const char *femtofit_last_error(void) { return last_error; }

char const *gpufit_get_last_error(void) { return gpufit_error; }

int gpufit_portable_interface(int argc, void *argv[]) {
    if (argv == NULL || argc < 16) {
        femtofit_internal_set_gpufit_error("invalid argument", "gpufit_portable_interface needs 16 arguments (argv of pointers, as gpufit's)");
        return ERROR;
    }
    for (int i = 0; i < 11; i++) {
        if (i != 2 && i != 3 && i != 5 && i != 8 && argv[i] == NULL) {
            femtofit_internal_set_gpufit_error("invalid argument", "gpufit_portable_interface: a scalar argument's pointer is NULL");
            return ERROR;
        }
    }
    return gpufit(*(size_t *)argv[0], *(size_t *)argv[1], (REAL *)argv[2], (REAL *)argv[3], *(int *)argv[4],
                  (REAL *)argv[5], *(REAL *)argv[6], *(int *)argv[7], (int *)argv[8], *(int *)argv[9],
                  *(size_t *)argv[10], (char *)argv[11], (REAL *)argv[12], (int *)argv[13], (REAL *)argv[14],
                  (int *)argv[15]);
}

int gpufit_constrained_portable_interface(int argc, void *argv[]) {
    if (argv == NULL || argc < 18) {
        femtofit_internal_set_gpufit_error("invalid argument", "gpufit_constrained_portable_interface needs 18 arguments (argv of pointers)");
        return ERROR;
    }
    static const int scalars[] = {0, 1, 4, 8, 9, 11, 12};
    for (int i = 0; i < 7; i++) {
        if (argv[scalars[i]] == NULL) {
            femtofit_internal_set_gpufit_error("invalid argument", "gpufit_constrained_portable_interface: a scalar argument's pointer is NULL");
            return ERROR;
        }
    }
    return gpufit_constrained(*(size_t *)argv[0], *(size_t *)argv[1], (REAL *)argv[2], (REAL *)argv[3],
                              *(int *)argv[4], (REAL *)argv[5], (REAL *)argv[6], (int *)argv[7], *(REAL *)argv[8],
                              *(int *)argv[9], (int *)argv[10], *(int *)argv[11], *(size_t *)argv[12],
                              (char *)argv[13], (REAL *)argv[14], (int *)argv[15], (REAL *)argv[16],
                              (int *)argv[17]);
}

static const char *no_cuda =
    "femtofit has no CUDA: the CUDA interface takes arrays on a CUDA device; pass host arrays to "
    "gpufit or gpufit_constrained instead (femtofit fits on the CPU or an OpenCL device)";

int gpufit_cuda_interface(size_t n_fits, size_t n_points, float *gpu_data, float *gpu_weights, int model_id,
                          float tolerance, int max_n_iterations, int *parameters_to_fit, int estimator_id,
                          size_t user_info_size, char *gpu_user_info, float *gpu_fit_parameters,
                          int *gpu_output_states, float *gpu_output_chi_squares, int *gpu_output_n_iterations) {
    (void)n_fits; (void)n_points; (void)gpu_data; (void)gpu_weights; (void)model_id; (void)tolerance;
    (void)max_n_iterations; (void)parameters_to_fit; (void)estimator_id; (void)user_info_size; (void)gpu_user_info;
    (void)gpu_fit_parameters; (void)gpu_output_states; (void)gpu_output_chi_squares; (void)gpu_output_n_iterations;
    femtofit_internal_set_last_error(no_cuda);
    return ERROR;
}

int gpufit_constrained_cuda_interface(size_t n_fits, size_t n_points, float *gpu_data, float *gpu_weights,
                                      int model_id, float tolerance, int max_n_iterations, int *parameters_to_fit,
                                      float *gpu_constraints, int *constraint_types, int estimator_id,
                                      size_t user_info_size, char *gpu_user_info, float *gpu_fit_parameters,
                                      int *gpu_output_states, float *gpu_output_chi_squares,
                                      int *gpu_output_n_iterations) {
    (void)gpu_constraints; (void)constraint_types;
    return gpufit_cuda_interface(n_fits, n_points, gpu_data, gpu_weights, model_id, tolerance, max_n_iterations,
                                 parameters_to_fit, estimator_id, user_info_size, gpu_user_info, gpu_fit_parameters,
                                 gpu_output_states, gpu_output_chi_squares, gpu_output_n_iterations);
}
