import FitCore
import FitEngine

/// Fits one model to every frame of a stack: finds each frame's spot, cuts a ROI that grows with
/// it, fits frames with equal ROI sizes as one batch, and returns one result per frame in frame
/// coordinates. Non-finite pixels are masked (weight 0) and counted, not fitted.
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

    public init(model: ModelID = .gauss2D, settings: FitSettings = FitSettings(), roi: ROIChoice = .automatic,
                engine: FitEngine = FitEngine()) {
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
        if let variances, variances.width != stack.width || variances.height != stack.height || variances.frameCount != stack.frameCount {
            throw TAMDataError(source, "the variances are \(variances.width)x\(variances.height)x\(variances.frameCount) but the frames \(stack.width)x\(stack.height)x\(stack.frameCount)")
        }
        if variances != nil && settings.estimator == .poissonMLE {
            throw TAMDataError(source, "variances weigh least-squares fits; Poisson MLE takes raw counts without weights")
        }
        guard model.geometry == .grid else {
            throw TAMDataError(source, "model \(model.name) fits curves, not frames; choose a 2D Gaussian model")
        }
        if settings.estimator == .poissonMLE {
            for frame in 0..<stack.frameCount {
                if let k = stack.frame(frame).firstIndex(where: { $0 < 0 }) {
                    let p = k - frame * stack.pixelsPerFrame
                    throw TAMDataError(source, "frame \(frame), pixel (\(p % stack.width), \(p / stack.width)) is negative (\(stack.pixels[k])). Poisson MLE is for raw camera counts; fit dT/T or background-subtracted data with --estimator lse")
                }
            }
        }
        // Plan one ROI per frame.
        var rois: [(x: Int, y: Int, width: Int, height: Int)] = []
        var noSpot = Set<Int>()
        for frame in 0..<stack.frameCount {
            switch roi {
            case .wholeFrame:
                rois.append((0, 0, stack.width, stack.height))
            case .automatic, .fixed:
                guard let spot = SpotFinder.find(in: stack.frame(frame), width: stack.width, height: stack.height) else {
                    noSpot.insert(frame)
                    rois.append((0, 0, stack.width, stack.height))
                    continue
                }
                let side = SpotFinder.roiSide(forSigma: spot.sigma)
                let (w, h): (Int, Int)
                if case let .fixed(fw, fh) = roi { (w, h) = (fw, fh) } else { (w, h) = (side, side) }
                rois.append(SpotFinder.roi(centredOn: spot.x, spot.y, width: w, height: h,
                                           frameWidth: stack.width, frameHeight: stack.height))
            }
        }
        // Fit frames with the same ROI size together.
        var results = [FrameResult?](repeating: nil, count: stack.frameCount)
        var groups: [String: [Int]] = [:]
        for frame in 0..<stack.frameCount { groups["\(rois[frame].width)x\(rois[frame].height)", default: []].append(frame) }
        var done = 0
        for key in groups.keys.sorted() {
            let frames = groups[key]!
            let w = rois[frames[0]].width, h = rois[frames[0]].height, n = w * h
            var data = [Float](repeating: 0, count: frames.count * n)
            var weights = [Float](repeating: 1, count: frames.count * n)
            var masked = [Int](repeating: 0, count: frames.count)
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
                let state = fitted.state(i) ?? .invalidInput
                var problem = fitted.problems[i]?.description
                if noSpot.contains(frame) && state == .invalidInput { problem = "no spot found: " + (problem ?? "the frame is empty") }
                results[frame] = FrameResult(frame: frame, roi: rois[frame], parameters: Array(fitted.parameters(of: i)),
                                             standardErrors: Array(fitted.standardErrors(of: i)), state: state,
                                             chiSquare: fitted.chiSquares[i], iterations: Int(fitted.iterations[i]),
                                             maskedPixels: masked[i], problem: problem)
            }
            done += frames.count
            progress?(done, stack.frameCount)
        }
        return results.map { $0! }
    }
}
