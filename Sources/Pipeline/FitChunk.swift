import FitCore

/// The results of one `FrameBlock`, column by column and in frame order: what the sinks write.
/// Columns rather than one struct per fit, so a million fits cost a few arrays, not a million
/// allocations.
public struct FitChunk: Sendable {
    public let model: ModelID
    public let count: Int
    /// Frame numbers (the `index` column), from the block's first frame.
    public var frames: [Int]
    /// count x 4: each fit's ROI, x y width height, in frame pixels.
    public var rois: [Int32]
    /// count x parameterCount, frame coordinates, pixels (lengths are scaled only when written).
    public var parameters: [Double]
    public var standardErrors: [Double]
    public var stateCodes: [Int32]
    public var chiSquares: [Double]
    public var iterations: [Int32]
    /// Pixels masked because they were NaN or infinite (or of unknown variance).
    public var maskedPixels: [Int32]
    /// `FitProblemCode` raw values (0: none).
    public var problemCodes: [Int32]
    /// The problem in words, for the fits that are invalid input (by position in the chunk).
    public var problems: [Int: String]
    /// Delays of the fits, fs (nil when the source has none).
    public var delays: [Double]?
    public var series: SeriesLabel?

    public init(model: ModelID, count: Int) {
        self.model = model
        self.count = count
        let p = model.parameterCount
        frames = Array(repeating: 0, count: count)
        rois = Array(repeating: 0, count: 4 * count)
        parameters = Array(repeating: .nan, count: p * count)
        standardErrors = Array(repeating: .nan, count: p * count)
        stateCodes = Array(repeating: FitState.unwrittenRawValue, count: count)
        chiSquares = Array(repeating: .nan, count: count)
        iterations = Array(repeating: -1, count: count)
        maskedPixels = Array(repeating: 0, count: count)
        problemCodes = Array(repeating: 0, count: count)
        problems = [:]
    }

    public func state(_ fit: Int) -> FitState { FitState(rawValue: stateCodes[fit]) ?? .invalidInput }

    /// Fit `fit` as one result (for the shape check and small callers).
    public func result(_ fit: Int, frame: Int? = nil) -> StackFitter.FrameResult {
        let p = model.parameterCount
        return StackFitter.FrameResult(
            frame: frame ?? frames[fit],
            roi: (Int(rois[4 * fit]), Int(rois[4 * fit + 1]), Int(rois[4 * fit + 2]), Int(rois[4 * fit + 3])),
            parameters: Array(parameters[fit * p ..< (fit + 1) * p]), standardErrors: Array(standardErrors[fit * p ..< (fit + 1) * p]),
            state: state(fit), chiSquare: chiSquares[fit], iterations: Int(iterations[fit]),
            maskedPixels: Int(maskedPixels[fit]), problem: problems[fit])
    }
}

/// Why a fit is invalid input, as a code per fit in fits.h5 (`problem`), with the texts as its
/// `codes` attribute. 0 is "no problem".
public enum FitProblemCode: Int32, CaseIterable, Sendable {
    case none = 0, nonFiniteData, negativeDataUnderMLE, invalidWeight, allWeightsZero, tooFewPoints, flatData,
         nonFiniteStart, invalidBounds, nonFiniteCoordinate, noSpotFound

    public init(_ problem: FitInputProblem?) {
        switch problem {
        case nil: self = .none
        case .nonFiniteData: self = .nonFiniteData
        case .negativeDataUnderMLE: self = .negativeDataUnderMLE
        case .invalidWeight: self = .invalidWeight
        case .allWeightsZero: self = .allWeightsZero
        case .tooFewPoints: self = .tooFewPoints
        case .flatData: self = .flatData
        case .nonFiniteStart: self = .nonFiniteStart
        case .invalidBounds: self = .invalidBounds
        case .nonFiniteCoordinate: self = .nonFiniteCoordinate
        }
    }

    /// The code's meaning, as fits.h5 lists it.
    public var text: String {
        switch self {
        case .none: return "none"
        case .nonFiniteData: return "a point is NaN or infinite"
        case .negativeDataUnderMLE: return "a point is negative under Poisson MLE"
        case .invalidWeight: return "a weight is negative or NaN"
        case .allWeightsZero: return "every weight is zero"
        case .tooFewPoints: return "fewer usable points than free parameters"
        case .flatData: return "the data are flat: no peak to fit"
        case .nonFiniteStart: return "a start value is NaN or infinite"
        case .invalidBounds: return "crossed bounds"
        case .nonFiniteCoordinate: return "an x value is NaN or infinite"
        case .noSpotFound: return "no spot found in the frame, and the frame is unusable"
        }
    }
}
