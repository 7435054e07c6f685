/// Why one fit's input is unusable: the reason behind `FitState.invalidInput`, for messages that
/// name the fit and say what to do.
public enum FitInputProblem: Sendable, Equatable, CustomStringConvertible {
    case nonFiniteData(point: Int)
    case negativeDataUnderMLE(point: Int)
    case invalidWeight(point: Int)
    case allWeightsZero
    case tooFewPoints(usable: Int, freeParameters: Int)
    case flatData
    case nonFiniteStart(parameter: Int)
    case invalidBounds(parameter: Int)
    case nonFiniteCoordinate(point: Int)

    public var description: String {
        switch self {
        case .nonFiniteData(let k):
            return "point \(k) is NaN or infinite; give it weight 0 to mask it, or repair the data"
        case .negativeDataUnderMLE(let k):
            return "point \(k) is negative, and Poisson MLE needs counts (raw camera frames); use lse for dT/T or background-subtracted data"
        case .invalidWeight(let k):
            return "weight \(k) is negative or NaN; weights must be 1/variance >= 0 (0 masks a point)"
        case .allWeightsZero:
            return "every weight is zero, so no point is left to fit"
        case let .tooFewPoints(usable, free):
            return "only \(usable) usable points for \(free) free parameters"
        case .flatData:
            return "the data are flat (every point equal, e.g. an all-zero ROI): there is no peak to fit"
        case .nonFiniteStart(let p):
            return "start value of parameter \(p) is NaN or infinite"
        case .invalidBounds(let p):
            return "bounds of parameter \(p) are crossed (lower > upper)"
        case .nonFiniteCoordinate(let k):
            return "the x value of point \(k) is NaN or infinite"
        }
    }
}
