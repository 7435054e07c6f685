import CFemtofit

/// Records `message` as this thread's last error (read back by `femtofit_last_error` and
/// `gpufit_get_last_error`) and returns `status`, so that failures read `return fail(...)`.
func fail(_ message: String, status: Int32 = FEMTOFIT_ERROR) -> Int32 {
    femtofit_internal_set_last_error(message)
    return status
}
