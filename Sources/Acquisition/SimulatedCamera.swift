import FitCore
import Foundation

/// The simulated TAM microscope's EMCCD. Each frame is the probe illumination (a Gaussian of
/// sigma 6.4 µm in the sample plane, `photonsPerPixel` at its centre) times (1 + ΔT/T) when the
/// chopper let the pump through, at the delay, pulse energy, wavelength and spot the other
/// simulated devices are set to; the pump spot wanders with pointing drift between runs. Then the
/// camera: shot noise, EM gain with its excess noise (variance doubled), dark counts, read noise,
/// the ADC (`electronsPerCount`, a baseline) and 16-bit saturation. Exposures take their time on the instrument clock.
public final class SimulatedCamera: LifecycleDevice, Camera, RunTracking {
    public private(set) var settings: [Setting]
    public var sample = SimulatedSample()
    /// nm per pixel in the sample plane (16 µm pixels at 288x).
    public var pixelSizeNm = 55.6
    public var photonsPerPixel = 50_000.0
    public var probeSigmaNm = 6400.0
    /// Read noise, electrons rms; the ADC's conversion, electrons per count.
    public var readNoise = 50.0
    public var electronsPerCount = 10.0
    public var darkCountsPerSecond = 1.0
    public var baseline = 100.0
    /// Pointing drift of the pump spot per run, nm (x, y).
    public var driftPerRunNm = (x: 8.0, y: -5.0)
    /// The run the sequencer is on (drift grows with it).
    public var run = 0
    /// Where on the film the camera looks (the sample's transport varies with it); nil: (0, 0).
    public var sampleStage: SampleStage?
    /// Counter values to skip (a dropped frame each).
    public var dropFrames: Set<Int> = []

    let clock: InstrumentClock
    let stage: DelayStage
    let chopper: Chopper
    let wheel: FilterWheel
    let attenuator: PumpAttenuator
    var random: SeededRandom
    var counter = 0
    let sensor: (width: Int, height: Int)

    public init(clock: InstrumentClock, stage: DelayStage, chopper: Chopper, wheel: FilterWheel, attenuator: PumpAttenuator,
                sensorWidth: Int = 128, sensorHeight: Int = 128, seed: UInt64 = 1, trigger: String = "internal") {
        self.clock = clock; self.stage = stage; self.chopper = chopper; self.wheel = wheel; self.attenuator = attenuator
        sensor = (sensorWidth, sensorHeight)
        settings = CameraSettings.standard(sensorWidth: sensorWidth, sensorHeight: sensorHeight, trigger: trigger)
        random = SeededRandom(seed: seed)
        super.init(name: "camera")
    }

    public var frameWidth: Int { Int(settings.number("camera.roi_width") ?? Double(sensor.width)) / binning }
    public var frameHeight: Int { Int(settings.number("camera.roi_height") ?? Double(sensor.height)) / binning }
    var binning: Int { max(1, Int(settings.number("camera.binning") ?? 1)) }

    public func configure(_ values: [String: SettingValue]) throws {
        var proposed = settings
        try proposed.apply(values, device: name)
        let x = proposed.number("camera.roi_x")!, w = proposed.number("camera.roi_width")!
        let y = proposed.number("camera.roi_y")!, h = proposed.number("camera.roi_height")!
        guard x + w <= Double(sensor.width), y + h <= Double(sensor.height) else {
            throw AcquisitionError(name, "ROI \(Int(w))x\(Int(h)) at (\(Int(x)), \(Int(y))) leaves the \(sensor.width)x\(sensor.height) sensor")
        }
        let b = proposed.number("camera.binning") ?? 1
        guard w >= b, h >= b else {
            throw AcquisitionError(name, "ROI \(Int(w))x\(Int(h)) is smaller than the \(Int(b))x\(Int(b)) binning; frames would be empty")
        }
        try lifecycle.take(.configure)
        settings = proposed
    }

    /// What a scene depends on; the mean photon images are kept while it stays the same.
    struct SceneKey: Equatable {
        var delay: Double, energy: Double, wavelength: Double, run: Int, x: Double, y: Double, roi: [Double]
    }
    private var sceneKey: SceneKey?
    private var sceneImages: (off: [Double], on: [Double]) = ([], [])

