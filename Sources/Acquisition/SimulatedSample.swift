import FitCore
import Foundation
import Simulation
import TAMData
import Physics

/// The film the simulated microscope looks at: the paper's pure CQD film by default
/// (docs/reference.md §2), with `TAMSimulator`'s transport truth and decay. What the probe sees at a delay, pulse energy and probe wavelength: the ΔT/T
/// spot's peak (bleach positive near the band edge, photo-induced absorption negative beyond it),
/// its width from the transport truth at the fluence, and its decay (of the spot's integral, as in
/// `TAMSimulator`: the peak falls as the spot spreads).
public struct SimulatedSample: Sendable {
    /// <N_abs> per nJ of pump pulse energy: 3, 6 and 9 nJ give the paper's 0.045, 0.09, 0.135.
    public var nAbsPerNanojoule = 0.015
    /// Peak ΔT/T per unit <N_abs> at the band edge, at time zero (a few % at the paper's fluences).
    public var signalPerNAbs = 0.35
    /// Bleach band centre and width, nm; beyond `absorptionEdge` the signal is photo-induced absorption.
    public var bandCentre = 800.0
    public var bandWidth = 60.0
    public var absorptionEdge = 900.0
    /// Transport at a fluence (default: the paper's film, whose band-like D falls with fluence).
    public var transport: @Sendable (Double) -> TransportTruth = { TransportTruth.pureFilm(fluence: $0) }
    /// Pump spot centre in sample-plane nm (relative to the frame's centre).
    public var spotOffsetNm = (x: 15.0, y: -20.0)
    /// How the film varies from place to place: band-like D at sample-stage position (x, y) µm is
    /// the fluence's times `1 + heterogeneity · sin(2πx/grain) · cos(2πy/grain)`, so a raster of
    /// spots gives a map with structure (0 makes the film uniform).
    public var heterogeneity = 0.15
    public var grainUm = 40.0

    public init() {}

    public func nAbs(pulseEnergyNJ: Double) -> Double { pulseEnergyNJ * nAbsPerNanojoule }

    /// The transport truth at a pulse energy and a place on the film (µm).
    public func truth(pulseEnergyNJ: Double, x: Double = 0, y: Double = 0) -> TransportTruth {
        var truth = transport(nAbs(pulseEnergyNJ: pulseEnergyNJ))
        truth.bandDiffusivity *= 1 + heterogeneity * sin(2 * .pi * x / grainUm) * cos(2 * .pi * y / grainUm)
        return truth
    }

    /// Peak ΔT/T of the spot (signed) and its width in nm, at sample-stage position (x, y) µm.
    public func spot(delay: Double, pulseEnergyNJ: Double, wavelength: Double, x: Double = 0, y: Double = 0) -> (peak: Double, sigmaNm: Double) {
        let n = nAbs(pulseEnergyNJ: pulseEnergyNJ)
        let truth = self.truth(pulseEnergyNJ: pulseEnergyNJ, x: x, y: y)
        guard delay >= 0 else { return (0, truth.sigma0) }
        let decay = TAMSimulator.decay(at: delay)
        let band = wavelength > absorptionEdge ? -0.5 : exp(-pow((wavelength - bandCentre) / bandWidth, 2) / 2)
        // The spot's integral (the carrier count) is what recombination alone changes: its peak
        // falls as it spreads.
        let spread = truth.sigma0 / truth.sigma(at: delay)
        return (signalPerNAbs * n * decay * band * spread * spread, truth.sigma(at: delay))
    }
}
