import FitCore
import Physics
import TAMData
import Foundation

/// A synthetic TAM experiment: one frame per delay of a pump spot spreading under a
/// `TransportTruth`, on a background, with camera noise, and the truth of every frame. The demo,
/// the tests and (later) the simulated camera all use it.
///
/// Frames are in camera counts: background B plus A(t) times the spot integrated over each pixel
/// (pixels are finite, as on a real camera), with Poisson, Gaussian or EMCCD noise. The spot's
/// integral, 2 pi A sigma^2 (the carrier count), is what changes only as carriers recombine:
/// A(t) sigma(t)^2 = A0 sigma0^2 (0.6 exp(-t / 2 ps) + 0.4 exp(-t / 200 ps)), so its peak falls as
/// it spreads (`conservesIntegral`; off, the peak height follows the decay alone, as older
/// simulations did). The pump arrives at `timeZero` (a probe wavelength's chirp moves it) through a
/// Gaussian instrument response of `irfFWHM`: a frame near zero is the response-weighted mixture of
/// the spots at the delays it overlaps. A negative amplitude is photo-induced absorption (fewer
/// counts under the pump; with Poisson or EMCCD noise the background must exceed |A|).
public struct TAMSimulator: Sendable {
    public var width = 96
    public var height = 96
    /// nm per pixel in the sample plane (16 um pixels at 288x: 55.6 nm, docs/reference.md §1).
    public var pixelSize = 55.6
    /// Delays in fs, one frame each.
    public var delays: [Double] = TAMSimulator.defaultDelays
    public var transport = TransportTruth()
    /// Peak height of the spot at time zero, counts (negative: photo-induced absorption).
    public var amplitude = 3000.0
    /// Full width at half maximum of the pump-probe cross-correlation, fs; 0: an instant rise.
    public var irfFWHM = 0.0
    /// The acquired delay at which the pump arrives, fs.
    public var timeZero = 0.0
    /// Whether the spot's integral, not its peak height, follows the recombination decay.
    public var conservesIntegral = true
    /// Recombination: each component's share of the carriers and its lifetime, fs (default: the
    /// paper-like 0.6 at 2 ps and 0.4 at 200 ps, `decay(at:)`).
    public var recombination: [Recombination] = [Recombination(fraction: 0.6, lifetimeFs: 2000), Recombination(fraction: 0.4, lifetimeFs: 200_000)]

    public struct Recombination: Sendable, Equatable {
        public var fraction: Double
        public var lifetimeFs: Double
        public init(fraction: Double, lifetimeFs: Double) { self.fraction = fraction; self.lifetimeFs = lifetimeFs }
    }
    /// Background, counts per pixel.
    public var background = 100.0
    public var noise: NoiseModel = .poisson
    public var seed: UInt64 = 1
    /// Spot centre, in pixels of the frame (default: near the middle, off the pixel grid).
    public var centre: (x: Double, y: Double)?

    public init() {}

    /// `centre`, or the default near the frame's middle, off the pixel grid.
    public var resolvedCentre: (x: Double, y: Double) { centre ?? (Double(width) / 2 + 0.27, Double(height) / 2 - 0.36) }

    /// 0 to 100 fs every 10 fs, then log-spaced to 600 ps: 60 frames, the band-like regime
    /// sampled densely and both hopping regimes covered.
    public static let defaultDelays: [Double] = {
        var d = stride(from: 0.0, through: 100, by: 10).map { $0 }
        let count = 49
        for i in 1...count { d.append(100 * pow(6000.0, Double(i) / Double(count))) }
        return d
    }()

    /// The spot's peak height at `t` fs after the pump (no instrument response).
    public func amplitude(at t: Double) -> Double {
        guard conservesIntegral else { return amplitude * remaining(at: t) }
        let ratio = transport.sigma0 / transport.sigma(at: t)
        return amplitude * remaining(at: t) * ratio * ratio
    }

    /// The share of the carriers left `t` fs after the pump (`recombination`; 0 before it).
    public func remaining(at t: Double) -> Double {
        t < 0 ? 0 : recombination.reduce(0) { $0 + $1.fraction * exp(-t / $1.lifetimeFs) }
    }

    /// The spot's part of a frame's sum at acquired delay `delay`, counts: 2 pi A sigma^2 / pixel^2
    /// weighed over the exposures, without noise or background. The time-zero tests fit this.
    public func summedSignal(at delay: Double) -> Double {
        exposures(at: delay).reduce(0) { sum, exposure in
            let sigmaPx = transport.sigma(at: exposure.time) / pixelSize
            return sum + exposure.weight * 2 * Double.pi * amplitude(at: exposure.time) * sigmaPx * sigmaPx
        }
    }

    /// The instrument response's Gaussian sigma, fs.
    public var irfSigma: Double { irfFWHM / (2 * (2 * log(2.0)).squareRoot()) }

