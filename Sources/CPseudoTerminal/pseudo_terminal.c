#define _XOPEN_SOURCE 600
#define _DEFAULT_SOURCE
#include "CPseudoTerminal.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

int femtofit_open_pseudo_terminal(char *path, size_t capacity) {
    int fd = posix_openpt(O_RDWR | O_NOCTTY);
    if (fd < 0) return -1;
    const char *name = NULL;
    if (grantpt(fd) != 0 || unlockpt(fd) != 0 || (name = ptsname(fd)) == NULL || strlen(name) + 1 > capacity) {
        int saved = errno ? errno : ENAMETOOLONG;
        close(fd);
        errno = saved;
        return -1;
    }
    strcpy(path, name);
    struct termios options;
    if (tcgetattr(fd, &options) == 0) {
        cfmakeraw(&options);
        tcsetattr(fd, TCSANOW, &options);
    }
    return fd;
}
