import FitCore
import TAMData

extension SpotShape {
    /// The fits the check reads, as a chunk's flat columns, borrowed for the call.
    public struct FitColumnsView {
        public var count: Int
        /// count x parameterCount fitted values, in frame coordinates.
        public var parameters: UnsafePointer<Double>
        /// The state code of each fit (`FitState.rawValue`).
        public var states: UnsafePointer<Int32>
        /// count x 4: each ROI's x, y, width, height in frame pixels.
        public var rois: UnsafePointer<Int32>
        /// The frame of the stack each fit's ROI was cut from.
        public var stackFrames: UnsafePointer<Int>

        public init(count: Int, parameters: UnsafePointer<Double>, states: UnsafePointer<Int32>, rois: UnsafePointer<Int32>,
                    stackFrames: UnsafePointer<Int>) {
            self.count = count
            self.parameters = parameters
            self.states = states
            self.rois = rois
            self.stackFrames = stackFrames
        }
    }

    /// The check of every converged fit in `fits`, several fits at a time: `.single` runs 16 ROIs
    /// per SIMD16<Float> register (the pipeline's choice; sums in float32, the final formulas in
    /// float64), `.double` one ROI at a time in float64 (the reference the tests hold it to).
    /// Each `Frame.frame` is the fit's index in `fits`.
    public static func check(_ stack: ImageStack, variances: ImageStack?, fits: FitColumnsView, model: ModelID,
                             arithmetic: FitPrecision = .single) throws -> [Frame] {
        if let variances, variances.width != stack.width || variances.height != stack.height || variances.frameCount != stack.frameCount {
            throw TAMDataError("shape check", "the variances are \(variances.width)x\(variances.height)x\(variances.frameCount) but the frames \(stack.width)x\(stack.height)x\(stack.frameCount)")
        }
        guard let layout = ParameterLayout(model) else { return [] }
        for fit in 0..<fits.count where fits.states[fit] == FitState.converged.rawValue {
            let roi = fits.rois + 4 * fit, frame = fits.stackFrames[fit]
            guard frame >= 0, frame < stack.frameCount, roi[0] >= 0, roi[1] >= 0, roi[2] >= 0, roi[3] >= 0,
                  Int(roi[0]) + Int(roi[2]) <= stack.width, Int(roi[1]) + Int(roi[3]) <= stack.height else {
                throw TAMDataError("shape check", "fit \(fit)'s ROI (\(roi[0]), \(roi[1]), \(roi[2])x\(roi[3])) in frame \(frame) lies outside the \(stack.width)x\(stack.height)x\(stack.frameCount) stack")
            }
        }
        return try stack.pixels.withUnsafeBufferPointer { pixels in
            try (variances?.pixels ?? []).withUnsafeBufferPointer { variancePixels in
                let source = PixelSource(pixels: pixels.baseAddress!, variances: variances == nil ? nil : variancePixels.baseAddress!,
                                         width: stack.width, height: stack.height)
                switch arithmetic {
                case .single:
                    let kernel = ShapeKernel<SIMD16<Float>>(source: source, fits: fits, layout: layout)
                    return try model.dispatch(to: kernel)
                case .double:
                    let kernel = ShapeKernel<Double>(source: source, fits: fits, layout: layout)
                    return try model.dispatch(to: kernel)
                }
            }
        }
    }

    /// Where the check's parameters sit in a model's parameter list.
    struct ParameterLayout {
        let x0, y0, offset: Int
        let widths: [Int]
        let count: Int

        init?(_ model: ModelID) {
            let names = model.parameterNames
            guard let x0 = names.firstIndex(of: "x0"), let y0 = names.firstIndex(of: "y0"), let offset = names.firstIndex(of: "offset") else { return nil }
            let widths = ["sigma", "sigma_x", "sigma_y"].compactMap { names.firstIndex(of: $0) }
            guard !widths.isEmpty else { return nil }
            (self.x0, self.y0, self.offset, self.widths, count) = (x0, y0, offset, widths, names.count)
        }

        /// The fitted sigma^2: the geometric mean of the two for elliptic models.
        func fittedSigma2(_ p: UnsafePointer<Double>) -> Double {
            let product = widths.reduce(1.0) { $0 * p[$1] * p[$1] }
            return widths.count == 2 ? product.squareRoot() : product
        }
    }

