/// Whether the pump reached the sample during a frame.
public enum PumpTag: String, Sendable, Equatable {
    case on, off
}

/// The pump chopper: reference frequency (`chopper.frequency_hz`) and phase
/// (`chopper.phase_deg`); it tags each camera frame pump-on or pump-off.
public protocol Chopper: Device {
    /// The tag of the frame exposed at instrument time `time` (s).
    func tag(atTime time: Double) throws -> PumpTag
}

/// The probe filter wheel: positions carry band-pass centre wavelengths.
public protocol FilterWheel: Device {
    /// Centre wavelength (nm) of each position.
    var wavelengths: [Int: Double] { get }
    func select(position: Int) throws
    func position() throws -> Int
}

extension FilterWheel {
    /// Turns to the position whose band is centred within `tolerance` nm of `wavelength`, or
    /// refuses, listing the wheel's bands.
    public func select(wavelength: Double, tolerance: Double = 0.5) throws {
        guard let match = wavelengths.first(where: { abs($0.value - wavelength) <= tolerance }) else {
            let bands = wavelengths.values.sorted().map { "\($0)" }.joined(separator: ", ")
            throw AcquisitionError(name, "has no \(wavelength) nm band-pass; its filters are \(bands) nm")
        }
        try select(position: match.key)
    }
}

extension Chopper {
    /// Seconds from `now` to the next edge of the chopper's reference at twice its frequency: an
    /// externally triggered camera starts each exposure there, so frames alternate pump-on and
    /// pump-off (the paper: 30 Hz chopper, 60 frames/s). The trigger follows the set phase; a slip
    /// of the blade itself is not seen by it.
    public func waitForTrigger(at now: Double) -> Double {
        let frequency = settings.number("chopper.frequency_hz") ?? 30
        let phase = (settings.number("chopper.phase_deg") ?? 0) / 360
        let edge = ((now * frequency + phase) * 2 - 1e-9).rounded(.up)
        return max(0, (edge / 2 - phase) / frequency - now)
    }
}
