/// The pump attenuator's calibration: measured pulse energy (nJ) at a few attenuator settings,
/// interpolated linearly between them and never extrapolated. Setting → energy and back (the
/// energies must rise or fall strictly with the setting, or the calibration is refused).
public struct AttenuatorCalibration: Sendable, Equatable {
    public var settings: [Double]
    public var pulseEnergiesNJ: [Double]

    public init(settings: [Double], pulseEnergiesNJ: [Double]) throws {
        guard settings.count == pulseEnergiesNJ.count, settings.count >= 2 else {
            throw AcquisitionError("attenuator calibration", "needs two or more (setting, pulse energy) points of equal count")
        }
        let order = settings.indices.sorted { settings[$0] < settings[$1] }
        let s = order.map { settings[$0] }, e = order.map { pulseEnergiesNJ[$0] }
        let rising = zip(e, e.dropFirst()).allSatisfy { $0 < $1 }, falling = zip(e, e.dropFirst()).allSatisfy { $0 > $1 }
        guard zip(s, s.dropFirst()).allSatisfy({ $0 < $1 }), rising || falling, e.allSatisfy({ $0 >= 0 && $0.isFinite }) else {
            throw AcquisitionError("attenuator calibration", "settings must differ and pulse energies must rise or fall strictly with them")
        }
        self.settings = s
        self.pulseEnergiesNJ = e
    }

    static func interpolate(_ x: Double, _ xs: [Double], _ ys: [Double]) -> Double? {
        let order = xs.indices.sorted { xs[$0] < xs[$1] }
        let sx = order.map { xs[$0] }, sy = order.map { ys[$0] }
        guard let lo = sx.first, let hi = sx.last, x >= lo, x <= hi else { return nil }
        let i = max(0, min(sx.count - 2, (sx.lastIndex { $0 <= x } ?? 0)))
        let f = sx[i + 1] == sx[i] ? 0 : (x - sx[i]) / (sx[i + 1] - sx[i])
        return sy[i] + f * (sy[i + 1] - sy[i])
    }

    public func pulseEnergy(atSetting setting: Double) -> Double? { Self.interpolate(setting, settings, pulseEnergiesNJ) }

    /// The setting for `energy` nJ, or an error naming the calibrated range.
    public func setting(forPulseEnergy energy: Double) throws -> Double {
        guard let s = Self.interpolate(energy, pulseEnergiesNJ, settings) else {
            throw AcquisitionError("pump attenuator", "\(energy) nJ is outside the calibrated \(pulseEnergiesNJ.min()!)...\(pulseEnergiesNJ.max()!) nJ; calibrate further or choose another fluence")
        }
        return s
    }
}

/// The pump attenuator (a variable ND wheel or a half-wave plate and polariser): sets the pump
/// pulse energy through its calibration.
public protocol PumpAttenuator: Device {
    var calibration: AttenuatorCalibration { get }
    func set(setting: Double) throws
    func setting() throws -> Double
}

extension PumpAttenuator {
    public func set(pulseEnergyNJ energy: Double) throws { try set(setting: try calibration.setting(forPulseEnergy: energy)) }
    public func pulseEnergyNJ() throws -> Double? { calibration.pulseEnergy(atSetting: try setting()) }
}
