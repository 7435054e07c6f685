// A program written the way Gpufit's users and tests write them (C++, REAL, std::size_t,
// std::array, the enum names), compiled against femtofit's gpufit.h alone and linked to
// libfemtofit_c.so. It checks that the header declares Gpufit's published API (a0bd66c's
// constants.h and gpufit.h: every name, value and signature) and that the entry points behave as
// Gpufit does on the calls Gpufit accepts: tolerance 0, max_n_iterations 0, every parameter held,
// no fits, Gpufit's error texts, and versions its programs accept. Prints "checks passed".
#include "gpufit.h"

#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

// femtofit's detail behind gpufit_get_last_error(); declared here so that the program includes
// gpufit.h and nothing else of femtofit's.
extern "C" const char *femtofit_last_error(void);

// Every name and value of Gpufit's constants.h.
static_assert(GAUSS_1D == 0 && GAUSS_2D == 1 && GAUSS_2D_ELLIPTIC == 2 && GAUSS_2D_ROTATED == 3, "model ids");
static_assert(CAUCHY_2D_ELLIPTIC == 4 && LINEAR_1D == 5 && FLETCHER_POWELL_HELIX == 6 && BROWN_DENNIS == 7, "model ids");
static_assert(SPLINE_1D == 8 && SPLINE_2D == 9 && SPLINE_3D == 10 && SPLINE_3D_MULTICHANNEL == 11, "model ids");
static_assert(SPLINE_3D_PHASE_MULTICHANNEL == 12 && SPLINE_4D == 13 && SPLINE_5D == 14, "model ids");
static_assert(LSE == 0 && MLE == 1, "estimator ids");
static_assert(CONVERGED == 0 && MAX_ITERATION == 1 && SINGULAR_HESSIAN == 2 && NEG_CURVATURE_MLE == 3 && GPU_NOT_READY == 4,
              "fit states");
static_assert(OK == 0 && ERROR == -1, "return states");
static_assert(HOST == 0 && DEVICE == 1, "data locations");
static_assert(LOWER_BOUND == 0 && UPPER_BOUND == 1, "bounds");
static_assert(NONE == 0 && LOWER == 1 && UPPER == 2 && LOWER_UPPER == 3, "constraint types");
static_assert(sizeof(REAL) == sizeof(float), "REAL is float");

// Every function with Gpufit's exact signature: a pointer of each type must take it.
typedef int (*GpufitFunction)(std::size_t, std::size_t, REAL *, REAL *, int, REAL *, REAL, int, int *, int, std::size_t,
                              char *, REAL *, int *, REAL *, int *);
typedef int (*GpufitConstrainedFunction)(std::size_t, std::size_t, REAL *, REAL *, int, REAL *, REAL *, int *, REAL, int,
                                         int *, int, std::size_t, char *, REAL *, int *, REAL *, int *);
typedef int (*CudaInterfaceFunction)(std::size_t, std::size_t, REAL *, REAL *, int, REAL, int, int *, int, std::size_t,
                                     char *, REAL *, int *, REAL *, int *);
typedef int (*ConstrainedCudaInterfaceFunction)(std::size_t, std::size_t, REAL *, REAL *, int, REAL, int, int *, REAL *,
                                                int *, int, std::size_t, char *, REAL *, int *, REAL *, int *);
static GpufitFunction const gpufit_entry = gpufit;
static GpufitConstrainedFunction const constrained_entry = gpufit_constrained;
static CudaInterfaceFunction const cuda_entry = gpufit_cuda_interface;
static ConstrainedCudaInterfaceFunction const constrained_cuda_entry = gpufit_constrained_cuda_interface;
static char const *(*const last_error_entry)() = gpufit_get_last_error;
static int (*const cuda_available_entry)() = gpufit_cuda_available;
static int (*const cuda_version_entry)(int *, int *) = gpufit_get_cuda_version;
static int (*const portable_entry)(int, void **) = gpufit_portable_interface;
static int (*const constrained_portable_entry)(int, void **) = gpufit_constrained_portable_interface;

static int failures = 0;

