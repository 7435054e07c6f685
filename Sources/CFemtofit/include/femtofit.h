/*
 * femtofit's C API: batched Levenberg-Marquardt fitting of 2D Gaussians, Cauchy peaks, lines and
 * multi-exponential kinetics on the CPU (SIMD, every core) or an OpenCL device.
 *
 * Plain C99. Link with -lfemtofit (see README.md, "The C library"). Every function is safe to
 * call from any thread; a context may be shared by threads that fit one after another, and
 * femtofit_cancel may be called from any thread while a fit runs. Functions that can fail return
 * FEMTOFIT_OK or FEMTOFIT_ERROR (FEMTOFIT_CANCELLED when cancelled); the reason is then in
 * femtofit_last_error(), which is per thread.
 *
 * The same library also exports Gpufit's entry points (see gpufit.h).
 */
#ifndef FEMTOFIT_H
#define FEMTOFIT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version of this API; bumped when a struct or a signature changes. */
#define FEMTOFIT_API_VERSION 1

/* Return values. */
#define FEMTOFIT_OK 0
#define FEMTOFIT_ERROR (-1)
#define FEMTOFIT_CANCELLED (-2)

/* Backends. AUTO: an OpenCL GPU when there is one, else the CPU. */
#define FEMTOFIT_BACKEND_AUTO 0
#define FEMTOFIT_BACKEND_CPU 1
#define FEMTOFIT_BACKEND_OPENCL 2
#define FEMTOFIT_BACKEND_REFERENCE 3 /* scalar float64, one thread: the yardstick, slow */

/* Precision the solver computes in. */
#define FEMTOFIT_PRECISION_SINGLE 0
#define FEMTOFIT_PRECISION_DOUBLE 1

/*
 * Models. femtofit's ids start at 1000 so that they never collide with Gpufit's (0 to 12, used
 * by the gpufit_* entry points). Parameter orders:
 *   GAUSS_1D            amplitude, x0, sigma, offset
 *   GAUSS_2D            amplitude, x0, y0, sigma, offset
 *   GAUSS_2D_ELLIPTIC   amplitude, x0, y0, sigma_x, sigma_y, offset
 *   GAUSS_2D_ROTATED    amplitude, x0, y0, sigma_x, sigma_y, offset, theta
 *   CAUCHY_2D_ELLIPTIC  amplitude, x0, y0, gamma_x, gamma_y, offset
 *   LINEAR_1D           offset, slope
 *   FLETCHER_POWELL_HELIX  x1, x2, x3 (Gpufit's test function: points indexed x = 0, 1, 2)
 *   BROWN_DENNIS        x1, x2, x3, x4 (Gpufit's test function: point x at t = x / 5)
 *   SPLINE_1D           amplitude, x0, offset          (Gpufit's cubic-spline templates: their
 *   SPLINE_2D           amplitude, x0, y0, offset       coefficients come through the gpufit_*
 *   SPLINE_3D           amplitude, x0, y0, z0, offset   entry points' user_info or
 *                                                       femtofit_fit_spline; femtofit_fit refuses them)
 *   GAUSS_2D_PIXELATED  amplitude, x0, y0, sigma, offset (integrated over each pixel)
 *   KINETICS_n          amplitude_i, tau_i for i = 1..n (1 to 4), then t0, irf_sigma, offset
 *   KINETICS_n_ARTIFACT the same, then artifact_0, artifact_1, artifact_2: the coherent artefact,
 *                       amplitudes of the response Gaussian and of its first and second time
 *                       derivatives scaled by irf_sigma and irf_sigma^2
 * 2D models fit ROIs of roi_width x roi_height pixels (any shape), row-major, pixel (column c,
 * row r) at x = c, y = r. 1D models fit curves with x values (delays for kinetics).
 */
#define FEMTOFIT_MODEL_GAUSS_1D 1000
#define FEMTOFIT_MODEL_GAUSS_2D 1001
#define FEMTOFIT_MODEL_GAUSS_2D_ELLIPTIC 1002
#define FEMTOFIT_MODEL_GAUSS_2D_ROTATED 1003
#define FEMTOFIT_MODEL_CAUCHY_2D_ELLIPTIC 1004
#define FEMTOFIT_MODEL_LINEAR_1D 1005
#define FEMTOFIT_MODEL_FLETCHER_POWELL_HELIX 1006
#define FEMTOFIT_MODEL_BROWN_DENNIS 1007
#define FEMTOFIT_MODEL_SPLINE_1D 1008
#define FEMTOFIT_MODEL_SPLINE_2D 1009
#define FEMTOFIT_MODEL_SPLINE_3D 1010
#define FEMTOFIT_MODEL_GAUSS_2D_PIXELATED 1100
#define FEMTOFIT_MODEL_KINETICS_1 1101
#define FEMTOFIT_MODEL_KINETICS_2 1102
#define FEMTOFIT_MODEL_KINETICS_3 1103
#define FEMTOFIT_MODEL_KINETICS_4 1104
#define FEMTOFIT_MODEL_KINETICS_1_ARTIFACT 1111
#define FEMTOFIT_MODEL_KINETICS_2_ARTIFACT 1112
#define FEMTOFIT_MODEL_KINETICS_3_ARTIFACT 1113
#define FEMTOFIT_MODEL_KINETICS_4_ARTIFACT 1114

