import Dispatch
import FitCore
import TAMData

/// Fits one model to every frame of a stack or block: finds each frame's spot, cuts a ROI that
/// grows with it, fits frames with equal ROI sizes as one batch, and returns the results in frame
/// order and frame coordinates. Non-finite pixels are masked (weight 0) and counted, not fitted.
public struct StackFitter: Sendable {
    /// How each frame's ROI is chosen.
    public enum ROIChoice: Sendable, Equatable {
        /// Sized to each frame's own spot (+-3.5 sigma), centred on it.
        case automatic
        /// This size, centred on each frame's spot.
        case fixed(width: Int, height: Int)
        /// The whole frame (raw ROIs, already cut).
        case wholeFrame
    }

    /// One frame's result, for callers that fit a few frames (the live view, the shape check).
    public struct FrameResult: Sendable {
        public var frame: Int
        /// The ROI fitted: origin and size in frame pixels.
        public var roi: (x: Int, y: Int, width: Int, height: Int)
        public var parameters: [Double]
        public var standardErrors: [Double]
        public var state: FitState
        public var chiSquare: Double
        public var iterations: Int
        /// Pixels of the ROI that were NaN or infinite and so masked.
        public var maskedPixels: Int
        /// Why the fit is invalid input, in words, when it is.
        public var problem: String?
    }

    public var model: ModelID
    public var settings: FitSettings
    public var roi: ROIChoice
    public var engine: FitEngine
    /// fitCount x parameterCount start values for raw ROIs fitted whole, in the order of the
    /// block's frames from frame 0 of the run (nil: estimated from each fit's data).
    public var startValues: StartValues?
    /// The template of the spline models (`spline2d`, `spline3d`); nil for the others.
    public var spline: SplineTable?

    /// Start values given for every fit of a run, read a block at a time.
    public typealias StartValues = @Sendable (_ firstFit: Int, _ count: Int) throws -> [Double]

    public init(model: ModelID = .gauss2D, settings: FitSettings = FitSettings(), roi: ROIChoice = .automatic,
                engine: FitEngine) {
        self.model = model
        self.settings = settings
        self.roi = roi
        self.engine = engine
    }

    /// Fits every frame. `source` names the data in error messages; `progress` is told how many
    /// frames are done. `variances` (the same shape as `stack`): each pixel's variance, whose
    /// inverse weighs it (least squares), so the standard errors follow from the data's own
    /// scatter; a pixel of unknown variance is masked.
    public func fit(_ stack: ImageStack, variances: ImageStack? = nil, source: String, progress: ((Int, Int) -> Void)? = nil) throws -> [FrameResult] {
        try fit(FrameBlock(frames: stack, variances: variances, firstFrame: 0, roi: roi), source: source, progress: progress)
    }

    /// Fits a preprocessed dataset series as `femtofit fit` does: weighed by its measured
    /// variances, with the errors they need besides (`MeasuredVariances`).
    public func fit(_ prepared: Preprocessing.Series, source: String, progress: ((Int, Int) -> Void)? = nil) throws -> [FrameResult] {
        try fit(FrameBlock(prepared, roi: roi), source: source, progress: progress)
    }

    func fit(_ block: FrameBlock, source: String, progress: ((Int, Int) -> Void)?) throws -> [FrameResult] {
        let chunk = try fit(block, source: source)
        progress?(block.frameCount, block.frameCount)
        return (0..<chunk.count).map { chunk.result($0) }
    }

    /// Fits every frame of `block` into one chunk of results, in frame order.
    public func fit(_ block: FrameBlock, source: String) throws -> FitChunk {
        let stack = block.frames, variances = block.variances
        if let variances, variances.width != stack.width || variances.height != stack.height || variances.frameCount != stack.frameCount {
            throw TAMDataError(source, "the variances are \(variances.width)x\(variances.height)x\(variances.frameCount) but the frames \(stack.width)x\(stack.height)x\(stack.frameCount)")
        }
        if variances != nil && settings.estimator == .poissonMLE {
            throw TAMDataError(source, "variances weigh least-squares fits; Poisson MLE takes raw counts without weights")
        }
        guard model.geometry == .grid else {
            throw TAMDataError(source, "model \(model.name) fits curves, not frames; choose a 2D Gaussian model")
        }
        if settings.estimator == .poissonMLE, let k = stack.pixels.firstIndex(where: { $0 < 0 }) {
            let frame = k / stack.pixelsPerFrame, p = k % stack.pixelsPerFrame
            throw TAMDataError(source, "frame \(block.firstFrame + frame), pixel (\(p % stack.width), \(p / stack.width)) is negative (\(stack.pixels[k])). Poisson MLE is for raw camera counts; fit dT/T or background-subtracted data with --estimator lse")
        }
        var chunk = FitChunk(model: model, count: stack.frameCount)
        for i in 0..<chunk.count { chunk.frames[i] = block.firstFrame + i }
        chunk.delays = block.delays
        chunk.series = block.series
        if block.roi == .wholeFrame && variances == nil {
            try fitWhole(block, into: &chunk)
        } else {
            try fitCut(block, into: &chunk)
        }
        if let measured = block.measuredVariances { Self.complete(&chunk, errorsFor: measured, sandwich: settings.robustErrors) }
        return chunk
    }

