// The last-error text of each thread, kept in C because thread-local storage is plain there, and
// Gpufit's portable interface, which only unpacks an argv of pointers.
#include "femtofit_internal.h"
#include "gpufit.h"
#include <string.h>

static _Thread_local char last_error[1024];

void femtofit_internal_set_last_error(const char *message) {
    if (message == NULL) { last_error[0] = 0; return; }
    strncpy(last_error, message, sizeof last_error - 1);
    last_error[sizeof last_error - 1] = 0;
}

const char *femtofit_internal_last_error(void) { return last_error; }

const char *femtofit_last_error(void) { return last_error; }

char const *gpufit_get_last_error(void) { return last_error; }

int gpufit_portable_interface(int argc, void *argv[]) {
    if (argv == NULL || argc < 16) {
        femtofit_internal_set_last_error("gpufit_portable_interface needs 16 arguments (argv of pointers, as gpufit's)");
        return ERROR;
    }
    for (int i = 0; i < 11; i++) {
        if (i != 2 && i != 3 && i != 5 && i != 8 && argv[i] == NULL) {
            femtofit_internal_set_last_error("gpufit_portable_interface: a scalar argument's pointer is NULL");
            return ERROR;
        }
    }
    return gpufit(*(size_t *)argv[0], *(size_t *)argv[1], (float *)argv[2], (float *)argv[3], *(int *)argv[4],
                  (float *)argv[5], *(float *)argv[6], *(int *)argv[7], (int *)argv[8], *(int *)argv[9],
                  *(size_t *)argv[10], (char *)argv[11], (float *)argv[12], (int *)argv[13], (float *)argv[14],
                  (int *)argv[15]);
}

int gpufit_constrained_portable_interface(int argc, void *argv[]) {
    if (argv == NULL || argc < 18) {
        femtofit_internal_set_last_error("gpufit_constrained_portable_interface needs 18 arguments (argv of pointers)");
        return ERROR;
    }
    static const int scalars[] = {0, 1, 4, 8, 9, 11, 12};
    for (int i = 0; i < 7; i++) {
        if (argv[scalars[i]] == NULL) {
            femtofit_internal_set_last_error("gpufit_constrained_portable_interface: a scalar argument's pointer is NULL");
            return ERROR;
        }
    }
    return gpufit_constrained(*(size_t *)argv[0], *(size_t *)argv[1], (float *)argv[2], (float *)argv[3],
                              *(int *)argv[4], (float *)argv[5], (float *)argv[6], (int *)argv[7], *(float *)argv[8],
                              *(int *)argv[9], (int *)argv[10], *(int *)argv[11], *(size_t *)argv[12],
                              (char *)argv[13], (float *)argv[14], (int *)argv[15], (float *)argv[16],
                              (int *)argv[17]);
}
