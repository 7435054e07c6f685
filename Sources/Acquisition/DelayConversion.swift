/// Delay stage position and pump–probe delay, converted both ways (docs/reference.md §1):
/// delay = direction × n_pass × (x − x_zero) / c. With a retroreflector in double pass
/// (n_pass = 2) one µm of travel is 6.6713 fs; a 25 mm stage reaches about 167 ps.
public struct DelayConversion: Sendable, Equatable {
    /// Speed of light in mm/fs.
    public static let lightMillimetresPerFemtosecond = 2.99792458e-4

    /// Passes of the beam over the stage's travel (2 for a retroreflector).
    public var passes: Int
    /// Stage position of time zero, mm.
    public var zeroMillimetres: Double
    /// +1 when moving the stage out lengthens the probe path (later probe), −1 when it shortens it.
    public var direction: Int

    public init(passes: Int = 2, zeroMillimetres: Double = 0, direction: Int = 1) {
        precondition(passes >= 1 && (direction == 1 || direction == -1))
        self.passes = passes; self.zeroMillimetres = zeroMillimetres; self.direction = direction
    }

    /// Femtoseconds per millimetre of stage travel.
    public var femtosecondsPerMillimetre: Double { Double(passes) / Self.lightMillimetresPerFemtosecond }

    public func delay(atMillimetres x: Double) -> Double {
        Double(direction) * (x - zeroMillimetres) * femtosecondsPerMillimetre
    }

    public func millimetres(forDelay t: Double) -> Double {
        zeroMillimetres + Double(direction) * t / femtosecondsPerMillimetre
    }

    /// The delays a stage of travel `lower...upper` mm can reach, fs (ordered low to high).
    public func reach(lower: Double, upper: Double) -> ClosedRange<Double> {
        let a = delay(atMillimetres: lower), b = delay(atMillimetres: upper)
        return min(a, b)...max(a, b)
    }
}
