import FitCore
import XCTest

/// Fits whose parameters are driven onto a bound or whose curvature is singular at the solution,
/// for checking that every backend reports them honestly (`FitState`): never `converged` with a
/// non-finite standard error or a free parameter on a bound.
public enum HonestStateCases {
    /// kinetics1 (amplitude, tau, t0, irf sigma, offset) on delays -500 ... 3000 fs every 10 fs.
    public static let delays = (0...350).map { -500 + 10 * Double($0) }
    public static let fitsPerCase = 8

    /// A named group of fits and what each must end as (nil: anything honest).
    public struct Case: Sendable {
        public var name: String
        public var batch: FitBatch
        /// The parameter that must end on one of its bounds (given, or a default one:
        /// `KineticsBounds`).
        public var boundParameter: Int?
        public var expected: FitState?
    }

    /// The three cases that must end on a bound fit that parameter alone (the others held at the
    /// truth), so chi^2 falls monotonically towards the bound: with every parameter free a capped
    /// lifetime has interior optima (a blip the width of the response) that depend on the floor.
    /// - a lifetime held under the truth's (2 ps) by an upper bound of 300 fs: `atBound` at 300;
    /// - a lifetime driven towards 0 (truth 5 fs, within a 50 fs response) onto a lower bound of
    ///   100 fs: `atBound` at 100;
    /// - an instant rise (response sigma 0.5 fs) fitted with the response's sigma bounded below by
    ///   30 fs, so that it is driven to 30: `atBound` at 30;
    /// - an instant rise with the response free (its default floor, 1 fs): whatever the solver
    ///   ends as, if `converged`, honest;
    /// - noise alone (no signal) from a start with a decay in it: anything, if `converged` honest;
    /// - linear1D on x values all equal: the slope and the intercept cannot be told apart, the
    ///   curvature is singular at every point: `singular`, never `converged` with NaN errors.
    public static func cases(seed: UInt64) throws -> [Case] {
        let n = delays.count, p = 5
        func kinetics(_ name: String, truth: [Double], start: [Double], lower: [Double], upper: [Double],
                      noise: Double, bound: Int?, expected: FitState?, salt: UInt64, free: [Bool]? = nil) throws -> Case {
            var fits = try SyntheticFits.make(model: .kinetics1, count: fitsPerCase, coordinates: .sharedX(delays), pointCount: n,
                                              noise: .gaussian(sigma: noise), seed: seed ^ salt) { _ in truth }
            fits.batch.initialParameters = Array((0..<fitsPerCase).map { _ in start }.joined())
            fits.batch.lowerBounds = Array((0..<fitsPerCase).map { _ in lower }.joined())
            fits.batch.upperBounds = Array((0..<fitsPerCase).map { _ in upper }.joined())
            fits.batch.parametersToFit = free
            _ = p
            return Case(name: name, batch: fits.batch, boundParameter: bound, expected: expected)
        }
        let open = [Double](repeating: -.infinity, count: 5), unbounded = [Double](repeating: .infinity, count: 5)
        var cases: [Case] = []
        var upper = unbounded; upper[1] = 300
        cases.append(try kinetics("lifetime over its upper bound", truth: [1, 2000, 0, 50, 0], start: [1, 200, 0, 50, 0],
                                  lower: open, upper: upper, noise: 0.01, bound: 1, expected: .atBound, salt: 1,
                                  free: [false, true, false, false, false]))
        var lower = open; lower[1] = 100
        cases.append(try kinetics("lifetime driven towards 0", truth: [1, 5, 0, 50, 0], start: [1, 400, 0, 50, 0],
                                  lower: lower, upper: unbounded, noise: 0.002, bound: 1, expected: .atBound, salt: 2,
                                  free: [false, true, false, false, false]))
        lower = open; lower[3] = 30
        cases.append(try kinetics("response width driven towards 0", truth: [1, 1000, 3, 0.5, 0], start: [1, 1000, 3, 60, 0],
                                  lower: lower, upper: unbounded, noise: 0.01, bound: 3, expected: .atBound, salt: 3,
                                  free: [false, false, false, true, false]))
        cases.append(try kinetics("instant rise, response free", truth: [1, 1000, 3, 0.5, 0], start: [1, 1000, 0, 60, 0],
                                  lower: open, upper: unbounded, noise: 0.01, bound: nil, expected: nil, salt: 4))
        cases.append(try kinetics("noise alone", truth: [0, 500, 0, 50, 0], start: [1, 500, 0, 50, 0],
                                  lower: open, upper: unbounded, noise: 0.01, bound: nil, expected: nil, salt: 5))
        let x = [Double](repeating: 2, count: 20)
        let line = try SyntheticFits.make(model: .linear1D, count: fitsPerCase, coordinates: .sharedX(x), pointCount: 20,
                                          noise: .gaussian(sigma: 0.1), seed: seed ^ 6) { _ in [1, 0.5] }
        var lineBatch = line.batch
        lineBatch.initialParameters = Array((0..<fitsPerCase).map { _ in [0.5, 0.2] }.joined())
        cases.append(Case(name: "linear1D on equal x values", batch: lineBatch, boundParameter: nil, expected: .singular))
        return cases
    }

    /// The settings the cases are fitted with.
    public static let settings = FitSettings(maxIterations: 200)

    /// Fits every case with `fit` (a backend through `FitEngine`, named `backend`) and checks the
    /// states; returns a count of each state seen, so a caller can see the promotions happened.
    @discardableResult
    public static func check(_ backend: String, seed: UInt64, file: StaticString = #filePath, line: UInt = #line,
                             fit: (FitBatch, FitSettings) throws -> FitResults) throws -> [FitState: Int] {
        var seen: [FitState: Int] = [:]
        for c in try cases(seed: seed) {
            let r = try fit(c.batch, settings)
            let prepared = try PreparedFits(c.batch, settings: settings)
            let p = c.batch.parameterCount
            let mask = c.batch.parametersToFit ?? [Bool](repeating: true, count: p)
            for fit in 0..<c.batch.fitCount {
                let what = "\(backend), \(c.name), fit \(fit) (seed \(seed))"
                guard let state = r.state(fit) else { XCTFail("\(what): state not written", file: file, line: line); continue }
                seen[state, default: 0] += 1
                if state == .converged {
                    for j in 0..<p where mask[j] {
                        let e = r.standardErrors[fit * p + j], v = r.parameters[fit * p + j]
                        XCTAssertTrue(e.isFinite && e > 0, "\(what): converged with standard error \(e) for parameter \(j)", file: file, line: line)
                        for b in [prepared.lower[fit * p + j], prepared.upper[fit * p + j]] where b.isFinite {
                            XCTAssertGreaterThan(abs(v - b), 1e-6 * max(abs(b), 1), "\(what): converged on the bound \(b) of parameter \(j)", file: file, line: line)
                        }
                    }
                }
                if let expected = c.expected {
                    XCTAssertEqual(state, expected, what, file: file, line: line)
                    if let j = c.boundParameter {
                        let v = r.parameters[fit * p + j]
                        let bounds = [prepared.lower[fit * p + j], prepared.upper[fit * p + j]]
                        XCTAssertTrue(bounds.contains { $0.isFinite && abs(v - $0) <= 1e-5 * abs($0) },
                                      "\(what): parameter \(j) = \(v) is on none of its bounds", file: file, line: line)
                    }
                }
            }
        }
        return seen
    }
}