/* Estimators: weighted least squares, or Poisson maximum likelihood (raw counts only). */
#define FEMTOFIT_ESTIMATOR_LSE 0
#define FEMTOFIT_ESTIMATOR_MLE 1

/* Per-fit states. */
#define FEMTOFIT_STATE_CONVERGED 0
#define FEMTOFIT_STATE_MAX_ITERATIONS 1
#define FEMTOFIT_STATE_SINGULAR 2           /* the curvature could not be solved, during the fit or at its solution: NaN errors */
#define FEMTOFIT_STATE_NEGATIVE_CURVATURE 3 /* MLE: the model was not positive somewhere */
#define FEMTOFIT_STATE_INVALID_INPUT 5      /* unusable data, weights, start or bounds; not fitted */
#define FEMTOFIT_STATE_AT_BOUND 6           /* converged with a free parameter on a bound: a limit, not a measurement */
#define FEMTOFIT_STATE_NON_FINITE_MODEL 7   /* the model NaN or infinite at the start values: start values back, NaN errors */
/* An honest fit is FEMTOFIT_STATE_CONVERGED: converged, finite standard errors, on no bound. */

/* Element type of data, weights and x values. */
#define FEMTOFIT_FLOAT32 0
#define FEMTOFIT_FLOAT64 1

/* An opaque fitting context: a backend on a device. A handle is a token the library checks on
   every call, never dereferenced and never reused: a destroyed handle gets FEMTOFIT_ERROR and a
   message, not a crash. What stays undefined: using a handle after the library is unloaded. */
typedef struct femtofit_context femtofit_context;

/*
 * Creates a context. backend: FEMTOFIT_BACKEND_*; precision: FEMTOFIT_PRECISION_*; device: the
 * OpenCL device (an index, "gpu", "cpu" or part of its name) or NULL for automatic; threads: CPU
 * threads, 0 for every core. Returns NULL (and sets the last error) when the backend or device
 * cannot be used.
 */
femtofit_context *femtofit_context_create(int backend, int precision, const char *device, int threads);

/* Frees a context. Returns FEMTOFIT_OK (NULL is ignored), or FEMTOFIT_ERROR for a handle that is
   not live (destroyed already, or not from femtofit_context_create). A fit running on the context
   in another thread finishes first; the context is freed when it returns. */
int femtofit_context_destroy(femtofit_context *context);

/* The backend and device in words, e.g. "cpu: 2 CPU threads, 16 float32 lanes per SIMD group".
   The text lives as long as the context. NULL for a context that is not live. */
const char *femtofit_context_description(const femtofit_context *context);

/* Asks the fit running on this context to stop; it returns FEMTOFIT_CANCELLED after the chunk of
   fits in progress. Safe from any thread, including a progress callback. Returns FEMTOFIT_OK, or
   FEMTOFIT_ERROR for NULL or a context that is not live. */
int femtofit_cancel(femtofit_context *context);

/*
 * Progress: called after each chunk of fits with the number done and the total. Return 0 to go
 * on, anything else to cancel. Called on the thread that called femtofit_fit.
 */
typedef int (*femtofit_progress_callback)(size_t fits_done, size_t fits_total, void *user_data);

/* One batch of fits of one model and size. Arrays are fit-major: fit i's points are
   [i * n_points, (i + 1) * n_points), its parameters [i * n_parameters, (i + 1) * n_parameters). */
typedef struct femtofit_batch {
    int model;              /* FEMTOFIT_MODEL_* */
    size_t n_fits;
    size_t n_points;        /* per fit */
    size_t roi_width;       /* 2D models: roi_width * roi_height == n_points; 0 for 1D models */
    size_t roi_height;
    int value_type;         /* FEMTOFIT_FLOAT32 or FEMTOFIT_FLOAT64: the type of data, weights, x */
    const void *data;       /* n_fits x n_points */
    const void *weights;    /* NULL, or n_fits x n_points: 1/variance for LSE; 0 masks a point */
    const void *x;          /* 1D models: NULL (x = 0, 1, 2, ...), n_points values, or per fit */
    int x_per_fit;          /* nonzero: x holds n_fits x n_points values */
    const double *initial_parameters; /* NULL: each fit starts from an estimate from its data */
    const int *parameters_to_fit;     /* NULL: all; else n_parameters flags, 0 holds a parameter fixed */
    const double *lower_bounds;       /* NULL, or n_fits x n_parameters; -inf or NaN: open */
    const double *upper_bounds;       /* NULL, or n_fits x n_parameters; +inf or NaN: open */
} femtofit_batch;

