#define _GNU_SOURCE
#include "system_info.h"
#include <stdio.h>
#include <unistd.h>
#if defined(__linux__)
#include <sched.h>
#endif

#if defined(__linux__)
/* The CPU quota of the process's cgroup in cores, rounded up, or 0 when there is none: cgroup v2's
   cpu.max ("max 100000" or "200000 100000"), else cgroup v1's cfs_quota_us / cfs_period_us. A
   container started with --cpus=2 on a 64-core host gets 2, as Foundation's ProcessInfo says. */
static int cgroup_quota_cores(void) {
    long long quota = -1, period = 0;
    FILE *file = fopen("/sys/fs/cgroup/cpu.max", "r");
    if (file) {
        char first[32] = {0};
        if (fscanf(file, "%31s %lld", first, &period) == 2 && first[0] != 'm') sscanf(first, "%lld", &quota);
        fclose(file);
    } else {
        file = fopen("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "r");
        if (file) { if (fscanf(file, "%lld", &quota) != 1) quota = -1; fclose(file); }
        file = fopen("/sys/fs/cgroup/cpu/cpu.cfs_period_us", "r");
        if (file) { if (fscanf(file, "%lld", &period) != 1) period = 0; fclose(file); }
    }
    if (quota <= 0 || period <= 0) return 0;
    return (int)((quota + period - 1) / period);
}
#endif

int ff_usable_core_count(void) {
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    int count = online > 0 ? (int)online : 1;
#if defined(__linux__)
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) count = CPU_COUNT(&set);
    int quota = cgroup_quota_cores();
    if (quota > 0 && quota < count) count = quota;
#endif
    return count > 0 ? count : 1;
}