    struct PixelSource {
        let pixels: UnsafePointer<Float>
        let variances: UnsafePointer<Float>?
        let width: Int
        let height: Int
    }

    /// The check on groups of up to `Lane.laneCount` converged fits with ROIs of one size, each fit
    /// in a lane: the ROIs' pixels are laid out lane-major, the model is evaluated for all lanes at
    /// once from its column and row terms, and two passes over the pixels give the moments (pass 1:
    /// residuals, data and model moments inside the aperture) and their errors (pass 2).
    struct ShapeKernel<Lane: FitLane>: ModelVisitor {
        let source: PixelSource
        let fits: FitColumnsView
        let layout: ParameterLayout

        func visit<Model: FitModel>(_ model: Model.Type) throws -> [Frame] where Model.Lane == Lane {
            let lanes = Lane.laneCount, p = layout.count
            var frames: [Frame] = []
            var group: [Int] = []
            group.reserveCapacity(lanes)
            var values: [Lane.LaneScalar] = [], variances: [Lane.LaneScalar] = []
            var parameters = [Lane](repeating: Lane(0), count: p)
            func flush() {
                guard !group.isEmpty else { return }
                check(Model.self, group: group, values: &values, variances: &variances, parameters: &parameters, into: &frames)
                group.removeAll(keepingCapacity: true)
            }
            var size = (0, 0)
            for fit in 0..<fits.count where fits.states[fit] == FitState.converged.rawValue {
                let roi = fits.rois + 4 * fit
                let w = Int(roi[2]), h = Int(roi[3])
                guard w > 0, h > 0 else { continue }
                if (w, h) != size || group.count == lanes { flush(); size = (w, h) }
                group.append(fit)
            }
            flush()
            return frames
        }

