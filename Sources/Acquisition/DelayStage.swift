import Foundation

/// A movable delay line: a stage position in mm, and through `conversion` a pump–probe delay in
/// fs. Settings include `stage.passes`, `stage.zero_mm` and `stage.direction`.
public protocol DelayStage: Device {
    var conversion: DelayConversion { get }
    /// The travel the stage (and its soft limits) allows, mm.
    var travel: ClosedRange<Double> { get }
    /// Starts a move to `millimetres`; `isReady` says when it has arrived.
    func move(toMillimetres millimetres: Double) throws
    func position() throws -> Double
    /// True once a move has finished and the stage may be read or moved again.
    func isReady() throws -> Bool
}

extension DelayStage {
    /// The delays this stage can reach, fs.
    public var reach: ClosedRange<Double> { conversion.reach(lower: travel.lowerBound, upper: travel.upperBound) }

    /// Starts a move to the stage position of `delay` fs, refusing one beyond the travel.
    public func move(toDelay delay: Double) throws {
        let target = conversion.millimetres(forDelay: delay)
        guard travel.contains(target) else {
            throw AcquisitionError(name, "delay \(delay) fs needs the stage at \(target) mm, outside its travel \(travel.lowerBound)...\(travel.upperBound) mm (it reaches \(String(format: "%.0f...%.0f", reach.lowerBound, reach.upperBound)) fs)")
        }
        try move(toMillimetres: target)
    }

    /// The delay at the stage's position, fs.
    public func delay() throws -> Double { conversion.delay(atMillimetres: try position()) }
}

/// The sample stage: the spot (x, y in µm) the pump and probe meet.
public protocol SampleStage: Device {
    var travelX: ClosedRange<Double> { get }
    var travelY: ClosedRange<Double> { get }
    func move(toX x: Double, y: Double) throws
    func position() throws -> (x: Double, y: Double)
    func isReady() throws -> Bool
}
