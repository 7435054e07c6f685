/// What every backend's results go through last, so all report alike: widths whose sign the
/// model ignores become positive, and positions move from ROI-local to frame coordinates.
public enum FitFinishing {
    /// Writes the outputs of a fit whose input was invalid: NaN values and `invalidInput`.
    public static func writeInvalid(fit: Int, into results: inout FitResults) {
        let p = results.parameterCount
        for j in 0..<p {
            results.parameters[fit * p + j] = .nan
            results.standardErrors[fit * p + j] = .nan
        }
        results.stateCodes[fit] = FitState.invalidInput.rawValue
        results.chiSquares[fit] = .nan
        results.iterations[fit] = 0
    }

    public static func finish(_ results: inout FitResults, batch: FitBatch) {
        let p = results.parameterCount
        let widths = batch.model.signFreeWidths
        let position = batch.model.positionParameters
        for fit in 0..<results.fitCount {
            for j in widths { results.parameters[fit * p + j] = abs(results.parameters[fit * p + j]) }
            if let origins = batch.origins {
                if let ix = position.x { results.parameters[fit * p + ix] += origins[2 * fit] }
                if let iy = position.y { results.parameters[fit * p + iy] += origins[2 * fit + 1] }
            }
        }
    }
}