        /// One group: pixels and parameters into lanes (lanes past the group repeat its last fit,
        /// and their results are dropped), the two passes, then a `Frame` per fit that has a spot.
        func check<Model: FitModel>(_ model: Model.Type, group: [Int], values: inout [Lane.LaneScalar], variances: inout [Lane.LaneScalar],
                                    parameters: inout [Lane], into frames: inout [Frame]) where Model.Lane == Lane {
            let lanes = Lane.laneCount, p = layout.count
            let first = fits.rois + 4 * group[0]
            let w = Int(first[2]), h = Int(first[3]), m = w * h
            let hasVariances = source.variances != nil
            if values.count < m * lanes { values = Array(repeating: 0, count: m * lanes) }
            if hasVariances && variances.count < m * lanes { variances = Array(repeating: 0, count: m * lanes) }
            var radius2 = Lane(0), cx = Lane(0), cy = Lane(0), background = Lane(0)
            values.withUnsafeMutableBufferPointer { valueBuffer in
            variances.withUnsafeMutableBufferPointer { varianceBuffer in
                let laneValues = valueBuffer.baseAddress!, laneVariances = varianceBuffer.baseAddress
                for lane in 0..<lanes {
                    let fit = group[min(lane, group.count - 1)]
                    let roi = fits.rois + 4 * fit, x = Int(roi[0]), y = Int(roi[1])
                    let fitted = fits.parameters + fit * p
                    for j in 0..<p {
                        parameters[j][lane: lane] = fitted[j] - (j == layout.x0 ? Double(x) : j == layout.y0 ? Double(y) : 0)
                    }
                    radius2[lane: lane] = apertureSigmas * apertureSigmas * layout.fittedSigma2(fitted)
                    cx[lane: lane] = fitted[layout.x0] - Double(x)
                    cy[lane: lane] = fitted[layout.y0] - Double(y)
                    background[lane: lane] = fitted[layout.offset]
                    // The ROI's pixels into this lane of the lane-major buffers.
                    let origin = fits.stackFrames[fit] * source.width * source.height + y * source.width + x
                    var target = laneValues + lane
                    for row in 0..<h {
                        let line = source.pixels + origin + row * source.width
                        for column in 0..<w { target.pointee = Lane.LaneScalar(line[column]); target += lanes }
                    }
                    if let v = source.variances, var target = laneVariances.map({ $0 + lane }) {
                        for row in 0..<h {
                            let line = v + origin + row * source.width
                            for column in 0..<w { target.pointee = Lane.LaneScalar(line[column]); target += lanes }
                        }
                    }
                }
            }}
            let instance = parameters.withUnsafeBufferPointer { Model(parameters: $0.baseAddress!) }
            let columnTermArray = (0..<w).map { instance.columnTerms(x: Lane(Double($0))) }
            // Squared distances from each lane's centre, per column and per row.
            let columnX2 = (0..<w).map { let x = Lane(Double($0)) - cx; return x * x }
            let rowY2 = (0..<h).map { let y = Lane(Double($0)) - cy; return y * y }
            let zero = Lane(0), one = Lane(1)
            values.withUnsafeBytes { valueBytes in
            variances.withUnsafeBytes { varianceBytes in
            columnTermArray.withUnsafeBufferPointer { columnTerms in
                let stride = MemoryLayout<Lane.LaneScalar>.stride * lanes
                // The sums are declared here, not outside the closures: a variable a closure
                // captures lives in memory, and every pixel would store and reload it.
                var data = LaneSums<Lane>(), fitted = LaneSums<Lane>()
                var residual = zero, used = zero, inside = zero, badVariance = zero
                var derivatives = ParameterLanes<Lane>(repeating: zero)
                // Pass 1: residuals over the ROI, moments of data and model over the aperture.
                for row in 0..<h {
                    let rowTerms = instance.rowTerms(y: Lane(Double(row)))
                    let y2 = rowY2[row]
                    for column in 0..<w {
                        let k = row * w + column
                        let value = valueBytes.loadUnaligned(fromByteOffset: k * stride, as: Lane.self)
                        let finite = Lane.isFinite(value)
                        let modelValue = instance.evaluate(column: columnTerms[column], row: rowTerms, derivatives: &derivatives)
                        let difference = value - modelValue
                        residual = residual + Lane.select(finite, difference * difference, zero)
                        used = used + Lane.select(finite, one, zero)
                        let x2 = columnX2[column]
                        let inAperture = Lane.and(finite, Lane.not(Lane.lessThan(radius2, x2 + y2)))
                        data.add(Lane.select(inAperture, value - background, zero), x2: x2, y2: y2)
                        fitted.add(Lane.select(inAperture, modelValue - background, zero), x2: x2, y2: y2)
                        inside = inside + Lane.select(inAperture, one, zero)
                        if hasVariances {
                            let variance = varianceBytes.loadUnaligned(fromByteOffset: k * stride, as: Lane.self)
                            let usable = Lane.and(Lane.isFinite(variance), Lane.lessThan(zero, variance))
                            badVariance = Lane.select(Lane.and(inAperture, Lane.not(usable)), one, badVariance)
                        }
                    }
                }
                // Per fit: which have a spot to compare, and pass 2's coefficients (zero where none).
                var eligible = [Bool](repeating: false, count: lanes)
                var constant = zero, varianceUsable = zero
                var ds = ErrorCoefficients<Lane>(), dk = ErrorCoefficients<Lane>()
                for lane in 0..<group.count {
                    let d = data.moments(lane), f = fitted.moments(lane)
                    guard inside[lane: lane] >= 9, used[lane: lane] > Double(p),
                          d.sigma2.isFinite, d.kurtosis.isFinite, f.sigma2.isFinite, f.kurtosis.isFinite else { continue }
                    eligible[lane] = true
                    constant[lane: lane] = residual[lane: lane] / (used[lane: lane] - Double(p))
                    varianceUsable[lane: lane] = hasVariances && badVariance[lane: lane] == 0 ? 1 : 0
                    data.errorCoefficients(lane, sigma2: d.sigma2, ds: &ds, dk: &dk)
                }
                guard eligible.contains(true) else { return }
                // Pass 2: the moments' first-order errors, from each pixel's variance, or the
                // residuals' where any variance in the aperture is unknown.
                let useVariances = Lane.lessThan(zero, varianceUsable)
                var vs = zero, vk = zero
                for row in 0..<h {
                    let y2 = rowY2[row]
                    let dsY = ds.xx * y2 + ds.c, dkY = (dk.yy * y2 + dk.y) * y2 + dk.c
                    for column in 0..<w {
                        let k = row * w + column
                        let value = valueBytes.loadUnaligned(fromByteOffset: k * stride, as: Lane.self)
                        let x2 = columnX2[column]
                        let inAperture = Lane.and(Lane.isFinite(value), Lane.not(Lane.lessThan(radius2, x2 + y2)))
                        var variance = constant
                        if hasVariances {
                            variance = Lane.select(useVariances, varianceBytes.loadUnaligned(fromByteOffset: k * stride, as: Lane.self), constant)
                        }
                        let s = ds.xx * x2 + dsY
                        let kurtosis = (dk.xx * x2 + dk.x) * x2 + dkY
                        vs = vs + Lane.select(inAperture, s * s * variance, zero)
                        vk = vk + Lane.select(inAperture, kurtosis * kurtosis * variance, zero)
                    }
                }
                for lane in 0..<group.count where eligible[lane] {
                    let fit = group[lane]
                    let measured = data.moments(lane), expected = fitted.moments(lane)
                    var frame = Frame(frame: fit, fittedSigma2: layout.fittedSigma2(fits.parameters + fit * p), momentSigma2: measured.sigma2,
                                      momentSigma2Error: vs[lane: lane].squareRoot(), modelMomentSigma2: expected.sigma2,
                                      excessKurtosis: measured.kurtosis, excessKurtosisError: vk[lane: lane].squareRoot(),
                                      modelExcessKurtosis: expected.kurtosis, flagged: false)
                    frame.flagged = abs(frame.widthZ) > flagZ || abs(frame.kurtosisZ) > flagZ
                    frames.append(frame)
                }
            }}}
        }
    }

