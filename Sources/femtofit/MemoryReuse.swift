/// Tells the C allocator to keep memory it is given back for the next allocation, instead of
/// returning it to the system and faulting it in again. A streaming fit allocates the same few
/// megabytes per block (results, prepared fits) block after block on several threads; by default
/// glibc maps the larger ones anew and trims its heaps after each free, and every first touch of
/// a page is a page fault (about 30 000 for 10^6 raw 15x15 ROIs, three quarters of the run's, at a
/// few microseconds each on a virtual machine). Memory stays bounded: a run's blocks are the same
/// size, so the freed space is reused, not added to.
enum MemoryReuse {
    static func keepFreedMemory() {
        #if os(Linux)
        _ = glibcMallopt(-3, 256 << 20)  // M_MMAP_THRESHOLD: allocations below 256 MB come from the heap...
        _ = glibcMallopt(-1, 1 << 30)    // M_TRIM_THRESHOLD: ...and stay there when freed, up to 1 GB
        #endif
    }
}

#if os(Linux)
/// glibc's `mallopt` (malloc.h, which the Glibc module does not export).
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
