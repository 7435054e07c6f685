/* Internal to the library (not installed): the per-thread last-error text and the argv unpacking
   of Gpufit's portable interface, which is plainer in C. */
#ifndef FEMTOFIT_INTERNAL_H
#define FEMTOFIT_INTERNAL_H
#include "femtofit.h"

/* Sets this thread's last-error text (truncated to 1023 bytes); NULL or "" clears it. */
void femtofit_internal_set_last_error(const char *message);
/* This thread's last-error text. */
const char *femtofit_internal_last_error(void);

/* A flag read and written atomically from any thread (a context's cancel request). */
static inline int femtofit_internal_flag_load(const int *flag) { return __atomic_load_n(flag, __ATOMIC_ACQUIRE); }
static inline void femtofit_internal_flag_store(int *flag, int value) { __atomic_store_n(flag, value, __ATOMIC_RELEASE); }

#endif
