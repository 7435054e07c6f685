import FitCore
import Foundation
import Pipeline
import TAMData

/// Fits each point's ΔT/T frame behind the writer, on its own thread, for the live view's running
/// MSD and D estimate. It holds at most `capacity` frames waiting: when it falls behind, `offer`
/// declines the frame (the live view skips an update) and the acquisition goes on; the frame is
/// on disk already, so nothing is lost.
public final class LiveFitter: @unchecked Sendable {
    /// A running estimate for one series (fluence × wavelength × spot).
    public struct Estimate: Sendable, Equatable {
        public var series: Int
        /// Delays (fs) with a fitted width, and MSD there (nm²), averaged over runs.
        public var delays: [Double]
        public var msdNm2: [Double]
        /// D from the slope of sigma² over the first picosecond (MSD = 2Dt; all positive delays
        /// when fewer than three fall in it), cm²/s; nil until there are three positive delays.
        public var diffusivityCm2s: Double?
    }

    /// Pixel size of the frames (binning included), nm; the sequencer sets it once the camera is
    /// configured.
    public var pixelSizeNm: Double {
        get { condition.lock(); defer { condition.unlock() }; return pixel }
        set { condition.lock(); pixel = newValue; condition.unlock() }
    }
    private var pixel: Double
    public let capacity: Int
    private let fitter: StackFitter
    private let condition = NSCondition()
    private var queue: [(point: ScanPlan.Point, series: Int, delayFs: Double, frame: ImageStack)] = []
    private var stopping = false
    private var worker: Thread?
    /// sigma² sums by series and delay: (sum, count).
    private var widths: [Int: [Double: (sum: Double, count: Int)]] = [:]
    private var counts = (fitted: 0, skipped: 0, failed: 0, largestBacklog: 0)
    /// Frames fitted, declined while the fitter was behind, and whose fit failed; the most frames
    /// ever waiting at once. Read under the lock (the worker updates them).
    public var fitted: Int { condition.lock(); defer { condition.unlock() }; return counts.fitted }
    public var skipped: Int { condition.lock(); defer { condition.unlock() }; return counts.skipped }
    public var failed: Int { condition.lock(); defer { condition.unlock() }; return counts.failed }
    public var largestBacklog: Int { condition.lock(); defer { condition.unlock() }; return counts.largestBacklog }

    public init(pixelSizeNm: Double, capacity: Int = 4, engine: FitEngine) {
        pixel = pixelSizeNm
        self.capacity = max(1, capacity)
        fitter = StackFitter(model: .gauss2D, roi: .automatic, engine: engine)
    }

    public func start() {
        let thread = Thread { [self] in work() }
        thread.name = "femtofit-live-fit"
        worker = thread
        thread.start()
    }

    /// Queues `frame` for fitting unless `capacity` frames wait already; false when declined.
    @discardableResult
    public func offer(point: ScanPlan.Point, series: Int, delayFs: Double, frame: ImageStack) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard queue.count < capacity, !stopping else { counts.skipped += 1; return false }
        queue.append((point, series, delayFs, frame))
        counts.largestBacklog = max(counts.largestBacklog, queue.count)
        condition.signal()
        return true
    }

    /// Frames waiting to be fitted.
    public var backlog: Int { condition.lock(); defer { condition.unlock() }; return queue.count }

    /// Fits what is queued, then stops the thread and lets it go (a finished thread keeps its
    /// closure, which holds this fitter: kept, the two would never be freed).
    public func finish() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
        while let worker, !worker.isFinished { Thread.sleep(forTimeInterval: 0.001) }
        worker = nil
    }

    private func work() {
        while true {
            condition.lock()
            while queue.isEmpty && !stopping { condition.wait() }
            if queue.isEmpty { condition.unlock(); return }
            let job = queue.removeFirst()
            condition.unlock()
            let result = try? fitter.fit(job.frame, source: "live fit").first
            condition.lock()
            if let result, result.state == .converged, job.delayFs > 0 {
                let sigma = result.parameters[3] * pixel
                var series = widths[job.series] ?? [:]
                let old = series[job.delayFs] ?? (0, 0)
                series[job.delayFs] = (old.sum + sigma * sigma, old.count + 1)
                widths[job.series] = series
                counts.fitted += 1
            } else {
                counts.failed += 1
            }
            condition.unlock()
        }
    }

    /// The running estimate of each series fitted so far.
    public func estimates() -> [Estimate] {
        condition.lock()
        defer { condition.unlock() }
        return widths.keys.sorted().map { series in
            let points = widths[series]!.map { (delay: $0.key, sigma2: $0.value.sum / Double($0.value.count)) }.sorted { $0.delay < $1.delay }
            // Before time zero there is no spot to fit; MSD counts from the earliest fitted delay.
            let positive = points.filter { $0.delay > 0 }
            let sigma0Squared = positive.first?.sigma2 ?? 0
            let early = positive.filter { $0.delay <= 1000 }
            let after = early.count >= 3 ? early : positive
            var d: Double?
            if after.count >= 3 {
                let n = Double(after.count)
                let mt = after.reduce(0) { $0 + $1.delay } / n, ms = after.reduce(0) { $0 + $1.sigma2 } / n
                let sxy = after.reduce(0) { $0 + ($1.delay - mt) * ($1.sigma2 - ms) }
                let sxx = after.reduce(0) { $0 + ($1.delay - mt) * ($1.delay - mt) }
                // slope nm²/fs; MSD = 2 D t; 1 nm²/fs = 10 cm²/s.
                if sxx > 0 { d = sxy / sxx / 2 * 10 }
            }
            return Estimate(series: series, delays: positive.map(\.delay), msdNm2: positive.map { $0.sigma2 - sigma0Squared }, diffusivityCm2s: d)
        }
    }
}
