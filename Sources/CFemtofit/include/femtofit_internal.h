/* Internal to the library (not installed): the per-thread last-error text and the argv unpacking
   of Gpufit's portable interface, which is plainer in C. */
#ifndef FEMTOFIT_INTERNAL_H
#define FEMTOFIT_INTERNAL_H
#include "femtofit.h"

/* Sets this thread's last-error text (truncated to 1023 bytes); NULL or "" clears it. */
void femtofit_internal_set_last_error(const char *message);
/* Sets the two texts of a failed gpufit_* call: what gpufit_get_last_error() reads (Gpufit's own
   words, e.g. "invalid argument") and what femtofit_last_error() reads (the detail). */
void femtofit_internal_set_gpufit_error(const char *gpufit_text, const char *detail);
/* This thread's last-error text. */
const char *femtofit_internal_last_error(void);

/* A flag read and written atomically from any thread (a context's cancel request). */
static inline int femtofit_internal_flag_load(const int *flag) { return __atomic_load_n(flag, __ATOMIC_ACQUIRE); }
static inline void femtofit_internal_flag_store(int *flag, int value) { __atomic_store_n(flag, value, __ATOMIC_RELEASE); }

#endif
