// OpenCL 1.2 headers only. The OpenCL library itself is opened at run time (dlopen), so a
// machine without an OpenCL driver still runs femtofit on the CPU backend.
#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
