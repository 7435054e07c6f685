/// What every backend's results go through last, so all report alike: honest states (`FitState`),
/// widths whose sign the model ignores made positive, and positions moved from ROI-local to frame
/// coordinates.
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

    /// Honest states, then widths and positions as reported. Under Gpufit's rules
    /// (`ConvergenceRule.gpufit`) the states stay as the solver left them, as Gpufit reports them.
    public static func finish(_ results: inout FitResults, prepared: PreparedFits) {
        if prepared.settings.convergence != .gpufit { honestStates(&results, prepared: prepared) }
        let batch = prepared.batch
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

    /// A `converged` fit becomes `atBound` when a free parameter sits on one of the bounds the
    /// solver used, and `singular` when a free parameter's standard error is not finite (its
    /// curvature at the solution could not be inverted), so that `converged` always means an
    /// honest fit (`FitState`). Runs on the solver's values, before widths and positions are
    /// changed for reporting, against `prepared`'s bounds (ROI-local, as the solver saw them).
    public static func honestStates(_ results: inout FitResults, prepared: PreparedFits) {
        let p = results.parameterCount
        for fit in 0..<results.fitCount where results.stateCodes[fit] == FitState.converged.rawValue {
            var onBound = false, errorsKnown = true
            for j in 0..<p where prepared.fitMask[j] {
                let value = results.parameters[fit * p + j]
                if isOn(value, bound: prepared.lower[fit * p + j]) || isOn(value, bound: prepared.upper[fit * p + j]) { onBound = true }
                if !results.standardErrors[fit * p + j].isFinite { errorsKnown = false }
            }
            if onBound { results.stateCodes[fit] = FitState.atBound.rawValue }
            else if !errorsKnown { results.stateCodes[fit] = FitState.singular.rawValue }
        }
    }

    /// Whether `value` sits on a finite `bound`: equal to it, or within float32's rounding of it
    /// (a single-precision solver clamps to the bound's float value; 1e-6 relative is ~8 ulp).
    @inline(__always)
    public static func isOn(_ value: Double, bound: Double) -> Bool {
        bound.isFinite && (value == bound || abs(value - bound) <= 1e-6 * max(abs(bound), abs(value)))
    }
}
