import CFemtofit

/// What `gpufit_get_last_error()` reads after a failed gpufit_* call: the words Gpufit itself
/// uses for the same failure, so that a Gpufit front end that compares them sees Gpufit's.
/// femtofit's own explanation goes to `femtofit_last_error()` (`failGpufit`).
enum GpufitMessage: String {
    /// Gpufit's text for a NULL array (the CUDA runtime's, from copying it) and other bad arguments.
    case invalidArgument = "invalid argument"
    /// Gpufit's text for a model id it does not know.
    case unknownModel = "unknown model ID"
    /// A model Gpufit has and femtofit does not serve yet; Gpufit has no such text.
    case modelNotSupported = "model not supported"
    /// Gpufit's texts for sizes it cannot address.
    case tooManyPoints = "maximum absolute number of data points exceeded"
    case tooManyFits = "maximum number of fits and/or parameters exceeded"
    /// The CUDA runtime's text when there is no device; femtofit says it when it cannot fit at all.
    case noDevice = "no CUDA-capable device is detected"
}

/// Records a failed gpufit_* call: Gpufit's words for `gpufit_get_last_error()`, `detail` for
/// `femtofit_last_error()`; returns Gpufit's ERROR.
func failGpufit(_ message: GpufitMessage, _ detail: String) -> Int32 {
    femtofit_internal_set_gpufit_error(message.rawValue, detail)
    return FEMTOFIT_ERROR
}
