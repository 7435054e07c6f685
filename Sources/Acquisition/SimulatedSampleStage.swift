/// The simulated sample stage: ±5 mm in x and y (positions in µm), moving at `speed` µm/s.
public final class SimulatedSampleStage: LifecycleDevice, SampleStage {
    public let settings: [Setting] = []
    public let travelX: ClosedRange<Double>
    public let travelY: ClosedRange<Double>
    let clock: InstrumentClock
    let speed: Double
    var current = (x: 0.0, y: 0.0)
    var arrival = 0.0

    public init(clock: InstrumentClock, travel: ClosedRange<Double> = -5000...5000, speed: Double = 1000) {
        self.clock = clock
        travelX = travel
        travelY = travel
        self.speed = speed
        super.init(name: "sample stage")
    }

    public func configure(_ values: [String: SettingValue]) throws {
        try lifecycle.take(.configure)
        guard values.isEmpty else { throw AcquisitionError(name, "has no settings") }
    }

    public func move(toX x: Double, y: Double) throws {
        try lifecycle.require([.configured, .armed, .running], for: "move")
        guard travelX.contains(x), travelY.contains(y) else {
            throw AcquisitionError(name, "(\(x), \(y)) µm is outside its travel \(travelX.lowerBound)...\(travelX.upperBound) µm")
        }
        arrival = clock.now + max(abs(x - current.x), abs(y - current.y)) / speed
        current = (x, y)
    }

    public func position() throws -> (x: Double, y: Double) { current }
    public func isReady() throws -> Bool { clock.now >= arrival }
}
