/// Mean squared displacement and diffusivity from the fitted spot widths (REFERENCE §2):
/// MSD(t) = sigma_t^2 - sigma_0^2 and D(t) = MSD(t) / (2 t), with 1 cm^2/s = 0.1 nm^2/fs.
///
/// sigma_0 comes from a straight-line fit of sigma^2 against t over the earliest post-time-zero
/// frames (its intercept), not from the first frame alone: carriers already move during the
/// first tens of femtoseconds, so the first frame's width overestimates sigma_0.
public struct MSDAnalysis: Sendable {
    public struct Point: Sendable, Equatable {
        public var delayFs: Double
        public var sigmaNm: Double
        public var sigmaErrorNm: Double
        public var msdNm2: Double
        public var msdErrorNm2: Double
        /// D(t) in cm^2/s (NaN at t <= 0).
        public var diffusivity: Double
        public var diffusivityError: Double
    }

    public var sigma0Nm: Double
    public var sigma0ErrorNm: Double
    public var points: [Point]

    /// Frames used for sigma_0: the first `earlyFrames` valid frames at t >= 0.
    public static let earlyFrames = 5

    /// `sigmas` and `errors` in nm, `delays` in fs; frames with `valid` false are left out.
    public init(delays: [Double], sigmas: [Double], errors: [Double], valid: [Bool]) throws {
        precondition(delays.count == sigmas.count && sigmas.count == errors.count && errors.count == valid.count)
        let usable = (0..<delays.count).filter { valid[$0] && sigmas[$0].isFinite && errors[$0].isFinite && errors[$0] > 0 }
        let early = Array(usable.filter { delays[$0] >= 0 }.sorted { delays[$0] < delays[$1] }.prefix(Self.earlyFrames))
        guard early.count >= 2 else {
            throw TransportError.notEnoughFrames("sigma_0 needs at least 2 fitted frames at or after time zero; found \(early.count)")
        }
        // Weighted line sigma^2 = a + b t: var(sigma^2) = (2 sigma err)^2.
        var sw = 0.0, st = 0.0, sy = 0.0, stt = 0.0, sty = 0.0
        for i in early {
            let y = sigmas[i] * sigmas[i], t = delays[i], w = 1 / pow(2 * sigmas[i] * errors[i], 2)
            sw += w; st += w * t; sy += w * y; stt += w * t * t; sty += w * t * y
        }
        let det = sw * stt - st * st
        let intercept: Double, interceptVariance: Double
        if det > 1e-12 * sw * stt {
            intercept = (stt * sy - st * sty) / det
            interceptVariance = stt / det
        } else {
            intercept = sy / sw
            interceptVariance = 1 / sw
        }
        guard intercept > 0 else {
            throw TransportError.notEnoughFrames("the early frames give sigma_0^2 = \(intercept) nm^2; the spot fits at time zero are unusable")
        }
        sigma0Nm = intercept.squareRoot()
        sigma0ErrorNm = interceptVariance.squareRoot() / (2 * sigma0Nm)
        points = usable.sorted { delays[$0] < delays[$1] }.map { i in
            let msd = sigmas[i] * sigmas[i] - intercept
            let msdError = (pow(2 * sigmas[i] * errors[i], 2) + interceptVariance).squareRoot()
            let t = delays[i]
            let d = t > 0 ? msd / (2 * t) * 10 : .nan
            let dError = t > 0 ? msdError / (2 * t) * 10 : .nan
            return Point(delayFs: t, sigmaNm: sigmas[i], sigmaErrorNm: errors[i], msdNm2: msd, msdErrorNm2: msdError,
                         diffusivity: d, diffusivityError: dError)
        }
    }
}

public enum TransportError: Error, Equatable, CustomStringConvertible {
    case notEnoughFrames(String)
    public var description: String {
        switch self { case .notEnoughFrames(let m): return m }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