#define CHECK(condition, message)                                                                   \
    do {                                                                                            \
        if (!(condition)) {                                                                         \
            std::fprintf(stderr, "line %d: %s (%s)\n", __LINE__, message, #condition);             \
            ++failures;                                                                             \
        }                                                                                           \
    } while (0)

// size x size ROIs of a Gaussian on a background (GAUSS_2D's order: amplitude, x0, y0, sigma,
// offset), with a little deterministic noise.
struct Batch {
    std::size_t n_fits, size, n_points;
    std::vector<REAL> data, start;
    Batch(std::size_t fits, std::size_t side) : n_fits(fits), size(side), n_points(side * side) {
        data.resize(n_fits * n_points);
        start.resize(n_fits * 5);
        unsigned state = 12345u;
        for (std::size_t i = 0; i < n_fits; ++i) {
            REAL const amplitude = 400 + 20 * REAL(i % 7), x0 = REAL(side) / 2 + 0.1f * REAL(i % 5), sigma = 1.6f, offset = 20;
            for (std::size_t k = 0; k < n_points; ++k) {
                REAL const x = REAL(k % side), y = REAL(k / side);
                state = state * 1664525u + 1013904223u;
                REAL const noise = (REAL(state >> 8) / REAL(1 << 24) - 0.5f) * 4;
                data[i * n_points + k] = amplitude * std::exp(-((x - x0) * (x - x0) + (y - x0) * (y - x0)) / (2 * sigma * sigma))
                                         + offset + noise;
            }
            REAL const s[5] = {amplitude * 0.9f, x0 + 0.3f, x0 - 0.2f, sigma * 1.1f, offset + 2};
            for (int j = 0; j < 5; ++j) start[i * 5 + j] = s[j];
        }
    }
};

struct Outputs {
    std::vector<REAL> parameters, chi_squares;
    std::vector<int> states, iterations;
    explicit Outputs(std::size_t n_fits, int n_parameters)
        : parameters(n_fits * n_parameters, NAN), chi_squares(n_fits, NAN), states(n_fits, -7), iterations(n_fits, -7) {}
};

static int fit(Batch &batch, Outputs &out, REAL tolerance, int max_n_iterations, int *to_fit, int estimator) {
    return gpufit_entry(batch.n_fits, batch.n_points, batch.data.data(), NULL, GAUSS_2D, batch.start.data(), tolerance,
                        max_n_iterations, to_fit, estimator, 0, NULL, out.parameters.data(), out.states.data(),
                        out.chi_squares.data(), out.iterations.data());
}

// Gpufit's Error_Handling case: a NULL initial_parameters reads "invalid argument"; femtofit's
// detail names the argument.
static void check_error_texts() {
    std::array<REAL, 2> data{{0, 1}}, weights{{1, 1}}, parameters;
    std::array<int, 2> to_fit{{0, 0}}, user_info{{0, 1}};
    int state = -7, n_iterations = -7;
    REAL chi_square = NAN;
    int const status = gpufit_entry(1, 2, data.data(), weights.data(), LINEAR_1D, NULL, 0.001f, 10, to_fit.data(), LSE,
                                    2 * sizeof(int), reinterpret_cast<char *>(user_info.data()), parameters.data(),
                                    &state, &chi_square, &n_iterations);
    CHECK(status == ERROR, "NULL initial_parameters fails");
    CHECK(std::string(last_error_entry()) == "invalid argument", "Gpufit's text for a NULL array");
    CHECK(std::strstr(femtofit_last_error(), "initial_parameters") != NULL, "femtofit's detail names the argument");

    std::array<REAL, 4> start{{1, 1, 1, 1}};
    CHECK(gpufit_entry(1, 2, data.data(), NULL, 99, start.data(), 0.001f, 10, to_fit.data(), LSE, 0, NULL,
                       parameters.data(), &state, &chi_square, &n_iterations) == ERROR, "model 99 fails");
    CHECK(std::string(last_error_entry()) == "unknown model ID", "Gpufit's text for an unknown model");
    CHECK(std::strstr(femtofit_last_error(), "99") != NULL, "femtofit's detail names the id");

    void *too_few[3] = {NULL, NULL, NULL};
    CHECK(portable_entry(3, too_few) == ERROR && std::string(last_error_entry()) == "invalid argument",
          "the portable interface with too few arguments");
    CHECK(constrained_portable_entry(3, too_few) == ERROR && std::string(last_error_entry()) == "invalid argument",
          "the constrained portable interface with too few arguments");
    CHECK(cuda_entry(1, 2, data.data(), NULL, LINEAR_1D, 0.001f, 10, to_fit.data(), LSE, 0, NULL, parameters.data(),
                     &state, &chi_square, &n_iterations) == ERROR, "no CUDA interface");
    CHECK(constrained_cuda_entry(1, 2, data.data(), NULL, LINEAR_1D, 0.001f, 10, to_fit.data(), NULL, NULL, LSE, 0, NULL,
                                 parameters.data(), &state, &chi_square, &n_iterations) == ERROR,
          "no constrained CUDA interface");
}

// Gpufit's performance example fits only when cuda_available and 0 < runtime <= driver.
static void check_versions() {
    int runtime = -1, driver = -1;
    CHECK(cuda_available_entry() == 1, "femtofit can fit");
    CHECK(cuda_version_entry(&runtime, &driver) == OK, "versions");
    CHECK(runtime > 0 && driver >= runtime, "versions a Gpufit program accepts");
    CHECK(cuda_version_entry(NULL, &driver) == ERROR && std::string(last_error_entry()) == "invalid argument",
          "a NULL version pointer");
}

// tolerance 0 runs every fit to the limit; max_n_iterations 0 sets no limit.
static void check_limits() {
    Batch batch(40, 11);
    int to_fit[5] = {1, 1, 1, 1, 1};
    Outputs limited(batch.n_fits, 5);
    CHECK(fit(batch, limited, 0, 7, to_fit, LSE) == OK, "tolerance 0 is accepted");
    for (std::size_t i = 0; i < batch.n_fits; ++i) {
        CHECK(limited.states[i] == MAX_ITERATION && limited.iterations[i] == 7, "tolerance 0 runs to the limit");
    }
    Outputs unlimited(batch.n_fits, 5);
    CHECK(fit(batch, unlimited, 1e-4f, 0, to_fit, LSE) == OK, "max_n_iterations 0 is accepted");
    for (std::size_t i = 0; i < batch.n_fits; ++i) {
        CHECK(unlimited.states[i] == CONVERGED && unlimited.iterations[i] >= 1 && unlimited.iterations[i] < 1000,
              "max_n_iterations 0 fits until convergence");
        CHECK(std::fabs(unlimited.parameters[i * 5 + 3] - 1.6f) < 0.1f, "and finds the width");
    }
    Outputs none(1, 5);
    Batch empty(0, 11);
    CHECK(fit(empty, none, 1e-4f, 20, to_fit, LSE) == OK, "no fits is OK");
    CHECK(none.states[0] == -7, "and writes nothing");
}

// Every parameter held: the start values (moved into the box), their chi-square, CONVERGED and 0
// iterations; under MLE a negative model value gives NEG_CURVATURE_MLE.
static void check_all_parameters_held() {
    Batch batch(6, 9);
    int held[5] = {0, 0, 0, 0, 0};
    std::vector<REAL> weights(batch.n_fits * batch.n_points);
    for (std::size_t k = 0; k < weights.size(); ++k) weights[k] = 0.5f + REAL(k % 3);
    std::vector<REAL> constraints(batch.n_fits * 5 * 2, 0);
    int types[5] = {NONE, NONE, NONE, LOWER_UPPER, NONE};
    for (std::size_t i = 0; i < batch.n_fits; ++i) {
        constraints[(i * 5 + 3) * 2 + LOWER_BOUND] = 1.0f;
        constraints[(i * 5 + 3) * 2 + UPPER_BOUND] = 1.5f;  // below the start's 1.76: the width moves to 1.5
    }
    Outputs out(batch.n_fits, 5);
    int const status = constrained_entry(batch.n_fits, batch.n_points, batch.data.data(), weights.data(), GAUSS_2D,
                                         batch.start.data(), constraints.data(), types, 1e-4f, 20, held, LSE, 0, NULL,
                                         out.parameters.data(), out.states.data(), out.chi_squares.data(),
                                         out.iterations.data());
    CHECK(status == OK, "every parameter held is accepted");
    for (std::size_t i = 0; i < batch.n_fits; ++i) {
        REAL const *p = &out.parameters[i * 5];
        CHECK(out.states[i] == CONVERGED && out.iterations[i] == 0, "held: CONVERGED after 0 iterations");
        CHECK(p[0] == batch.start[i * 5] && p[1] == batch.start[i * 5 + 1] && p[4] == batch.start[i * 5 + 4],
              "held: the start values");
        CHECK(p[3] == 1.5f, "held: the width moved into its box");
        double chi = 0;
        for (std::size_t k = 0; k < batch.n_points; ++k) {
            double const x = double(k % batch.size), y = double(k / batch.size);
            double const f = double(p[0]) * std::exp(-((x - p[1]) * (x - p[1]) + (y - p[2]) * (y - p[2])) / (2.0 * p[3] * p[3])) + p[4];
            double const r = f - batch.data[i * batch.n_points + k];
            chi += r * r * weights[i * batch.n_points + k];
        }
        CHECK(std::fabs(out.chi_squares[i] - chi) <= 1e-4 * chi, "held: Gpufit's weighted chi-square at the start");
    }
    // MLE with a background far below zero: the model is negative away from the peak.
    for (std::size_t i = 0; i < batch.n_fits; ++i) batch.start[i * 5 + 4] = -50;
    Outputs mle(batch.n_fits, 5);
    CHECK(fit(batch, mle, 1e-4f, 20, held, MLE) == OK, "held under MLE");
    for (std::size_t i = 0; i < batch.n_fits; ++i) {
        CHECK(mle.states[i] == NEG_CURVATURE_MLE && mle.iterations[i] == 0, "held, MLE, negative model: state 3");
    }
}

// Gpufit's test functions fitted to zeros from far away, as Gpufit's own suites fit them: the
// helix from (-1, 0, 0) to its valley floor (1, 0, 0); Brown and Dennis's function from
// (25, 5, -5, 1) to (-7.3027, 10.8005, -0.33428, 0.13945) on Gpufit's points t = 0, 0.2, ..., 3.8.
static void check_test_functions() {
    std::array<REAL, 3> helix_data{{0, 0, 0}}, helix_start{{-1, 0, 0}}, helix_out;
    int all3[3] = {1, 1, 1};
    int state = -7, n_iterations = -7;
    REAL chi_square = NAN;
    CHECK(gpufit_entry(1, 3, helix_data.data(), NULL, FLETCHER_POWELL_HELIX, helix_start.data(), 1e-8f, 50, all3, LSE, 0,
                       NULL, helix_out.data(), &state, &chi_square, &n_iterations) == OK, "helix");
    CHECK(state == CONVERGED && n_iterations <= 9, "helix: converged within Gpufit's 9 iterations");
    CHECK(std::fabs(helix_out[0] - 1) < 1e-4f && std::fabs(helix_out[1]) < 1e-4f && std::fabs(helix_out[2]) < 1e-4f,
          "helix: the valley floor (1, 0, 0)");
    CHECK(chi_square < 1e-8f, "helix: chi-square near zero");

    std::array<REAL, 20> brown_data;
    brown_data.fill(0);
    std::array<REAL, 4> brown_start{{25, 5, -5, 1}}, brown_out;
    int all4[4] = {1, 1, 1, 1};
    CHECK(gpufit_entry(1, 20, brown_data.data(), NULL, BROWN_DENNIS, brown_start.data(), 1e-8f, 1000, all4, LSE, 0, NULL,
                       brown_out.data(), &state, &chi_square, &n_iterations) == OK, "Brown-Dennis");
    REAL const minimum[4] = {-7.3027296f, 10.800486f, -0.33427560f, 0.13945465f};
    CHECK(state == CONVERGED, "Brown-Dennis converged");
    for (int j = 0; j < 4; ++j) CHECK(std::fabs(brown_out[j] - minimum[j]) < 1e-2f, "Brown-Dennis: Gpufit's minimum");
}

// Catmull-Rom coefficients of samples on an n[0] x n[1] x n[2] grid (x slowest), in Gpufit's
// layout for a spline of `dims` dimensions (the unused axes have n = 1 and order 0 only).
static std::vector<REAL> catmull_rom(std::vector<double> const &samples, int dims, int const n[3]) {
    double const basis[4][4] = {{0, 1, 0, 0}, {-0.5, 0, 0.5, 0}, {1, -2.5, 2, -0.5}, {-0.5, 1.5, -1.5, 0.5}};
    int intervals[3], orders[3];
    for (int a = 0; a < 3; ++a) {
        intervals[a] = a < dims ? n[a] - 1 : 1;
        orders[a] = a < dims ? 4 : 1;
    }
    auto sample = [&](int i, int j, int k) {
        i = i < 0 ? 0 : (i >= n[0] ? n[0] - 1 : i);
        j = j < 0 ? 0 : (j >= n[1] ? n[1] - 1 : j);
        k = k < 0 ? 0 : (k >= n[2] ? n[2] - 1 : k);
        return samples[(static_cast<std::size_t>(i) * n[1] + j) * n[2] + k];
    };
    auto weight = [&](int axis, int order, int r) { return axis < dims ? basis[order][r] : (r == 1 ? 1.0 : 0.0); };
    std::vector<REAL> c;
    for (int i = 0; i < intervals[0]; ++i)
        for (int j = 0; j < intervals[1]; ++j)
            for (int k = 0; k < intervals[2]; ++k)
                for (int a = 0; a < orders[0]; ++a)
                    for (int b = 0; b < orders[1]; ++b)
                        for (int e = 0; e < orders[2]; ++e) {
                            double sum = 0;
                            for (int r = 0; r < 4; ++r)
                                for (int s = 0; s < 4; ++s)
                                    for (int t = 0; t < 4; ++t)
                                        sum += weight(0, a, r) * weight(1, b, s) * weight(2, e, t) *
                                               sample(i - 1 + r, j - 1 + s, k - 1 + t);
                            c.push_back(static_cast<REAL>(sum));
                        }
    return c;
}

// The spline at (x, y, z), written out as Gpufit's models define it: the interval clamped to
// the first and last, sum C u^a v^b w^c.
static double spline_value(std::vector<REAL> const &c, int dims, int const intervals[3], double x, double y, double z) {
    double const position[3] = {x, y, z};
    int index[3] = {0, 0, 0};
    double offset[3] = {0, 0, 0};
    for (int a = 0; a < dims; ++a) {
        int i = static_cast<int>(std::floor(position[a]));
        i = i < 0 ? 0 : (i > intervals[a] - 1 ? intervals[a] - 1 : i);
        index[a] = i;
        offset[a] = position[a] - i;
    }
    int const orders[3] = {4, dims > 1 ? 4 : 1, dims > 2 ? 4 : 1};
    int const ny = dims > 1 ? intervals[1] : 1, nz = dims > 2 ? intervals[2] : 1;
    std::size_t const base = ((static_cast<std::size_t>(index[0]) * ny + index[1]) * nz + index[2]) * orders[0] * orders[1] * orders[2];
    double sum = 0;
    for (int a = 0; a < orders[0]; ++a)
        for (int b = 0; b < orders[1]; ++b)
            for (int e = 0; e < orders[2]; ++e)
                sum += c[base + (a * orders[1] + b) * orders[2] + e] * std::pow(offset[0], a) * std::pow(offset[1], b) *
                       std::pow(offset[2], e);
    return sum;
}

// SPLINE_1D, SPLINE_2D and SPLINE_3D with Gpufit's user_info: a Gaussian template (for 3D an
// astigmatic one), noise-free data at known shifts, fits from 0.3 px (and 0.5 z steps) away that
// must come back to them, under LSE and MLE; a user_info too short is refused with a reason.
static void check_splines() {
    for (int dims = 1; dims <= 3; ++dims) {
        int const n[3] = {dims == 1 ? 31 : 21, dims > 1 ? 21 : 1, dims > 2 ? 11 : 1};
        int const intervals[3] = {n[0] - 1, dims > 1 ? n[1] - 1 : 1, dims > 2 ? n[2] - 1 : 1};
        std::vector<double> samples;
        for (int i = 0; i < n[0]; ++i)
            for (int j = 0; j < n[1]; ++j)
                for (int k = 0; k < n[2]; ++k) {
                    double const sx = 2 * std::sqrt(1 + std::pow((k - 3.5) / 4, 2)), sy = 2 * std::sqrt(1 + std::pow((k - 6.5) / 4, 2));
                    double const dx = (i - n[0] / 2) / sx, dy = dims > 1 ? (j - n[1] / 2) / sy : 0;
                    samples.push_back(std::exp(-0.5 * (dx * dx + dy * dy)));
                }
        std::vector<REAL> const coefficients = catmull_rom(samples, dims, n);
        std::vector<REAL> user_info;
        std::size_t const width = dims == 1 ? 20 : 13, n_points = dims == 1 ? 20 : 13 * 13;
        if (dims == 1) user_info.push_back(static_cast<REAL>(intervals[0]));
        if (dims == 2) user_info.insert(user_info.end(), {13, 13, REAL(intervals[0]), REAL(intervals[1])});
        if (dims == 3) user_info.insert(user_info.end(), {13, 13, 1, REAL(intervals[0]), REAL(intervals[1]), REAL(intervals[2])});
        user_info.insert(user_info.end(), coefficients.begin(), coefficients.end());
        int const p = dims + 2;
        std::size_t const n_fits = 3;
        std::vector<REAL> truth, start, data;
        for (std::size_t f = 0; f < n_fits; ++f) {
            REAL const shift = -5.2f + 0.4f * f, z_shift = -4.6f + 0.5f * f;
            std::vector<REAL> t = {200.0f + 50 * f, shift};
            if (dims > 1) t.push_back(shift + 0.3f);
            if (dims > 2) t.push_back(z_shift);
            t.push_back(10);
            for (std::size_t k = 0; k < n_points; ++k) {
                double const x = static_cast<double>(k % width), y = static_cast<double>(k / width);
                double const s = spline_value(coefficients, dims, intervals, x - t[1], dims > 1 ? y - t[2] : 0, dims > 2 ? -t[3] : 0);
                data.push_back(static_cast<REAL>(t[0] * s + t[p - 1]));
            }
            for (int j = 0; j < p; ++j) {
                truth.push_back(t[j]);
                REAL const away = j == 0 ? t[j] * 0.1f : (j == p - 1 ? 2.0f : (dims == 3 && j == 3 ? 0.5f : 0.3f));
                start.push_back(t[j] + away);
            }
        }
        std::vector<int> all(p, 1);
        for (int estimator = LSE; estimator <= MLE; ++estimator) {
            Outputs out(n_fits, p);
            int const status = gpufit_entry(n_fits, n_points, data.data(), NULL, SPLINE_1D + dims - 1, start.data(), 1e-10f, 200,
                                            all.data(), estimator, user_info.size() * sizeof(REAL),
                                            reinterpret_cast<char *>(user_info.data()), out.parameters.data(), out.states.data(),
                                            out.chi_squares.data(), out.iterations.data());
            CHECK(status == OK, "a spline fit through user_info");
            if (status != OK) std::fprintf(stderr, "  %s\n", femtofit_last_error());
            for (std::size_t f = 0; f < n_fits; ++f) {
                CHECK(out.states[f] == CONVERGED, "spline: converged");
                for (int j = 0; j < p; ++j) {
                    double const tolerance = j == 0 ? 1e-3 * truth[f * p] : 2e-3;
                    if (!(std::fabs(out.parameters[f * p + j] - truth[f * p + j]) < tolerance)) {
                        std::fprintf(stderr, "  SPLINE_%dD estimator %d fit %zu parameter %d: %g, truth %g\n", dims, estimator, f, j,
                                     out.parameters[f * p + j], truth[f * p + j]);
                        ++failures;
                    }
                }
            }
        }
        // Too few coefficients for the sizes: refused, with the count in femtofit's detail.
        Outputs out(n_fits, p);
        int const short_status = gpufit_entry(n_fits, n_points, data.data(), NULL, SPLINE_1D + dims - 1, start.data(), 1e-6f, 20,
                                              all.data(), LSE, (user_info.size() - 1) * sizeof(REAL),
                                              reinterpret_cast<char *>(user_info.data()), out.parameters.data(), out.states.data(),
                                              out.chi_squares.data(), out.iterations.data());
        CHECK(short_status == ERROR && std::string(gpufit_get_last_error()) == "invalid argument", "spline: short user_info refused");
        CHECK(std::string(femtofit_last_error()).find("coefficients") != std::string::npos, "spline: the detail names the coefficients");
    }
    // The spline ids femtofit does not serve yet say so, as Gpufit says an unknown model.
    std::array<REAL, 4> data{{0, 0, 0, 0}}, start{{1, 0, 0, 0}};
    Outputs out(1, 6);
    int all6[6] = {1, 1, 1, 1, 1, 1};
    CHECK(gpufit_entry(1, 4, data.data(), NULL, SPLINE_4D, start.data(), 1e-6f, 20, all6, LSE, 0, NULL, out.parameters.data(),
                       out.states.data(), out.chi_squares.data(), out.iterations.data()) == ERROR, "SPLINE_4D refused");
}

int main() {
    check_error_texts();
    check_versions();
    check_limits();
    check_all_parameters_held();
    check_test_functions();
    check_splines();
    if (failures > 0) {
        std::fprintf(stderr, "%d checks failed\n", failures);
        return EXIT_FAILURE;
    }
    std::printf("checks passed\n");
    return EXIT_SUCCESS;
}
