/// Code that imports FitEngine gets the engine's types (`FitEngine`, `FitBackend`, `FitBatch`, ...)
/// with the backends, as before the engine struct moved into FitCore.
@_exported import FitCore