    /// Mean photons per sensor pixel of the ROI (row-major, before binning): the probe, times
    /// (1 + ΔT/T) when `pumped`. The spot is the library's pixel-integrated Gaussian
    /// (`gauss2d-pixelated`, as `TAMSimulator` draws it) at the sample's amplitude and width,
    /// moved by the run's pointing drift. Computed once per point, not per frame.
    func scene(delay: Double, pulseEnergyNJ: Double, wavelength: Double, pumped: Bool) throws -> [Double] {
        let roi = ["camera.roi_x", "camera.roi_y", "camera.binning", "camera.roi_width", "camera.roi_height"].map { settings.number($0) ?? 0 }
        let place = try sampleStage?.position() ?? (x: 0, y: 0)
        let key = SceneKey(delay: delay, energy: pulseEnergyNJ, wavelength: wavelength, run: run, x: place.x, y: place.y, roi: roi)
        if key != sceneKey {
            let b = binning, width = frameWidth * b, height = frameHeight * b
            let x0 = roi[0], y0 = roi[1]
            let centre = (x: Double(sensor.width) / 2, y: Double(sensor.height) / 2)
            let probeS = probeSigmaNm / pixelSizeNm
            var probe = [Double](repeating: 0, count: width * height)
            for row in 0..<height {
                for column in 0..<width {
                    let dx = x0 + Double(column) - centre.x, dy = y0 + Double(row) - centre.y
                    probe[row * width + column] = photonsPerPixel * exp(-(dx * dx + dy * dy) / (2 * probeS * probeS))
                }
            }
            let spot = sample.spot(delay: delay, pulseEnergyNJ: pulseEnergyNJ, wavelength: wavelength, x: place.x, y: place.y)
            let spotX = centre.x - x0 + (sample.spotOffsetNm.x + Double(run) * driftPerRunNm.x) / pixelSizeNm
            let spotY = centre.y - y0 + (sample.spotOffsetNm.y + Double(run) * driftPerRunNm.y) / pixelSizeNm
            let change = try ModelEvaluation.evaluate(.gauss2DPixelated, parameters: [spot.peak, spotX, spotY, spot.sigmaNm / pixelSizeNm, 0],
                                                      coordinates: .grid(width: width, height: height), pointCount: width * height).values
            sceneImages = (probe, zip(probe, change).map { max(0, $0 * (1 + $1)) })
            sceneKey = key
        }
        return pumped ? sceneImages.on : sceneImages.off
    }

    public func acquire() throws -> CameraFrame {
        try lifecycle.require([.running], for: "acquire")
        let exposure = (settings.number("camera.exposure_ms") ?? 10) / 1000
        let gain = settings.number("camera.em_gain") ?? 1
        if settings.isExternallyTriggered { clock.wait(chopper.waitForTrigger(at: clock.now)) }
        let start = clock.now
        clock.wait(exposure)
        counter += 1
        while dropFrames.contains(counter) { counter += 1 }
        let tag = try chopper.tag(atTime: start + exposure / 2)
        let delay = try stage.delay()
        let energy = try attenuator.pulseEnergyNJ() ?? 0
        let wavelength = wheel.wavelengths[try wheel.position()] ?? 0
        let photons = try scene(delay: delay, pulseEnergyNJ: energy, wavelength: wavelength, pumped: tag == .on)
        let b = binning, w = frameWidth, h = frameHeight, sensorWidth = w * b
        let dark = darkCountsPerSecond * exposure
        var pixels = [UInt16](repeating: 0, count: w * h)
        for row in 0..<h {
            for column in 0..<w {
                var electrons = 0.0
                for by in 0..<b {
                    for bx in 0..<b {
                        let mean = photons[(row * b + by) * sensorWidth + column * b + bx] + dark
                        // EM register: gamma-distributed multiplication (excess noise factor sqrt 2).
                        electrons += gain > 1 ? gain * random.emccd(mean) : random.poisson(mean)
                    }
                }
                let counts = baseline + (electrons + readNoise * random.normal()) / electronsPerCount
                pixels[row * w + column] = UInt16(min(max(counts.rounded(), 0), 65535))
            }
        }
        return CameraFrame(width: w, height: h, pixels: pixels, counter: counter, time: start)
    }
}
