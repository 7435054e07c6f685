/// Per-fit outputs of a batch, fit-major like `FitBatch`.
public struct FitResults: Sendable {
    public let model: ModelID
    public let fitCount: Int
    /// fitCount x parameterCount fitted values (NaN for a fit whose input was invalid).
    public var parameters: [Double]
    /// fitCount x parameterCount standard errors from the curvature matrix at the solution
    /// (0 for fixed parameters, NaN where the matrix is singular).
    public var standardErrors: [Double]
    /// `FitState` raw values; `FitState.unwrittenRawValue` only if a backend failed to write one.
    public var stateCodes: [Int32]
    /// Final chi^2 (LSE) or -2 log likelihood ratio (MLE).
    public var chiSquares: [Double]
    public var iterations: [Int32]
    /// Why each `invalidInput` fit was invalid (nil for the others), for messages naming the fit.
    public var problems: [FitInputProblem?]

    /// Results with every value unwritten: NaN, and an impossible state, so a value a backend
    /// forgets to write is caught.
    public init(unwrittenFor model: ModelID, fitCount: Int) {
        let p = model.parameterCount
        self.model = model
        self.fitCount = fitCount
        parameters = Array(repeating: .nan, count: fitCount * p)
        standardErrors = Array(repeating: .nan, count: fitCount * p)
        stateCodes = Array(repeating: FitState.unwrittenRawValue, count: fitCount)
        chiSquares = Array(repeating: .nan, count: fitCount)
        iterations = Array(repeating: -1, count: fitCount)
        problems = Array(repeating: nil, count: fitCount)
    }

    public var parameterCount: Int { model.parameterCount }
    public func state(_ fit: Int) -> FitState? { FitState(rawValue: stateCodes[fit]) }
    public func parameters(of fit: Int) -> ArraySlice<Double> {
        parameters[fit * parameterCount ..< (fit + 1) * parameterCount]
    }
    public func standardErrors(of fit: Int) -> ArraySlice<Double> {
        standardErrors[fit * parameterCount ..< (fit + 1) * parameterCount]
    }
}
