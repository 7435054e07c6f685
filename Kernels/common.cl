// femtofit OpenCL kernels: definitions shared by every model and estimator. Portable OpenCL C 1.2.
//
// The host prepends #defines before this file:
//   FF_PARAMETERS      parameters of the model
//   FF_POINTS          points per fit
//   FF_GRID_WIDTH      ROI width, for 2D models on a pixel grid (x = column, y = row), or
//   FF_SHARED_X        x values shared by every fit (one array of FF_POINTS), or
//   FF_PER_FIT_X       x values per fit (fitCount x FF_POINTS)
//   FF_WEIGHTED        weights are given (0 masks a point)
//   FF_DOUBLE          compute in float64 (needs cl_khr_fp64)
//   FF_FIXED_MASK      bit i set when parameter i is held fixed
//   FF_FLOOR_FRACTION  ConvergenceTest.floorFraction
#ifdef FF_DOUBLE
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
typedef double real;
#define FF_HUGE HUGE_VAL
#else
typedef float real;
#define FF_HUGE HUGE_VALF
#endif

#define NP FF_PARAMETERS
#define NPACKED (NP * (NP + 1) / 2)
// Element (i, j), i >= j, of a symmetric matrix kept as its packed lower triangle.
#define PACKED(i, j) ((i) * ((i) + 1) / 2 + (j))
#define IS_FIXED(i) ((FF_FIXED_MASK >> (i)) & 1)

// States, as FitState's raw values.
#define FF_CONVERGED 0
#define FF_MAX_ITERATIONS 1
#define FF_SINGULAR 2
#define FF_NEGATIVE_CURVATURE 3
