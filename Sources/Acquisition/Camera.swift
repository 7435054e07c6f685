/// One camera frame: 16-bit counts, the camera's running frame counter (a gap means a dropped
/// frame) and when it was exposed (the instrument clock, s).
public struct CameraFrame: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var pixels: [UInt16]
    public var counter: Int
    public var time: Double

    public init(width: Int, height: Int, pixels: [UInt16], counter: Int, time: Double) {
        self.width = width; self.height = height; self.pixels = pixels; self.counter = counter; self.time = time
    }
}

/// A frame producer (an EMCCD for TAM). Its settings: `camera.exposure_ms`, `camera.em_gain`,
/// `camera.roi_x`, `camera.roi_y`, `camera.roi_width`, `camera.roi_height` (pixels of the sensor),
/// `camera.binning`, `camera.trigger` (`internal` or `external`).
public protocol Camera: Device {
    /// Frame size after ROI and binning.
    var frameWidth: Int { get }
    var frameHeight: Int { get }
    /// The next frame; only while running.
    func acquire() throws -> CameraFrame
}

/// A camera whose frames depend on the run the scan is on (the simulator's pointing drift, the
/// replay's recorded run); the sequencer tells it.
public protocol RunTracking: AnyObject {
    var run: Int { get set }
}

extension Array where Element == Setting {
    /// `camera.trigger` is `external`: each exposure waits for the chopper's trigger.
    var isExternallyTriggered: Bool {
        if case .text("external")? = first(where: { $0.name == "camera.trigger" })?.value { return true }
        return false
    }
}

/// The camera settings every camera shares, with the sensor's limits.
public enum CameraSettings {
    public static func standard(sensorWidth: Int, sensorHeight: Int, maximumGain: Double = 1000, trigger: String = "internal") -> [Setting] {
        [
            Setting("camera.exposure_ms", unit: "ms", kind: .number(minimum: 0.01, maximum: 10_000), value: .number(10)),
            Setting("camera.em_gain", kind: .number(minimum: 1, maximum: maximumGain), value: .number(1)),
            Setting("camera.roi_x", unit: "px", kind: .whole(minimum: 0, maximum: Double(sensorWidth - 1)), value: .number(0)),
            Setting("camera.roi_y", unit: "px", kind: .whole(minimum: 0, maximum: Double(sensorHeight - 1)), value: .number(0)),
            Setting("camera.roi_width", unit: "px", kind: .whole(minimum: 1, maximum: Double(sensorWidth)), value: .number(Double(sensorWidth))),
            Setting("camera.roi_height", unit: "px", kind: .whole(minimum: 1, maximum: Double(sensorHeight)), value: .number(Double(sensorHeight))),
            Setting("camera.binning", kind: .whole(minimum: 1, maximum: 8), value: .number(1)),
            Setting("camera.trigger", kind: .choice(["internal", "external"]), value: .text(trigger)),
        ]
    }
}