    /// Multiplies each fit's standard errors by what variances measured from a few runs need
    /// besides them (`MeasuredVariances`): their correlation, and the fit's reduced chi^2 when
    /// above 1 (not for sandwich errors, which take the residuals' scale already).
    static func complete(_ chunk: inout FitChunk, errorsFor measured: MeasuredVariances, sandwich: Bool) {
        let p = chunk.model.parameterCount
        for i in 0..<chunk.count {
            let points = Int(chunk.rois[4 * i + 2]) * Int(chunk.rois[4 * i + 3]) - Int(chunk.maskedPixels[i])
            let factor = measured.errorFactor(chiSquare: chunk.chiSquares[i], points: points, free: p, sandwich: sandwich)
            for j in (i * p)..<((i + 1) * p) { chunk.standardErrors[j] *= factor }
        }
    }

    /// Raw ROIs fitted whole: the block's pixels go to the engine as they are (no copy, no extra
    /// pass). The engine finds the ROIs holding NaN or infinite pixels as it prepares them; those
    /// few are fitted again with those pixels masked (weight 0), as every other path masks them.
    func fitWhole(_ block: FrameBlock, into chunk: inout FitChunk) throws {
        let stack = block.frames, n = stack.pixelsPerFrame, count = stack.frameCount
        let p = model.parameterCount
        var batch = FitBatch(model: model, fitCount: count, pointCount: n, data: stack.pixels,
                             coordinates: .grid(width: stack.width, height: stack.height))
        let starts = try startValues?(block.firstFrame, count)
        batch.initialParameters = starts
        batch.spline = spline
        let fitted = try engine.fit(batch, settings: settings)
        chunk.parameters = fitted.parameters
        chunk.standardErrors = fitted.standardErrors
        chunk.stateCodes = fitted.stateCodes
        chunk.chiSquares = fitted.chiSquares
        chunk.iterations = fitted.iterations
        var masked: [Int] = []
        for i in 0..<count {
            chunk.rois[4 * i + 2] = Int32(stack.width)
            chunk.rois[4 * i + 3] = Int32(stack.height)
            if case .nonFiniteData = fitted.problems[i] {
                masked.append(i)
            } else if let problem = fitted.problems[i] {
                chunk.problemCodes[i] = FitProblemCode(problem).rawValue
                chunk.problems[i] = problem.description
            }
        }
        guard !masked.isEmpty else { return }
        var data = [Float](repeating: 0, count: masked.count * n), weights = [Float](repeating: 0, count: masked.count * n)
        for (k, i) in masked.enumerated() {
            for j in 0..<n where stack.pixels[i * n + j].isFinite {
                data[k * n + j] = stack.pixels[i * n + j]
                weights[k * n + j] = 1
            }
        }
        var again = FitBatch(model: model, fitCount: masked.count, pointCount: n, data: data, coordinates: batch.coordinates, weights: weights)
        if let starts { again.initialParameters = masked.flatMap { starts[$0 * p ..< ($0 + 1) * p] } }
        again.spline = spline
        var maskedSettings = settings
        maskedSettings.weightsAreInverseVariances = false
        let refitted = try engine.fit(again, settings: maskedSettings)
        for (k, i) in masked.enumerated() {
            chunk.parameters.replaceSubrange(i * p ..< (i + 1) * p, with: refitted.parameters(of: k))
            chunk.standardErrors.replaceSubrange(i * p ..< (i + 1) * p, with: refitted.standardErrors(of: k))
            chunk.stateCodes[i] = refitted.stateCodes[k]
            chunk.chiSquares[i] = refitted.chiSquares[k]
            chunk.iterations[i] = refitted.iterations[k]
            chunk.maskedPixels[i] = Int32(n - Int(weights[k * n ..< (k + 1) * n].reduce(0, +)))
            if let problem = refitted.problems[k] {
                chunk.problemCodes[i] = FitProblemCode(problem).rawValue
                chunk.problems[i] = problem.description
            }
        }
    }

