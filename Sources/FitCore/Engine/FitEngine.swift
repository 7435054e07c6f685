/// The batched entry point: prepare (validate, estimate starts, local coordinates), solve on a
/// backend, finish (honest states, positive widths, frame coordinates). The CLI, the C ABI, the
/// pipeline and the benchmarks all come through here.
///
/// It takes its backend from the caller; module FitEngine adds `FitEngine()` (the SIMD CPU
/// backend) and `FitEngine(choice:)`, which know the concrete backends.
public struct FitEngine: Sendable {
    public let backend: any FitBackend

    public init(backend: any FitBackend) { self.backend = backend }

    /// Fits every fit of `batch`. Throws only for whole-call problems (shapes, settings); a bad
    /// fit gets its state and never spoils its neighbours.
    public func fit(_ batch: FitBatch, settings: FitSettings = FitSettings()) throws -> FitResults {
        let prepared = try PreparedFits(batch, settings: settings)
        var results = FitResults(unwrittenFor: batch.model, fitCount: batch.fitCount)
        results.problems = prepared.problems
        try backend.solve(prepared, into: &results)
        FitFinishing.finish(&results, prepared: prepared)
        return results
    }

    /// Streaming form: fits each batch `chunks` yields and hands its results to `consume` before
    /// the next is read, so memory stays bounded by one chunk whatever the total number of fits.
    public func fit<Chunks: Sequence>(chunks: Chunks, settings: FitSettings = FitSettings(),
                                      consume: (FitBatch, FitResults) throws -> Void) throws where Chunks.Element == FitBatch {
        for chunk in chunks { try consume(chunk, try fit(chunk, settings: settings)) }
    }
}