/* Settings of a fit; femtofit_settings_init fills in the defaults. */
typedef struct femtofit_settings {
    double tolerance;           /* converged when chi^2 changes by less than tolerance x chi^2; 1e-4 */
    int max_iterations;         /* 20 */
    int estimator;              /* FEMTOFIT_ESTIMATOR_LSE */
    int weights_are_inverse_variances; /* 1: errors from the curvature; 0: scaled by reduced chi^2 */
    int robust_errors;          /* LSE only: sandwich (HC1) standard errors; 0 */
    femtofit_progress_callback progress; /* NULL: none */
    void *progress_user_data;
} femtofit_settings;

void femtofit_settings_init(femtofit_settings *settings);

/* Where the results go: caller-owned arrays, any of them NULL when not wanted. */
typedef struct femtofit_results {
    double *parameters;      /* n_fits x n_parameters (NaN for invalid input) */
    double *standard_errors; /* n_fits x n_parameters (0 for fixed parameters, NaN where unknown) */
    int *states;             /* n_fits, FEMTOFIT_STATE_* */
    double *chi_squares;     /* n_fits */
    int *iterations;         /* n_fits */
} femtofit_results;

/*
 * Fits every fit of the batch. Returns FEMTOFIT_OK when all were fitted (each fit's outcome is
 * its state), FEMTOFIT_ERROR for a whole-call problem (NULL pointers, sizes, an unknown model,
 * impossible settings), FEMTOFIT_CANCELLED when cancelled (the fits before the cancelled chunk are
 * written; the others are left as they were).
 */
int femtofit_fit(femtofit_context *context, const femtofit_batch *batch, const femtofit_settings *settings,
                 femtofit_results *results);

/*
 * A spline template for FEMTOFIT_MODEL_SPLINE_1D, _2D and _3D (docs/spline-models.md): its
 * dimensions (1 to 3), the intervals along each axis (those past `dimensions` are ignored), for a
 * 3D spline fitted to ROIs that stack z slices the rows of one slice (0: one slice, z = 0), and
 * the coefficients in Gpufit's layout: 4^dimensions per interval, the orders along x slowest
 * within an interval, the intervals x slowest. femtofit copies them; the caller keeps its array.
 */
typedef struct femtofit_spline {
    int dimensions;
    size_t intervals[3];
    size_t slice_height;
    const double *coefficients;
} femtofit_spline;

/* femtofit_fit for the spline models: the batch's fits are fitted to `spline`. Start values
   (initial_parameters) are required: the spline models have no start rule. */
int femtofit_fit_spline(femtofit_context *context, const femtofit_batch *batch, const femtofit_spline *spline,
                        const femtofit_settings *settings, femtofit_results *results);

/* The number of parameters of a model, or -1 (with the last error) for an unknown id. */
int femtofit_model_parameter_count(int model);

/* A model's name as the CLI spells it ("gauss2d", "kinetics2", ...), or NULL for an unknown id. */
const char *femtofit_model_name(int model);

/* The model id for a CLI name, or -1 for an unknown name. */
int femtofit_model_id(const char *name);

/* The name of a model's parameter `index` (0-based, in the order above), or NULL. */
const char *femtofit_model_parameter_name(int model, int index);

/* 2 for models of 2D ROIs, 1 for models of curves, -1 for an unknown id. */
int femtofit_model_dimensions(int model);

/* Writes up to `capacity` model ids into `ids` (NULL: none) and returns how many models there are.
   The built-in models only: compiled models (below) are not listed. */
int femtofit_model_ids(int *ids, int capacity);

/* Models defined at run time (docs/models.md). `text` is a model file's text (TOML: name,
 * coordinates, parameters, expression, optional [start], [bounds], [positions]). The model is read,
 * differentiated, checked against finite differences and registered; its id (10000 and up, apart
 * from every built-in id, never reused) goes to *model_id, and works in femtofit_fit and in every
 * femtofit_model_* function above (its name, parameters, dimensions; femtofit_model_id finds it
 * by name, the latest compiled of that name). On a fault: FEMTOFIT_ERROR, and the reason with
 * its line or column in femtofit_last_error(). Thread-safe. The gpufit_* functions take built-in
 * models only. */
int femtofit_model_compile(const char *text, int *model_id);

/* Releases a compiled model: FEMTOFIT_OK, or FEMTOFIT_ERROR for an id that is not a compiled
 * model's or was released already. Fits running with it on other threads finish with it; a call
 * with the id afterwards fails with "released", and its name and parameter-name strings are no
 * longer valid. Thread-safe. */
int femtofit_model_release(int model_id);

/* Why the last call on this thread failed (empty when nothing has failed). */
const char *femtofit_last_error(void);

/* femtofit's version, e.g. "0.6.0". */
const char *femtofit_version(void);

/* FEMTOFIT_API_VERSION of the loaded library. */
int femtofit_api_version(void);

#ifdef __cplusplus
}
#endif

#endif /* FEMTOFIT_H */