    /// Frames cut into ROIs around their spots (or whole, with variances), fitted by ROI size.
    func fitCut(_ block: FrameBlock, into chunk: inout FitChunk) throws {
        let stack = block.frames, variances = block.variances, count = stack.frameCount
        let p = model.parameterCount
        // Plan one ROI per frame, on all cores.
        var rois = [(x: Int, y: Int, width: Int, height: Int)](repeating: (0, 0, stack.width, stack.height), count: count)
        var noSpot = [Bool](repeating: false, count: count)
        if block.roi != .wholeFrame {
            let choice = block.roi
            rois.withUnsafeMutableBufferPointer { roiBuffer in
                noSpot.withUnsafeMutableBufferPointer { noSpotBuffer in
                    let (roiOut, noSpotOut) = (roiBuffer, noSpotBuffer)
                    DispatchQueue.concurrentPerform(iterations: Self.slices(count)) { slice in
                        for frame in Self.range(slice, of: count) {
                            guard let spot = SpotFinder.find(in: stack.frame(frame), width: stack.width, height: stack.height) else {
                                noSpotOut[frame] = true
                                continue
                            }
                            let side = SpotFinder.roiSide(forSigma: spot.sigma)
                            let (w, h): (Int, Int)
                            if case let .fixed(fw, fh) = choice { (w, h) = (fw, fh) } else { (w, h) = (side, side) }
                            roiOut[frame] = SpotFinder.roi(centredOn: spot.x, spot.y, width: w, height: h,
                                                           frameWidth: stack.width, frameHeight: stack.height)
                        }
                    }
                }
            }
        }
        // Fit frames with the same ROI size together.
        var groups: [Int: [Int]] = [:]
        for frame in 0..<count { groups[rois[frame].width << 20 | rois[frame].height, default: []].append(frame) }
        for key in groups.keys.sorted() {
            let frames = groups[key]!
            let w = rois[frames[0]].width, h = rois[frames[0]].height, n = w * h
            var data = [Float](repeating: 0, count: frames.count * n)
            var weights = [Float](repeating: 1, count: frames.count * n)
            var masked = [Int32](repeating: 0, count: frames.count)
            var origins = [Double](repeating: 0, count: frames.count * 2)
            for (i, frame) in frames.enumerated() {
                let r = rois[frame]
                origins[2 * i] = Double(r.x); origins[2 * i + 1] = Double(r.y)
                let base = frame * stack.pixelsPerFrame
                for y in 0..<h {
                    for x in 0..<w {
                        let v = stack.pixels[base + (r.y + y) * stack.width + r.x + x]
                        var weight: Float = 1
                        if let variances {
                            let variance = variances.pixels[base + (r.y + y) * stack.width + r.x + x]
                            weight = variance.isFinite && variance > 0 ? 1 / variance : 0
                        }
                        if v.isFinite && weight > 0 && weight.isFinite {
                            data[i * n + y * w + x] = v
                            weights[i * n + y * w + x] = weight
                        } else {
                            weights[i * n + y * w + x] = 0
                            masked[i] += 1
                        }
                    }
                }
            }
            var batch = FitBatch(model: model, fitCount: frames.count, pointCount: n, data: data, coordinates: .grid(width: w, height: h))
            batch.origins = origins
            batch.spline = spline
            var groupSettings = settings
            if variances != nil {
                batch.weights = weights
                groupSettings.weightsAreInverseVariances = true
            } else if masked.contains(where: { $0 > 0 }) {
                batch.weights = weights
                groupSettings.weightsAreInverseVariances = false
            }
            let fitted = try engine.fit(batch, settings: groupSettings)
            for (i, frame) in frames.enumerated() {
                let r = rois[frame]
                chunk.rois.replaceSubrange(4 * frame ..< 4 * frame + 4, with: [Int32(r.x), Int32(r.y), Int32(r.width), Int32(r.height)])
                chunk.parameters.replaceSubrange(frame * p ..< (frame + 1) * p, with: fitted.parameters(of: i))
                chunk.standardErrors.replaceSubrange(frame * p ..< (frame + 1) * p, with: fitted.standardErrors(of: i))
                chunk.stateCodes[frame] = fitted.state(i) == nil ? FitState.invalidInput.rawValue : fitted.stateCodes[i]
                chunk.chiSquares[frame] = fitted.chiSquares[i]
                chunk.iterations[frame] = fitted.iterations[i]
                chunk.maskedPixels[frame] = masked[i]
                if let problem = fitted.problems[i] {
                    chunk.problemCodes[frame] = FitProblemCode(problem).rawValue
                    chunk.problems[frame] = noSpot[frame] ? "no spot found: " + problem.description : problem.description
                    if noSpot[frame] { chunk.problemCodes[frame] = FitProblemCode.noSpotFound.rawValue }
                }
            }
        }
    }

    /// Work split into slices for all cores: one for small counts.
    static func slices(_ count: Int) -> Int { count < 2048 ? 1 : min(64, count / 1024) }
    static func range(_ slice: Int, of count: Int) -> Range<Int> {
        let slices = Self.slices(count)
        return (slice * count / slices)..<((slice + 1) * count / slices)
    }
}