    /// One aperture's sums per lane (background removed, about the fitted centre): the weight s0
    /// and the second and fourth moments per axis.
    struct LaneSums<Lane: FitLane> {
        var s0 = Lane(0), s2x = Lane(0), s2y = Lane(0), s4x = Lane(0), s4y = Lane(0)

        @inline(__always)
        mutating func add(_ v: Lane, x2: Lane, y2: Lane) {
            let vx = v * x2, vy = v * y2
            s0 = s0 + v; s2x = s2x + vx; s2y = s2y + vy; s4x = s4x + vx * x2; s4y = s4y + vy * y2
        }

        func sums(_ lane: Int) -> Sums {
            Sums(s0: s0[lane: lane], s2x: s2x[lane: lane], s2y: s2y[lane: lane], s4x: s4x[lane: lane], s4y: s4y[lane: lane])
        }

        func moments(_ lane: Int) -> (sigma2: Double, kurtosis: Double) { sums(lane).moments }

        /// Pass 2's per-pixel derivatives as polynomials in x^2 and y^2 (`Sums.addErrors`), their
        /// coefficients computed once per fit in float64.
        func errorCoefficients(_ lane: Int, sigma2: Double, ds: inout ErrorCoefficients<Lane>, dk: inout ErrorCoefficients<Lane>) {
            let s = sums(lane)
            // d sigma2 = (x^2 + y^2) / (2 s0) - sigma2 / s0
            ds.xx[lane: lane] = 1 / (2 * s.s0)
            ds.c[lane: lane] = -sigma2 / s.s0
            // d kurtosis = (dkx + dky) / 2, dkx = x^4 s0 / s2x^2 - 2 s4x s0 x^2 / s2x^3 + s4x / s2x^2
            dk.xx[lane: lane] = s.s0 / (2 * s.s2x * s.s2x)
            dk.x[lane: lane] = -s.s4x * s.s0 / (s.s2x * s.s2x * s.s2x)
            dk.yy[lane: lane] = s.s0 / (2 * s.s2y * s.s2y)
            dk.y[lane: lane] = -s.s4y * s.s0 / (s.s2y * s.s2y * s.s2y)
            dk.c[lane: lane] = (s.s4x / (s.s2x * s.s2x) + s.s4y / (s.s2y * s.s2y)) / 2
        }
    }

    /// A polynomial in x^2 and y^2 per lane: xx x^4 + x x^2 + yy y^4 + y y^2 + c (for the width's
    /// derivative, xx is the coefficient of x^2 + y^2 and the rest zero).
    struct ErrorCoefficients<Lane: FitLane> {
        var xx = Lane(0), x = Lane(0), yy = Lane(0), y = Lane(0), c = Lane(0)
    }
}
