#ifndef FEMTOFIT_CPSEUDOTERMINAL_H
#define FEMTOFIT_CPSEUDOTERMINAL_H
#include <stddef.h>

/// Opens a pseudo-terminal pair in raw mode: returns the controller-side descriptor and writes the
/// device-side path into `path` (`capacity` bytes), or returns -1 with errno set. posix_openpt,
/// grantpt, unlockpt and ptsname need _XOPEN_SOURCE, which Swift's C modules do not define, so
/// they are called here.
int femtofit_open_pseudo_terminal(char *path, size_t capacity);

#endif