    /// The spots a frame at acquired delay `delay` sees: (time after the pump, weight), weights
    /// summing to the response's share after the pump. Without a response, or far from the rise,
    /// one spot of weight 1 (0 before the pump); near it, Simpson's rule over the response's
    /// +-5 sigma after the pump.
    public func exposures(at delay: Double) -> [(time: Double, weight: Double)] {
        let u = delay - timeZero, s = irfSigma
        guard s > 0, abs(u) < 5 * s else { return u < 0 ? [] : [(u, 1)] }
        let from = max(0, u - 5 * s), to = u + 5 * s, intervals = 24
        let h = (to - from) / Double(intervals)
        return (0...intervals).map { i in
            let time = from + Double(i) * h
            let simpson = i == 0 || i == intervals ? 1.0 : (i % 2 == 1 ? 4.0 : 2.0)
            let z = (u - time) / s
            return (time, simpson * h / 3 * exp(-z * z / 2) / (s * (2 * Double.pi).squareRoot()))
        }
    }

    /// The paper-like share of carriers left at delay `t` (0 before time zero, 1 at it),
    /// 0.6 exp(-t / 2 ps) + 0.4 exp(-t / 200 ps): the default `recombination`. The simulated
    /// microscope uses the same.
    public static func decay(at t: Double) -> Double {
        t < 0 ? 0 : 0.6 * exp(-t / 2000) + 0.4 * exp(-t / 200_000)
    }

    /// One row of ground truth per frame: the width and MSD at the frame's time after the pump
    /// (delay - timeZero), and the spot's peak height summed over the exposures it sees.
    public struct Truth: Sendable, Codable, Equatable {
        public var frame: Int
        public var delayFs: Double
        public var x0Nm: Double
        public var y0Nm: Double
        public var sigmaNm: Double
        public var msdNm2: Double
        public var amplitude: Double
        public var background: Double
    }

    public func run() throws -> (stack: ImageStack, truth: [Truth]) {
        guard width > 4, height > 4, pixelSize > 0, !delays.isEmpty else {
            throw TAMDataError("simulation", "needs frames of at least 5x5 pixels, a positive pixel size and at least one delay")
        }
        guard irfFWHM >= 0, irfFWHM.isFinite, timeZero.isFinite, amplitude.isFinite else {
            throw TAMDataError("simulation", "needs a finite amplitude and time zero and a non-negative instrument response width")
        }
        guard recombination.allSatisfy({ $0.fraction.isFinite && $0.lifetimeFs > 0 && $0.lifetimeFs.isFinite }) else {
            throw TAMDataError("simulation", "recombination needs finite fractions and positive, finite lifetimes")
        }
        let counts = noise == .poisson || noise == .emccd
        guard amplitude >= 0 || !counts || background > -amplitude else {
            throw TAMDataError("simulation", "photo-induced absorption (amplitude \(amplitude)) with counting noise needs a background above |amplitude| (it is \(background)), so counts stay positive")
        }
        var random = SeededRandom(seed: seed)
        let (cx, cy) = resolvedCentre
        var pixels = [Float](repeating: 0, count: width * height * delays.count)
        var truth: [Truth] = []
        let grid = FitCoordinates.grid(width: width, height: height)
        var expected = [Double](repeating: 0, count: width * height)
        for (frame, t) in delays.enumerated() {
            // The noiseless frame: the background plus each exposure's spot at its weight.
            for k in expected.indices { expected[k] = background }
            var height0 = 0.0
            for (time, weight) in exposures(at: t) where weight > 0 {
                let a = amplitude(at: time) * weight
                height0 += a
                let spot = try ModelEvaluation.evaluate(.gauss2DPixelated, parameters: [a, cx, cy, transport.sigma(at: time) / pixelSize, 0],
                                                        coordinates: grid, pointCount: width * height).values
                for k in expected.indices { expected[k] += spot[k] }
            }
            let base = frame * width * height
            for k in 0..<(width * height) { pixels[base + k] = Float(noise.sample(mean: expected[k], random: &random)) }
            let after = t - timeZero
            truth.append(Truth(frame: frame, delayFs: t, x0Nm: cx * pixelSize, y0Nm: cy * pixelSize,
                               sigmaNm: transport.sigma(at: after), msdNm2: transport.msd(at: after), amplitude: height0, background: background))
        }
        return (ImageStack(width: width, height: height, pixels: pixels), truth)
    }

    /// Writes the truth as CSV (frame, delay, centre, width, MSD, amplitude, background).
    public static func writeTruth(_ truth: [Truth], to path: String) throws {
        var text = "frame,delay_fs,x0_nm,y0_nm,sigma_nm,msd_nm2,amplitude,offset\n"
        for row in truth {
            text += "\(row.frame),\(row.delayFs),\(row.x0Nm),\(row.y0Nm),\(row.sigmaNm),\(row.msdNm2),\(row.amplitude),\(row.background)\n"
        }
        try AtomicFile.write(text, to: path)
    }
}
