/// Statistics of one fit's data that a runtime model's start values may be written in
/// (`RuntimeStart`; docs/models.md defines each). Over the fit's usable points (positive weight,
/// finite value). Where a built-in start rule computes the same thing it is computed by that
/// rule, so a runtime twin of a built-in model starts where the built-in one does: on a 2D ROI,
/// `baseline`, `amplitude`, `centroid_x`, `centroid_y` and `rms_width` are gauss2d's start values
/// (`AutoStart.gaussian2D`); on a curve, `baseline`, `amplitude`, `centroid_x` and `rms_width`
/// are gauss1d's.
public enum DataStatistic: String, Sendable, CaseIterable {
    case min, max, mean, sum, first, last
    case baseline, amplitude
    case centroidX = "centroid_x", centroidY = "centroid_y", rmsWidth = "rms_width", argmaxT = "argmax_t"

    /// Whether the statistic is defined for 2D ROIs (true) or curves (false) only; nil: both.
    public var gridOnly: Bool? {
        switch self {
        case .centroidY: return true
        case .first, .last, .argmaxT: return false
        default: return nil
        }
    }

    /// The statistics defined for a 2D ROI (`grid`) or a curve.
    public static func available(grid: Bool) -> [DataStatistic] { allCases.filter { $0.gridOnly == nil || $0.gridOnly == grid } }

    /// The values of `wanted` for one fit (`data` its points; `usable` the indices of its usable
    /// points; x per point for curves), in `wanted`'s order.
    public static func values(_ wanted: [DataStatistic], data: UnsafeBufferPointer<Float>, usable: [Int],
                              coordinates: FitCoordinates, fit: Int) -> [Double] {
        let m = data.count
        func x(_ k: Int) -> Double {
            switch coordinates {
            case .sharedX(let xs): return xs[k]
            case .perFitX(let xs): return Double(xs[fit * m + k])
            case .grid(let width, _): return Double(k % width)
            }
        }
        var shape: [Double]?
        /// gauss2d's start (A, x0, y0, sigma, B) or gauss1d's (A, x0, sigma, B), once.
        func spot() -> [Double] {
            if let shape { return shape }
            let values: [Double]
            if case let .grid(width, height) = coordinates, usable.count == data.count {
                // Every pixel usable: the fast rule, as the built-in gauss2d takes it (`FastStart`).
                var out = [Double](repeating: 0, count: 5)
                out.withUnsafeMutableBufferPointer { GridStart(width: width, height: height).estimate(model: .gauss2D, data: data, into: $0.baseAddress!) }
                values = out
            } else if case let .grid(width, height) = coordinates {
                values = AutoStart.gaussian2D(model: .gauss2D, data: data, usable: usable, width: width, height: height)
            } else {
                let curve = AutoStart.gaussian1D(data: data, usable: usable, x: x)
                values = [curve[0], curve[1], .nan, curve[2], curve[3]]
            }
            shape = values
            return values
        }
        let values = usable.map { Double(data[$0]) }
        return wanted.map { statistic in
            switch statistic {
            case .min: return values.min() ?? .nan
            case .max: return values.max() ?? .nan
            case .sum: return values.reduce(0, +)
            case .mean: return values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count)
            case .first: return values.first ?? .nan
            case .last: return values.last ?? .nan
            case .argmaxT:
                guard var best = usable.first else { return .nan }
                for k in usable where data[k] > data[best] { best = k }
                return x(best)
            case .amplitude: return spot()[0]
            case .centroidX: return spot()[1]
            case .centroidY: return spot()[2]
            case .rmsWidth: return spot()[3]
            case .baseline: return spot()[4]
            }
        }
    }
}

/// A runtime model's start values as expressions of `DataStatistic`s: one straight-line program
/// over float64 registers (statistics and constants loaded, then the instructions), each
/// parameter's value in a register of its own, or none where the model gives no start for it.
public struct RuntimeStart: Sendable, Equatable {
    public var parameterCount: Int
    public var statistics: [DataStatistic]
    /// The register each statistic of `statistics` is loaded into.
    public var statisticRegisters: [Int]
    public var constants: [StagedProgram.Constant]
    public var instructions: [LaneInstruction]
    public var registerCount: Int
    /// Each parameter's register, or -1 where it has no start expression.
    public var parameterRegisters: [Int]

    public init(parameterCount: Int, statistics: [DataStatistic] = [], statisticRegisters: [Int] = [],
                constants: [StagedProgram.Constant] = [], instructions: [LaneInstruction] = [], registerCount: Int = 0,
                parameterRegisters: [Int]? = nil) {
        self.parameterCount = parameterCount; self.statistics = statistics; self.statisticRegisters = statisticRegisters
        self.constants = constants; self.instructions = instructions; self.registerCount = registerCount
        self.parameterRegisters = parameterRegisters ?? Array(repeating: -1, count: parameterCount)
    }

    /// No start expressions: every start value must be given.
    public static func none(parameterCount: Int) -> RuntimeStart { RuntimeStart(parameterCount: parameterCount) }

    /// Whether every parameter has a start expression.
    public var isComplete: Bool { parameterRegisters.allSatisfy { $0 >= 0 } }

    /// The start values of one fit (NaN where a parameter has no expression).
    public func values(data: UnsafeBufferPointer<Float>, usable: [Int], coordinates: FitCoordinates, fit: Int) -> [Double] {
        let inputs = DataStatistic.values(statistics, data: data, usable: usable, coordinates: coordinates, fit: fit)
        var registers = [Double](repeating: 0, count: Swift.max(registerCount, 1))
        for (value, register) in zip(inputs, statisticRegisters) { registers[register] = value }
        for constant in constants { registers[constant.register] = constant.value }
        registers.withUnsafeMutableBufferPointer {
            LaneInstruction.run(instructions, registers: $0.baseAddress!, stride: 1, count: 1)
        }
        return parameterRegisters.map { $0 >= 0 ? registers[$0] : .nan }
    }
}
