/*
 * Calls every entry point of femtofit's C library, the invalid-argument cases included, through
 * the headers in Sources/CFemtofit/include. Compiled and run by CABITests (the system C compiler,
 * -std=c99 -pedantic): usage `abi_test SEED OUTDIR`. Exits 1 on the first failed check, naming it.
 * It writes the inputs and outputs of two fits (femtofit_fit on an elliptic Gaussian over a 7x5
 * ROI, gpufit on GAUSS_2D over 9x9) into OUTDIR, where the Swift test fits the same data with the
 * Swift API and compares.
 */
#include "femtofit.h"
#include "gpufit.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int checks = 0;

#define CHECK(condition, ...)                                                                      \
    do {                                                                                           \
        checks++;                                                                                  \
        if (!(condition)) {                                                                        \
            fprintf(stderr, "abi_test: check failed at line %d: %s: ", __LINE__, #condition);     \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fprintf(stderr, " (last error: %s)\n", femtofit_last_error());                         \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

/* A small seeded generator (xorshift64*), so the Swift side can be handed the same data. */
static unsigned long long rng_state;
static double uniform(void) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (double)((rng_state * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}
static double gaussian(void) {
    double u = uniform() + 1e-300, v = uniform();
    return sqrt(-2 * log(u)) * cos(2 * 3.14159265358979323846 * v);
}

static void write_file(const char *dir, const char *name, const void *bytes, size_t size) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *file = fopen(path, "wb");
    CHECK(file != NULL, "cannot write %s", path);
    CHECK(fwrite(bytes, 1, size, file) == size, "short write to %s", path);
    fclose(file);
}

static int contains(const char *text, const char *part) { return text != NULL && strstr(text, part) != NULL; }

/* Progress callbacks: count calls; cancel on the first. */
static int progress_calls = 0;
static size_t last_done = 0, last_total = 0;
static int count_progress(size_t done, size_t total, void *user) {
    (void)user;
    progress_calls++;
    last_done = done;
    last_total = total;
    return 0;
}
static int cancel_at_once(size_t done, size_t total, void *user) {
    (void)done; (void)total; (void)user;
    return 1;
}
/* Cancels through femtofit_cancel on the context passed as user data, and goes on (returns 0). */
static int cancel_through_context(size_t done, size_t total, void *user) {
    (void)done; (void)total;
    femtofit_cancel((femtofit_context *)user);
    return 0;
}

/* The last error is per thread: a failure on another thread leaves this thread's text alone. */
static void *fail_on_other_thread(void *argument) {
    (void)argument;
    int rc = gpufit(0, 0, NULL, NULL, 99, NULL, 1e-4f, 20, NULL, 0, 0, NULL, NULL, NULL, NULL, NULL);
    static char copy[1024];
    strncpy(copy, gpufit_get_last_error(), sizeof copy - 1);
    return rc == ERROR ? copy : NULL;
}

/* An elliptic Gaussian on a width x height ROI, A ~ U(500, 1000), B ~ U(10, 100), Gaussian noise. */
static void elliptic_rois(size_t fits, size_t width, size_t height, float *data, double *start, double *truth) {
    for (size_t i = 0; i < fits; i++) {
        double a = 500 + 500 * uniform(), x0 = (width - 1) / 2.0 + uniform() - 0.5;
        double y0 = (height - 1) / 2.0 + uniform() - 0.5, sx = 1.2 + 0.6 * uniform(), sy = 1.0 + 0.5 * uniform();
        double b = 10 + 90 * uniform();
        double p[6] = {a, x0, y0, sx, sy, b};
        for (int j = 0; j < 6; j++) {
            truth[i * 6 + j] = p[j];
            start[i * 6 + j] = p[j] * (1 + 0.1 * (uniform() - 0.5));
        }
        for (size_t r = 0; r < height; r++)
            for (size_t c = 0; c < width; c++) {
                double f = a * exp(-0.5 * ((c - x0) * (c - x0) / (sx * sx) + (r - y0) * (r - y0) / (sy * sy))) + b;
                data[i * width * height + r * width + c] = (float)(f + sqrt(f) * gaussian());
            }
    }
}

static void check_femtofit_api(const char *outdir) {
    CHECK(femtofit_api_version() == FEMTOFIT_API_VERSION, "api version %d", femtofit_api_version());
    CHECK(strlen(femtofit_version()) > 0, "empty version");
    CHECK(femtofit_model_parameter_count(FEMTOFIT_MODEL_GAUSS_2D) == 5, "gauss2d parameters");
    CHECK(femtofit_model_parameter_count(FEMTOFIT_MODEL_KINETICS_2) == 7, "kinetics2 parameters");
    CHECK(femtofit_model_parameter_count(GAUSS_2D) == -1, "a Gpufit id is not a femtofit model id");
    CHECK(contains(femtofit_last_error(), "1000"), "the unknown-id error should say where femtofit's ids start");
    CHECK(strcmp(femtofit_model_name(FEMTOFIT_MODEL_CAUCHY_2D_ELLIPTIC), "cauchy2d-elliptic") == 0, "name");
    CHECK(femtofit_model_name(7) == NULL, "unknown id has no name");
    CHECK(femtofit_model_id("gauss2d-rotated") == FEMTOFIT_MODEL_GAUSS_2D_ROTATED, "id from name");
    CHECK(femtofit_model_id("spline") == -1 && contains(femtofit_last_error(), "spline"), "unknown name");
    CHECK(femtofit_model_id(NULL) == -1, "NULL name");
    CHECK(strcmp(femtofit_model_parameter_name(FEMTOFIT_MODEL_KINETICS_2, 5), "irf_sigma") == 0, "parameter name");
    CHECK(femtofit_model_parameter_name(FEMTOFIT_MODEL_GAUSS_2D, 5) == NULL, "parameter index out of range");
    CHECK(femtofit_model_dimensions(FEMTOFIT_MODEL_GAUSS_2D_PIXELATED) == 2 && femtofit_model_dimensions(FEMTOFIT_MODEL_KINETICS_1) == 1,
          "dimensions");
    CHECK(femtofit_model_dimensions(3) == -1, "dimensions of an unknown id");
    {
        int ids[32];
        int count = femtofit_model_ids(ids, 32);
        CHECK(count == 20 && ids[0] == FEMTOFIT_MODEL_GAUSS_1D && ids[6] == FEMTOFIT_MODEL_FLETCHER_POWELL_HELIX
              && ids[7] == FEMTOFIT_MODEL_BROWN_DENNIS && ids[8] == FEMTOFIT_MODEL_SPLINE_1D && ids[10] == FEMTOFIT_MODEL_SPLINE_3D
              && ids[14] == FEMTOFIT_MODEL_KINETICS_3 && ids[15] == FEMTOFIT_MODEL_KINETICS_4
              && ids[19] == FEMTOFIT_MODEL_KINETICS_4_ARTIFACT, "model ids (%d)", count);
        CHECK(femtofit_model_parameter_count(FEMTOFIT_MODEL_KINETICS_4_ARTIFACT) == 14, "kinetics4-artifact parameters");
        CHECK(strcmp(femtofit_model_parameter_name(FEMTOFIT_MODEL_KINETICS_2_ARTIFACT, 9), "artifact_2") == 0, "artefact parameter name");
        CHECK(femtofit_model_id("kinetics3-artifact") == FEMTOFIT_MODEL_KINETICS_3_ARTIFACT, "artefact model id from its name");
        CHECK(femtofit_model_ids(NULL, 0) == count, "model count");
    }

    CHECK(femtofit_context_create(42, 0, NULL, 0) == NULL && contains(femtofit_last_error(), "backend"), "bad backend");
    CHECK(femtofit_context_create(FEMTOFIT_BACKEND_CPU, 7, NULL, 0) == NULL && contains(femtofit_last_error(), "precision"), "bad precision");
    CHECK(femtofit_context_create(FEMTOFIT_BACKEND_CPU, 0, NULL, -1) == NULL, "negative threads");
    femtofit_context *cpu = femtofit_context_create(FEMTOFIT_BACKEND_CPU, FEMTOFIT_PRECISION_SINGLE, NULL, 0);
    CHECK(cpu != NULL, "cpu context");
    CHECK(contains(femtofit_context_description(cpu), "cpu"), "description %s", femtofit_context_description(cpu));
    CHECK(femtofit_context_description(NULL) == NULL, "NULL context has no description");
    femtofit_context_destroy(NULL);
    femtofit_cancel(NULL);

    /* An elliptic Gaussian on a non-square ROI, float32 and float64, with bounds and errors. */
    enum { FITS = 300, W = 7, H = 5, P = 6 };
    static float data[FITS * W * H];
    static double data64[FITS * W * H], start[FITS * P], truth[FITS * P], lower[FITS * P], upper[FITS * P];
    static double parameters[FITS * P], errors[FITS * P], chi[FITS], parameters64[FITS * P], errors64[FITS * P];
    static int states[FITS], iterations[FITS], states64[FITS];
    elliptic_rois(FITS, W, H, data, start, truth);
    for (size_t k = 0; k < FITS * W * H; k++) data64[k] = data[k];
    for (size_t k = 0; k < FITS * P; k++) {
        lower[k] = -INFINITY;
        upper[k] = INFINITY;
        parameters[k] = errors[k] = parameters64[k] = errors64[k] = NAN;
    }
    for (size_t i = 0; i < FITS; i++) { lower[i * P + 5] = 0; upper[i * P + 5] = 150; } /* offset in [0, 150] */
    for (size_t i = 0; i < FITS; i++) { states[i] = states64[i] = iterations[i] = -77; chi[i] = NAN; }
    data[17 * W * H + 3] = NAN; /* fit 17 has a NaN pixel and no weights: invalid input */

    femtofit_batch batch;
    memset(&batch, 0, sizeof batch);
    batch.model = FEMTOFIT_MODEL_GAUSS_2D_ELLIPTIC;
    batch.n_fits = FITS;
    batch.n_points = W * H;
    batch.roi_width = W;
    batch.roi_height = H;
    batch.value_type = FEMTOFIT_FLOAT32;
    batch.data = data;
    batch.initial_parameters = start;
    batch.lower_bounds = lower;
    batch.upper_bounds = upper;
    femtofit_settings settings;
    femtofit_settings_init(&settings);
    CHECK(settings.tolerance == 1e-4 && settings.max_iterations == 20 && settings.estimator == FEMTOFIT_ESTIMATOR_LSE,
          "default settings");
    settings.weights_are_inverse_variances = 0;
    settings.progress = count_progress;
    femtofit_results results = {parameters, errors, states, chi, iterations};
    CHECK(femtofit_fit(cpu, &batch, &settings, &results) == FEMTOFIT_OK, "fit");
    CHECK(progress_calls >= 1 && last_done == FITS && last_total == FITS, "progress %d %zu %zu", progress_calls, last_done, last_total);
    CHECK(states[17] == FEMTOFIT_STATE_INVALID_INPUT && isnan(parameters[17 * P]), "NaN pixel: state %d", states[17]);
    int converged = 0;
    for (size_t i = 0; i < FITS; i++) {
        CHECK(states[i] != -77 && iterations[i] >= 0, "fit %zu unwritten", i);
        if (states[i] != FEMTOFIT_STATE_CONVERGED) continue;
        converged++;
        CHECK(parameters[i * P + 5] >= 0 && parameters[i * P + 5] <= 150, "fit %zu offset out of bounds", i);
        CHECK(fabs(parameters[i * P + 1] - truth[i * P + 1]) < 0.5 && errors[i * P + 1] > 0 && errors[i * P + 1] < 0.5,
              "fit %zu x0 %g (truth %g, error %g)", i, parameters[i * P + 1], truth[i * P + 1], errors[i * P + 1]);
    }
    CHECK(converged > FITS * 9 / 10, "only %d of %d converged", converged, FITS);

    batch.value_type = FEMTOFIT_FLOAT64;
    batch.data = data64;
    data64[17 * W * H + 3] = NAN;
    femtofit_results results64 = {parameters64, errors64, states64, NULL, NULL};
    settings.progress = NULL;
    CHECK(femtofit_fit(cpu, &batch, &settings, &results64) == FEMTOFIT_OK, "float64 fit");
    for (size_t k = 0; k < FITS * P; k++) {
        CHECK((isnan(parameters[k]) && isnan(parameters64[k])) || parameters[k] == parameters64[k],
              "float64 input (exactly the float32 values) gives different parameters at %zu", k);
    }

    write_file(outdir, "elliptic_data.f32", data, sizeof data);
    write_file(outdir, "elliptic_start.f64", start, sizeof start);
    write_file(outdir, "elliptic_lower.f64", lower, sizeof lower);
    write_file(outdir, "elliptic_upper.f64", upper, sizeof upper);
    write_file(outdir, "elliptic_parameters.f64", parameters, sizeof parameters);
    write_file(outdir, "elliptic_errors.f64", errors, sizeof errors);
    write_file(outdir, "elliptic_states.i32", states, sizeof states);
    write_file(outdir, "elliptic_chi.f64", chi, sizeof chi);
    write_file(outdir, "elliptic_iterations.i32", iterations, sizeof iterations);

    /* Automatic start values, fixed parameters and 1D x values. */
    enum { LFITS = 3000, LPOINTS = 8 };
    static float line[LFITS * LPOINTS], xs[LPOINTS];
    static double lp[LFITS * 2];
    static int lstates[LFITS];
    for (int k = 0; k < LPOINTS; k++) xs[k] = 0.5f * k - 1;
    for (int i = 0; i < LFITS; i++)
        for (int k = 0; k < LPOINTS; k++) line[i * LPOINTS + k] = (float)(3 + 0.25 * i / LFITS + 2 * xs[k]);
    for (int k = 0; k < LFITS * 2; k++) lp[k] = NAN;
    femtofit_batch lines;
    memset(&lines, 0, sizeof lines);
    lines.model = FEMTOFIT_MODEL_LINEAR_1D;
    lines.n_fits = LFITS;
    lines.n_points = LPOINTS;
    lines.value_type = FEMTOFIT_FLOAT32;
    lines.data = line;
    lines.x = xs;
    femtofit_results lineResults = {lp, NULL, lstates, NULL, NULL};
    CHECK(femtofit_fit(cpu, &lines, NULL, &lineResults) == FEMTOFIT_OK, "line fit with automatic starts");
    CHECK(fabs(lp[2 * 5] - (3 + 0.25 * 5 / LFITS)) < 1e-4 && fabs(lp[2 * 5 + 1] - 2) < 1e-4, "line %g %g", lp[10], lp[11]);
    for (int i = 0; i < LFITS; i++) CHECK(lstates[i] == FEMTOFIT_STATE_CONVERGED, "line %d: state %d", i, lstates[i]);

    /* A slope held under the truth's (2) by an upper bound of 1.5 ends on it: AT_BOUND, never
       CONVERGED (an honest fit is converged, with finite errors, on no bound). */
    static double lowerBounds[LFITS * 2], upperBounds[LFITS * 2];
    for (int i = 0; i < LFITS; i++) {
        lowerBounds[2 * i] = -INFINITY; lowerBounds[2 * i + 1] = NAN;
        upperBounds[2 * i] = INFINITY; upperBounds[2 * i + 1] = 1.5;
    }
    lines.lower_bounds = lowerBounds;
    lines.upper_bounds = upperBounds;
    CHECK(femtofit_fit(cpu, &lines, NULL, &lineResults) == FEMTOFIT_OK, "line fit with a bound");
    for (int i = 0; i < LFITS; i++)
        CHECK(lstates[i] == FEMTOFIT_STATE_AT_BOUND && fabs(lp[2 * i + 1] - 1.5) < 1e-6, "bounded line %d: state %d, slope %g",
              i, lstates[i], lp[2 * i + 1]);
    lines.lower_bounds = NULL;
    lines.upper_bounds = NULL;

    /* Cancellation: from the progress callback, and from femtofit_cancel. The fits of later
       chunks stay as they were. */
    for (int k = 0; k < LFITS * 2; k++) lp[k] = NAN;
    femtofit_settings cancelling;
    femtofit_settings_init(&cancelling);
    cancelling.progress = cancel_at_once;
    CHECK(femtofit_fit(cpu, &lines, &cancelling, &lineResults) == FEMTOFIT_CANCELLED, "cancel from progress");
    CHECK(contains(femtofit_last_error(), "cancel"), "cancel message");
    CHECK(!isnan(lp[0]) && isnan(lp[2 * (LFITS - 1)]), "a cancelled fit writes only the chunks done");
    for (int k = 0; k < LFITS * 2; k++) lp[k] = NAN;
    cancelling.progress = cancel_through_context;
    cancelling.progress_user_data = cpu;
    CHECK(femtofit_fit(cpu, &lines, &cancelling, &lineResults) == FEMTOFIT_CANCELLED, "femtofit_cancel");
    CHECK(!isnan(lp[0]) && isnan(lp[2 * (LFITS - 1)]), "femtofit_cancel stops after the chunk in progress");
    CHECK(femtofit_fit(cpu, &lines, NULL, &lineResults) == FEMTOFIT_OK && !isnan(lp[2 * (LFITS - 1)]),
          "a cancel request ends with the fit it stopped; the next fit runs whole");

    /* Invalid arguments: ERROR and a message naming the problem, never a crash. */
    CHECK(femtofit_fit(NULL, &batch, NULL, &results) == FEMTOFIT_ERROR && contains(femtofit_last_error(), "context"), "NULL context");
    CHECK(femtofit_fit(cpu, NULL, NULL, &results) == FEMTOFIT_ERROR && contains(femtofit_last_error(), "batch"), "NULL batch");
    CHECK(femtofit_fit(cpu, &batch, NULL, NULL) == FEMTOFIT_ERROR, "NULL results");
    femtofit_batch bad = batch;
    bad.n_fits = 0;
    CHECK(femtofit_fit(cpu, &bad, NULL, &results) == FEMTOFIT_ERROR && contains(femtofit_last_error(), "n_fits"), "zero fits");
    bad = batch;
    bad.n_points = 0;
    CHECK(femtofit_fit(cpu, &bad, NULL, &results) == FEMTOFIT_ERROR && contains(femtofit_last_error(), "n_points"), "zero points");
    bad = batch;
    bad.data = NULL;
    CHECK(femtofit_fit(cpu, &bad, NULL, &results) == FEMTOFIT_ERROR && contains(femtofit_last_error(), "data"), "NULL data");
    bad = batch;
    bad.model = 12345;
    CHECK(femtofit_fit(cpu, &bad, NULL, &results) == FEMTOFIT_ERROR && contains(femtofit_last_error(), "12345"), "unknown model");
    bad = batch;
    bad.roi_width = 6;
    CHECK(femtofit_fit(cpu, &bad, NULL, &results) == FEMTOFIT_ERROR && contains(femtofit_last_error(), "ROI"), "wrong ROI");
    bad = batch;
    bad.value_type = 9;
    CHECK(femtofit_fit(cpu, &bad, NULL, &results) == FEMTOFIT_ERROR && contains(femtofit_last_error(), "value_type"), "value type");
    bad = batch;
    bad.n_fits = (size_t)-1;
    CHECK(femtofit_fit(cpu, &bad, NULL, &results) == FEMTOFIT_ERROR && contains(femtofit_last_error(), "18446744073709551615")
          && contains(femtofit_last_error(), "n_fits"), "SIZE_MAX n_fits is named as such: %s", femtofit_last_error());
    bad = batch;
    bad.n_points = (size_t)1 << 62;
    CHECK(femtofit_fit(cpu, &bad, NULL, &results) == FEMTOFIT_ERROR && contains(femtofit_last_error(), "more than any array"),
          "n_fits x n_points overflowing: %s", femtofit_last_error());
    femtofit_settings badSettings;
    femtofit_settings_init(&badSettings);
    badSettings.estimator = 4;
    CHECK(femtofit_fit(cpu, &batch, &badSettings, &results) == FEMTOFIT_ERROR && contains(femtofit_last_error(), "estimator"), "estimator");
    femtofit_settings_init(&badSettings);
    badSettings.tolerance = -1;
    CHECK(femtofit_fit(cpu, &batch, &badSettings, &results) == FEMTOFIT_ERROR && contains(femtofit_last_error(), "tolerance"), "tolerance");
    femtofit_settings_init(&badSettings);
    badSettings.max_iterations = 0;
    CHECK(femtofit_fit(cpu, &batch, &badSettings, &results) == FEMTOFIT_ERROR && contains(femtofit_last_error(), "iterations"), "iterations");
    femtofit_settings_init(NULL);
    CHECK(femtofit_context_destroy(cpu) == FEMTOFIT_OK, "destroy");

    /* A destroyed handle: every call says so; none crashes or reads freed memory (ASan checks the
       last in scripts/hardening). A new context never gets the old handle back. */
    CHECK(femtofit_context_destroy(cpu) == FEMTOFIT_ERROR && contains(femtofit_last_error(), "not live"),
          "a second destroy is an error: %s", femtofit_last_error());
    CHECK(femtofit_fit(cpu, &batch, NULL, &results) == FEMTOFIT_ERROR && contains(femtofit_last_error(), "destroyed"),
          "a fit on a destroyed context: %s", femtofit_last_error());
    CHECK(femtofit_cancel(cpu) == FEMTOFIT_ERROR && contains(femtofit_last_error(), "femtofit_cancel"), "cancel after destroy");
    CHECK(femtofit_context_description(cpu) == NULL, "description after destroy");
    CHECK(femtofit_cancel(NULL) == FEMTOFIT_ERROR && femtofit_context_destroy(NULL) == FEMTOFIT_OK, "NULL cancel and destroy");
    CHECK(femtofit_fit((femtofit_context *)&batch, &batch, NULL, &results) == FEMTOFIT_ERROR, "a pointer that is no context");
    femtofit_context *again = femtofit_context_create(FEMTOFIT_BACKEND_CPU, FEMTOFIT_PRECISION_SINGLE, NULL, 1);
    CHECK(again != NULL && again != cpu, "a new context has a new handle");
    CHECK(femtofit_fit(cpu, &lines, NULL, &lineResults) == FEMTOFIT_ERROR, "the old handle stays dead after a new create");
    CHECK(femtofit_fit(again, &lines, NULL, &lineResults) == FEMTOFIT_OK, "the new context fits");
    CHECK(femtofit_context_destroy(again) == FEMTOFIT_OK, "destroy the new context");
}

static void check_gpufit_api(const char *outdir) {
    CHECK(gpufit_cuda_available() == 1, "gpufit_cuda_available must be 1 wherever femtofit can fit");
    int runtime = -1, driver = -1;
    CHECK(gpufit_get_cuda_version(&runtime, &driver) == OK && runtime > 0 && driver >= runtime, "cuda version %d %d", runtime, driver);
    CHECK(gpufit_get_cuda_version(NULL, &driver) == ERROR, "NULL version pointer");

    /* GAUSS_2D on 9x9 square ROIs, Poisson data, MLE, as Gpufit's examples do. */
    enum { FITS = 400, SIZE = 9, N = SIZE * SIZE, P = 5 };
    static float data[FITS * N], start[FITS * P], truth[FITS * P], parameters[FITS * P], chi[FITS];
    static int states[FITS], iterations[FITS];
    int fit_all[P] = {1, 1, 1, 1, 1};
    for (int i = 0; i < FITS; i++) {
        float p[P] = {(float)(500 + 500 * uniform()), (float)(4 + uniform() - 0.5), (float)(4 + uniform() - 0.5),
                      (float)(1.5 + 0.5 * uniform()), (float)(10 + 20 * uniform())};
        for (int j = 0; j < P; j++) { truth[i * P + j] = p[j]; start[i * P + j] = p[j] * (float)(1 + 0.15 * (uniform() - 0.5)); }
        for (int k = 0; k < N; k++) {
            double x = k % SIZE, y = k / SIZE;
            double f = p[0] * exp(-((x - p[1]) * (x - p[1]) + (y - p[2]) * (y - p[2])) / (2 * p[3] * p[3])) + p[4];
            double z = f + sqrt(f) * gaussian();
            data[i * N + k] = (float)(z < 0 ? 0 : floor(z + 0.5));
        }
    }
    for (int k = 0; k < FITS * P; k++) parameters[k] = NAN;
    CHECK(gpufit(FITS, N, data, NULL, GAUSS_2D, start, 1e-4f, 20, fit_all, MLE, 0, NULL, parameters, states, chi,
                 iterations) == OK, "gpufit GAUSS_2D MLE");
    int converged = 0;
    for (int i = 0; i < FITS; i++) {
        if (states[i] == CONVERGED) converged++;
        CHECK(states[i] >= CONVERGED && states[i] <= NEG_CURVATURE_MLE, "state %d", states[i]);
        CHECK(states[i] != CONVERGED || fabsf(parameters[i * P + 1] - truth[i * P + 1]) < 0.5f, "fit %d x0", i);
    }
    CHECK(converged > FITS * 9 / 10, "only %d converged", converged);
    write_file(outdir, "gauss2d_data.f32", data, sizeof data);
    write_file(outdir, "gauss2d_start.f32", start, sizeof start);
    write_file(outdir, "gauss2d_parameters.f32", parameters, sizeof parameters);
    write_file(outdir, "gauss2d_states.i32", states, sizeof states);
    write_file(outdir, "gauss2d_chi.f32", chi, sizeof chi);
    write_file(outdir, "gauss2d_iterations.i32", iterations, sizeof iterations);

    /* Constraints: sigma held in [1.6, 1.7], the offset fixed, zero weights masking a pixel. */
    static float constraints[FITS * 2 * P], weights[FITS * N], constrained[FITS * P];
    int types[P] = {NONE, NONE, NONE, LOWER_UPPER, NONE};
    int fit_mask[P] = {1, 1, 1, 1, 0};
    for (int i = 0; i < FITS; i++) {
        constraints[i * 2 * P + 2 * 3] = 1.6f;
        constraints[i * 2 * P + 2 * 3 + 1] = 1.7f;
    }
    for (int k = 0; k < FITS * N; k++) weights[k] = 1;
    float saved = data[40];
    data[40] = NAN;  /* masked by its zero weight */
    weights[40] = 0;
    CHECK(gpufit_constrained(FITS, N, data, weights, GAUSS_2D, start, constraints, types, 1e-4f, 20, fit_mask, LSE, 0,
                             NULL, constrained, states, chi, iterations) == OK, "gpufit_constrained");
    data[40] = saved;
    CHECK(states[0] != SINGULAR_HESSIAN && !isnan(constrained[0]), "a zero weight masks the NaN pixel: state %d", states[0]);
    for (int i = 0; i < FITS; i++) {
        CHECK(constrained[i * P + 3] >= 1.6f && constrained[i * P + 3] <= 1.7f, "fit %d sigma %g outside its constraint", i, constrained[i * P + 3]);
        CHECK(constrained[i * P + 4] == start[i * P + 4], "fit %d offset not held", i);
    }

    /* The portable interfaces: the same call as an argv of pointers. */
    size_t n_fits = FITS, n_points = N, user_info_size = 0;
    int model = GAUSS_2D, max_iterations = 20, estimator = MLE;
    float tolerance = 1e-4f;
    static float portable[FITS * P];
    void *argv[16] = {&n_fits, &n_points, data, NULL, &model, start, &tolerance, &max_iterations, fit_all,
                      &estimator, &user_info_size, NULL, portable, states, chi, iterations};
    CHECK(gpufit_portable_interface(16, argv) == OK, "portable interface");
    CHECK(memcmp(portable, parameters, sizeof portable) == 0, "the portable interface fits as gpufit does");
    int none[P] = {NONE, NONE, NONE, NONE, NONE};
    void *argv18[18] = {&n_fits, &n_points, data, NULL, &model, start, NULL, none, &tolerance, &max_iterations,
                        fit_all, &estimator, &user_info_size, NULL, portable, states, chi, iterations};
    CHECK(gpufit_constrained_portable_interface(18, argv18) == OK, "constrained portable interface");
    CHECK(memcmp(portable, parameters, sizeof portable) == 0, "the constrained portable interface fits as gpufit does");
    CHECK(gpufit_portable_interface(3, argv) == ERROR, "too few portable arguments");
    argv[0] = NULL;
    CHECK(gpufit_portable_interface(16, argv) == ERROR, "NULL scalar pointer");

    /* LINEAR_1D with x values in user_info, shared and per fit. */
    enum { LF = 50, LP = 6 };
    static float line[LF * LP], x[LP], xPerFit[LF * LP], lstart[LF * 2], lout[LF * 2], lchi[LF];
    static int lstates[LF], liter[LF];
    int both[2] = {1, 1};
    for (int k = 0; k < LP; k++) x[k] = (float)(k * k) * 0.5f;
    for (int i = 0; i < LF; i++) {
        lstart[2 * i] = 0;
        lstart[2 * i + 1] = 1;
        for (int k = 0; k < LP; k++) {
            xPerFit[i * LP + k] = x[k] + (float)i;
            line[i * LP + k] = 1.5f + 0.75f * x[k];
        }
    }
    CHECK(gpufit(LF, LP, line, NULL, LINEAR_1D, lstart, 1e-6f, 20, both, LSE, sizeof x, (char *)x, lout, lstates, lchi,
                 liter) == OK, "LINEAR_1D shared x");
    CHECK(fabsf(lout[0] - 1.5f) < 1e-3f && fabsf(lout[1] - 0.75f) < 1e-3f, "line %g %g", lout[0], lout[1]);
    CHECK(gpufit(LF, LP, line, NULL, LINEAR_1D, lstart, 1e-6f, 20, both, LSE, sizeof xPerFit, (char *)xPerFit, lout,
                 lstates, lchi, liter) == OK, "LINEAR_1D per-fit x");
    /* fit 10's x is shifted by 10: the same line has offset 1.5 - 7.5 there. */
    CHECK(fabsf(lout[20] - (1.5f - 7.5f)) < 1e-2f && fabsf(lout[21] - 0.75f) < 1e-3f, "per-fit line %g %g", lout[20], lout[21]);
    CHECK(gpufit(LF, LP, line, NULL, LINEAR_1D, lstart, 1e-6f, 20, both, LSE, 12, (char *)x, lout, lstates, lchi,
                 liter) == ERROR && strcmp(gpufit_get_last_error(), "invalid argument") == 0 && contains(femtofit_last_error(), "user_info"), "user_info of the wrong size");

    /* The CUDA interfaces exist (pygpufit looks them up at load) and refuse, saying why. */
    CHECK(gpufit_cuda_interface(FITS, N, data, NULL, GAUSS_2D, 1e-4f, 20, fit_all, LSE, 0, NULL, parameters, states,
                                chi, iterations) == ERROR && contains(gpufit_get_last_error(), "CUDA"), "CUDA interface");
    CHECK(gpufit_constrained_cuda_interface(FITS, N, data, NULL, GAUSS_2D, 1e-4f, 20, fit_all, constraints, types, LSE, 0,
                                            NULL, parameters, states, chi, iterations) == ERROR
          && contains(gpufit_get_last_error(), "host arrays"), "constrained CUDA interface");

    /* Invalid arguments. */
    CHECK(gpufit(FITS, N, data, NULL, SPLINE_4D, start, 1e-4f, 20, fit_all, LSE, 0, NULL, parameters, states, chi,
                 iterations) == ERROR && contains(gpufit_get_last_error(), "model not supported")
          && contains(femtofit_last_error(), "not served by femtofit"), "unsupported model");
    CHECK(gpufit(FITS, N, data, NULL, 77, start, 1e-4f, 20, fit_all, LSE, 0, NULL, parameters, states, chi,
                 iterations) == ERROR && strcmp(gpufit_get_last_error(), "unknown model ID") == 0
          && contains(femtofit_last_error(), "77"), "unknown model");
    CHECK(gpufit(FITS, N, NULL, NULL, GAUSS_2D, start, 1e-4f, 20, fit_all, LSE, 0, NULL, parameters, states, chi,
                 iterations) == ERROR && strcmp(gpufit_get_last_error(), "invalid argument") == 0
          && contains(femtofit_last_error(), "data"), "NULL data");
    CHECK(gpufit(FITS, N, data, NULL, GAUSS_2D, NULL, 1e-4f, 20, fit_all, LSE, 0, NULL, parameters, states, chi,
                 iterations) == ERROR && strcmp(gpufit_get_last_error(), "invalid argument") == 0
          && contains(femtofit_last_error(), "initial_parameters"), "NULL start");
    CHECK(gpufit(FITS, N, data, NULL, GAUSS_2D, start, 1e-4f, 20, NULL, LSE, 0, NULL, parameters, states, chi,
                 iterations) == ERROR && strcmp(gpufit_get_last_error(), "invalid argument") == 0
          && contains(femtofit_last_error(), "parameters_to_fit"), "NULL mask");
    CHECK(gpufit(FITS, N, data, NULL, GAUSS_2D, start, 1e-4f, 20, fit_all, LSE, 0, NULL, NULL, states, chi,
                 iterations) == ERROR && strcmp(gpufit_get_last_error(), "invalid argument") == 0
          && contains(femtofit_last_error(), "output"), "NULL output");
    /* Gpufit accepts no fits (nothing to do) and a tolerance of 0 (every fit runs to the limit). */
    CHECK(gpufit(0, N, data, NULL, GAUSS_2D, start, 1e-4f, 20, fit_all, LSE, 0, NULL, parameters, states, chi,
                 iterations) == OK, "zero fits");
    CHECK(gpufit(FITS, 0, data, NULL, GAUSS_2D, start, 1e-4f, 20, fit_all, LSE, 0, NULL, parameters, states, chi,
                 iterations) == ERROR && strcmp(gpufit_get_last_error(), "invalid argument") == 0
          && contains(femtofit_last_error(), "n_points"), "zero points");
    CHECK(gpufit(FITS, 80, data, NULL, GAUSS_2D, start, 1e-4f, 20, fit_all, LSE, 0, NULL, parameters, states, chi,
                 iterations) == ERROR && strcmp(gpufit_get_last_error(), "invalid argument") == 0
          && contains(femtofit_last_error(), "square"), "non-square ROI");
    CHECK(gpufit(FITS, N, data, NULL, GAUSS_2D, start, 1e-4f, 20, fit_all, 5, 0, NULL, parameters, states, chi,
                 iterations) == ERROR && strcmp(gpufit_get_last_error(), "invalid argument") == 0
          && contains(femtofit_last_error(), "estimator"), "unknown estimator");
    CHECK(gpufit(FITS, N, data, NULL, GAUSS_2D, start, 0, 5, fit_all, LSE, 0, NULL, parameters, states, chi,
                 iterations) == OK && iterations[0] == 5, "zero tolerance runs to the limit (%d)", iterations[0]);
    CHECK(gpufit_constrained(FITS, N, data, NULL, GAUSS_2D, start, NULL, types, 1e-4f, 20, fit_all, LSE, 0, NULL,
                             parameters, states, chi, iterations) == ERROR && contains(femtofit_last_error(), "constraints"),
          "NULL constraints with bounds asked for");
    int badTypes[P] = {0, 0, 9, 0, 0};
    CHECK(gpufit_constrained(FITS, N, data, NULL, GAUSS_2D, start, constraints, badTypes, 1e-4f, 20, fit_all, LSE, 0,
                             NULL, parameters, states, chi, iterations) == ERROR, "unknown constraint type");

    /* The last error is per thread. */
    CHECK(gpufit(FITS, 80, data, NULL, GAUSS_2D, start, 1e-4f, 20, fit_all, LSE, 0, NULL, parameters, states, chi,
                 iterations) == ERROR, "non-square again");
    pthread_t thread;
    void *other = NULL;
    CHECK(pthread_create(&thread, NULL, fail_on_other_thread, NULL) == 0, "thread");
    pthread_join(thread, &other);
    CHECK(other != NULL && strcmp((const char *)other, "unknown model ID") == 0, "the other thread's error: %s", (const char *)other);
    CHECK(contains(femtofit_last_error(), "square") && strcmp(gpufit_get_last_error(), "invalid argument") == 0,
          "this thread's error stays its own: %s", femtofit_last_error());
}

/* femtofit_fit_spline: a 1D template (Catmull-Rom through 31 samples of two Gaussians), noise-free
   curves at known shifts fitted back from 0.4 away; the refusals of femtofit_fit for a spline
   model, of a missing start, of a NULL or inconsistent spline. */
static void check_spline_api(void) {
    double samples[31], coefficients[30 * 4];
    for (int i = 0; i < 31; i++) samples[i] = exp(-pow(i - 16.5, 2) / 8) + 0.5 * exp(-pow(i - 13.5, 2) / 8);
    for (int i = 0; i < 30; i++) {
        double p0 = samples[i > 0 ? i - 1 : 0], p1 = samples[i], p2 = samples[i + 1], p3 = samples[i + 2 < 31 ? i + 2 : 30];
        coefficients[4 * i] = p1;
        coefficients[4 * i + 1] = 0.5 * (p2 - p0);
        coefficients[4 * i + 2] = p0 - 2.5 * p1 + 2 * p2 - 0.5 * p3;
        coefficients[4 * i + 3] = -0.5 * p0 + 1.5 * p1 - 1.5 * p2 + 0.5 * p3;
    }
    femtofit_spline spline = {1, {30, 0, 0}, 0, coefficients};
    enum { FITS = 5, N = 20 };
    double data[FITS * N], start[FITS * 3], truth[FITS * 3], parameters[FITS * 3], errors[FITS * 3], chi[FITS];
    int states[FITS], iterations[FITS];
    for (int f = 0; f < FITS; f++) {
        truth[3 * f] = 100 + 20 * f; truth[3 * f + 1] = -6 + 0.37 * f; truth[3 * f + 2] = 5;
        for (int k = 0; k < N; k++) {
            double position = k - truth[3 * f + 1];
            int i = (int)floor(position);
            i = i < 0 ? 0 : (i > 29 ? 29 : i);
            double u = position - i, *c = coefficients + 4 * i;
            data[f * N + k] = truth[3 * f] * (c[0] + u * (c[1] + u * (c[2] + u * c[3]))) + truth[3 * f + 2];
        }
        start[3 * f] = truth[3 * f] * 1.1; start[3 * f + 1] = truth[3 * f + 1] + 0.4; start[3 * f + 2] = 4;
    }
    femtofit_context *context = femtofit_context_create(FEMTOFIT_BACKEND_CPU, FEMTOFIT_PRECISION_DOUBLE, NULL, 0);
    femtofit_batch batch = {0};
    batch.model = FEMTOFIT_MODEL_SPLINE_1D;
    batch.n_fits = FITS;
    batch.n_points = N;
    batch.value_type = FEMTOFIT_FLOAT64;
    batch.data = data;
    batch.initial_parameters = start;
    femtofit_settings settings;
    femtofit_settings_init(&settings);
    settings.tolerance = 1e-12;
    settings.max_iterations = 100;
    femtofit_results results = {parameters, errors, states, chi, iterations};
    CHECK(femtofit_fit_spline(context, &batch, &spline, &settings, &results) == FEMTOFIT_OK, "spline fit");
    for (int f = 0; f < FITS; f++) {
        CHECK(states[f] == FEMTOFIT_STATE_CONVERGED, "spline fit %d converged", f);
        for (int j = 0; j < 3; j++)
            CHECK(fabs(parameters[3 * f + j] - truth[3 * f + j]) < 1e-6 * (1 + fabs(truth[3 * f + j])), "spline fit %d parameter %d: %g vs %g",
                  f, j, parameters[3 * f + j], truth[3 * f + j]);
    }
    CHECK(femtofit_fit(context, &batch, &settings, &results) == FEMTOFIT_ERROR && contains(femtofit_last_error(), "femtofit_fit_spline"),
          "femtofit_fit refuses a spline model");
    CHECK(femtofit_fit_spline(context, &batch, NULL, &settings, &results) == FEMTOFIT_ERROR && contains(femtofit_last_error(), "NULL"),
          "a NULL spline");
    femtofit_spline flat = {2, {30, 1, 0}, 0, coefficients};
    CHECK(femtofit_fit_spline(context, &batch, &flat, &settings, &results) == FEMTOFIT_ERROR && contains(femtofit_last_error(), "1D spline"),
          "a 2D spline for SPLINE_1D");
    batch.initial_parameters = NULL;
    CHECK(femtofit_fit_spline(context, &batch, &spline, &settings, &results) == FEMTOFIT_ERROR && contains(femtofit_last_error(), "start values"),
          "no start values");
    femtofit_context_destroy(context);
}


/* Models compiled at run time: the tilted Gaussian of issue 20 from its model file's text, fitted
   through femtofit_fit with its start expressions, the catalogue functions on it, release, and
   faults with their places. */
static void check_compiled_models(void) {
    const char *text =
        "name = \"c-tilted\"\n"
        "coordinates = [\"x\", \"y\"]\n"
        "parameters = [\"A\", \"x0\", \"y0\", \"s\", \"B\", \"gx\", \"gy\"]\n"
        "expression = \"A * exp(-((x - x0)^2 + (y - y0)^2) / (2 * s^2)) + B + gx * (x - x0) + gy * (y - y0)\"\n"
        "[start]\n"
        "A = \"amplitude\"\nx0 = \"centroid_x\"\ny0 = \"centroid_y\"\ns = \"rms_width\"\nB = \"baseline\"\ngx = \"0\"\ngy = \"0\"\n";
    int id = -1;
    CHECK(femtofit_model_compile(text, &id) == FEMTOFIT_OK, "compile: %s", femtofit_last_error());
    CHECK(id >= 10000, "compiled ids from 10000 (%d)", id);
    CHECK(strcmp(femtofit_model_name(id), "c-tilted") == 0 && femtofit_model_parameter_count(id) == 7
          && strcmp(femtofit_model_parameter_name(id, 6), "gy") == 0 && femtofit_model_dimensions(id) == 2
          && femtofit_model_id("c-tilted") == id, "the catalogue on a compiled model");
    CHECK(femtofit_model_ids(NULL, 0) == 20, "compiled models are not listed");
    enum { N = 40, W = 15 };
    static float rois[N * W * W];
    static double p[N * 7];
    static int states[N];
    for (int i = 0; i < N; i++) {
        double x0 = 6.5 + 0.05 * i, y0 = 7.2 - 0.03 * i;
        for (int r = 0; r < W; r++)
            for (int c = 0; c < W; c++) {
                double dx = c - x0, dy = r - y0;
                rois[(i * W + r) * W + c] = (float)(500 * exp(-(dx * dx + dy * dy) / (2 * 2.0 * 2.0)) + 20 + 1.5 * dx - 0.5 * dy);
            }
    }
    femtofit_batch batch;
    memset(&batch, 0, sizeof batch);
    batch.model = id;
    batch.n_fits = N;
    batch.n_points = W * W;
    batch.roi_width = W;
    batch.roi_height = W;
    batch.value_type = FEMTOFIT_FLOAT32;
    batch.data = rois;
    femtofit_results results = {p, NULL, states, NULL, NULL};
    femtofit_context *cpu = femtofit_context_create(FEMTOFIT_BACKEND_CPU, FEMTOFIT_PRECISION_DOUBLE, NULL, 0);
    femtofit_settings settings;
    femtofit_settings_init(&settings);
    settings.max_iterations = 100;
    settings.tolerance = 1e-9;
    CHECK(femtofit_fit(cpu, &batch, &settings, &results) == FEMTOFIT_OK, "fit a compiled model: %s", femtofit_last_error());
    for (int i = 0; i < N; i++) {
        CHECK(states[i] == FEMTOFIT_STATE_CONVERGED, "compiled fit %d: state %d", i, states[i]);
        CHECK(fabs(p[i * 7 + 1] - (6.5 + 0.05 * i)) < 1e-4 && fabs(p[i * 7 + 3] - 2) < 1e-4 && fabs(p[i * 7 + 5] - 1.5) < 1e-4
              && fabs(p[i * 7 + 6] + 0.5) < 1e-4, "compiled fit %d: x0 %g s %g gx %g gy %g", i, p[i * 7 + 1], p[i * 7 + 3], p[i * 7 + 5], p[i * 7 + 6]);
    }
    CHECK(femtofit_model_release(id) == FEMTOFIT_OK, "release");
    CHECK(femtofit_fit(cpu, &batch, &settings, &results) == FEMTOFIT_ERROR && contains(femtofit_last_error(), "released"),
          "a released id: %s", femtofit_last_error());
    CHECK(femtofit_model_release(id) == FEMTOFIT_ERROR && contains(femtofit_last_error(), "already"), "released twice");
    CHECK(femtofit_model_name(id) == NULL && femtofit_model_id("c-tilted") == -1, "a released model leaves the catalogue");
    CHECK(femtofit_model_release(FEMTOFIT_MODEL_GAUSS_2D) == FEMTOFIT_ERROR && contains(femtofit_last_error(), "built-in"), "built-ins stay");
    femtofit_context_destroy(cpu);

    /* Faults: where and what. */
    int other = -1;
    CHECK(femtofit_model_compile("name = \"m\"\ncoordinates = [\"t\"]\nparameters = [\"a\", \"b\"]\nexpression = \"a * exp(-t / b\"\n", &other)
          == FEMTOFIT_ERROR && contains(femtofit_last_error(), "column"), "a syntax error: %s", femtofit_last_error());
    CHECK(femtofit_model_compile("name = \"m\"\ncoordinates = [\"t\"]\nparameters = [\"a\"]\nexpression = \"a * t\"\ncolor = 1\n", &other)
          == FEMTOFIT_ERROR && contains(femtofit_last_error(), "line 5") && contains(femtofit_last_error(), "color"), "an unknown key: %s",
          femtofit_last_error());
    CHECK(femtofit_model_compile(NULL, &other) == FEMTOFIT_ERROR && femtofit_model_compile(text, NULL) == FEMTOFIT_ERROR, "NULL arguments");
    CHECK(other == -1, "a failed compile writes no id");
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: abi_test SEED OUTDIR\n");
        return 2;
    }
    rng_state = strtoull(argv[1], NULL, 10) | 1;
    check_femtofit_api(argv[2]);
    check_gpufit_api(argv[2]);
    check_spline_api();
    check_compiled_models();
    printf("abi_test: %d checks passed\n", checks);
    return 0;
}
