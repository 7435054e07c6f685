import Foundation
import Simulation
import TAMData

/// The simulated raw datasets several pipeline tests share, so each is set up in one place.
enum SimulatedRawData {
    /// The raw-path coverage datasets: 56x56 pump-on/off frames of 100 background counts, a
    /// 90 fs FWHM response, seven frames 20 fs apart before zero, 20 fs steps to 400 fs, then 12
    /// log-spaced frames to 100 ps.
    static func resolvedRise(seed: UInt64) -> TAMSimulator {
        var simulator = TAMSimulator()
        simulator.width = 56; simulator.height = 56
        simulator.irfFWHM = 90
        simulator.amplitude = 3000; simulator.background = 100
        simulator.seed = seed
        simulator.delays = (1...7).map { -20 * Double(8 - $0) } + stride(from: 0.0, through: 400, by: 20).map { $0 }
            + (1...12).map { 400 * pow(250.0, Double($0) / 12) }
        return simulator
    }

    /// Large shot-noise frames for noise statistics: 128x128, 1000 background counts, three
    /// frames before zero and 37 log-spaced after.
    static func shotNoise(seed: UInt64) -> TAMSimulator {
        var simulator = TAMSimulator()
        simulator.width = 128; simulator.height = 128
        simulator.amplitude = 3000; simulator.background = 1000
        simulator.seed = seed
        simulator.delays = [-300, -200, -100] + (0..<37).map { 20 * pow(1.2, Double($0)) }
        return simulator
    }
}
