#ifndef FEMTOFIT_SYSTEM_INFO_H
#define FEMTOFIT_SYSTEM_INFO_H

/* The cores this process may run on: on Linux its CPU affinity mask (so taskset and container
   CPU sets count), capped by its cgroup's CPU quota (docker --cpus); the online processors
   elsewhere; at least 1. In C because glibc declares
   sched_getaffinity and CPU_COUNT only under _GNU_SOURCE, which Swift's Glibc module lacks, and
   the engine does without Foundation (whose ProcessInfo would pull ICU into the C library). */
int ff_usable_core_count(void);

#endif
