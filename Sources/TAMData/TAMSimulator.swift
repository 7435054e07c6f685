import FitCore
import Transport
import Foundation

/// A synthetic TAM experiment: one frame per delay of a pump spot spreading under a
/// `TransportTruth`, on a background, with camera noise, and the truth of every frame. The demo,
/// the tests and (later) the simulated camera all use it.
///
/// Frames are in camera counts: background B plus A(t) times the spot integrated over each pixel
/// (pixels are finite, as on a real camera), with Poisson, Gaussian or EMCCD noise. The amplitude
/// decays as carriers recombine: A(t) = A0 (0.6 exp(-t / 2 ps) + 0.4 exp(-t / 200 ps)).
public struct TAMSimulator: Sendable {
    public var width = 96
    public var height = 96
    /// nm per pixel in the sample plane (16 um pixels at 288x: 55.6 nm, REFERENCE §1).
    public var pixelSize = 55.6
    /// Delays in fs, one frame each.
    public var delays: [Double] = TAMSimulator.defaultDelays
    public var transport = TransportTruth()
    /// Peak height of the spot at time zero, counts.
    public var amplitude = 3000.0
    /// Background, counts per pixel.
    public var background = 100.0
    public var noise: NoiseModel = .poisson
    public var seed: UInt64 = 1
    /// Spot centre, in pixels of the frame (default: near the middle, off the pixel grid).
    public var centre: (x: Double, y: Double)?

    public init() {}

    /// 0 to 100 fs every 10 fs, then log-spaced to 600 ps: 60 frames, the band-like regime
    /// sampled densely and both hopping regimes covered.
    public static let defaultDelays: [Double] = {
        var d = stride(from: 0.0, through: 100, by: 10).map { $0 }
        let count = 49
        for i in 1...count { d.append(100 * pow(6000.0, Double(i) / Double(count))) }
        return d
    }()

    public func amplitude(at t: Double) -> Double { amplitude * Self.decay(at: t) }

    /// The spot's relative height at delay `t` (0 before time zero, 1 at it): carriers recombine,
    /// 0.6 exp(-t / 2 ps) + 0.4 exp(-t / 200 ps). The simulated microscope uses the same.
    public static func decay(at t: Double) -> Double {
        t < 0 ? 0 : 0.6 * exp(-t / 2000) + 0.4 * exp(-t / 200_000)
    }

    /// One row of ground truth per frame.
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
        var random = SeededRandom(seed: seed)
        let cx = centre?.x ?? Double(width) / 2 + 0.27, cy = centre?.y ?? Double(height) / 2 - 0.36
        var pixels = [Float](repeating: 0, count: width * height * delays.count)
        var truth: [Truth] = []
        for (frame, t) in delays.enumerated() {
            let sigmaPx = transport.sigma(at: t) / pixelSize
            let a = amplitude(at: t)
            let values = try ModelEvaluation.evaluate(.gauss2DPixelated, parameters: [a, cx, cy, sigmaPx, background],
                                                      coordinates: .grid(width: width, height: height),
                                                      pointCount: width * height).values
            let base = frame * width * height
            for k in 0..<(width * height) { pixels[base + k] = Float(noise.sample(mean: values[k], random: &random)) }
            truth.append(Truth(frame: frame, delayFs: t, x0Nm: cx * pixelSize, y0Nm: cy * pixelSize,
                               sigmaNm: sigmaPx * pixelSize, msdNm2: transport.msd(at: t), amplitude: a, background: background))
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
