import FemtofitTestSupport
import FitCore
import FitEngine
import Foundation
import Pipeline
import TAMData
import XCTest

/// The fitting stage as several workers (`FitWorkers`): blocks that finish out of order are
/// written in order with the numbers one engine call gives, the run reads no further ahead than
/// its window, and a block that fails in a worker fails the run cleanly.
final class FitWorkersTests: XCTestCase {
    var folder: String!
    override func setUp() {
        folder = NSTemporaryDirectory() + "femtofit-workers-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    /// Blocks of the sizes given, one after another from one stack of 13x11 ROIs (whatever
    /// `maximum` says), counting how far reading runs ahead of the fits reported done.
    final class ScriptedSource: FrameSource, @unchecked Sendable {
        let stack: ImageStack
        let sizes: [Int]
        private let lock = NSLock()
        private var produced = 0, position = 0, framesDone = 0
        private(set) var mostAhead = 0
        var failAtBlock: Int?

        init(_ stack: ImageStack, sizes: [Int]) {
            precondition(sizes.reduce(0, +) == stack.frameCount)
            self.stack = stack
            self.sizes = sizes
        }

        var name: String { "scripted.f32" }
        var frameCount: Int { stack.frameCount }
        var pixelsPerFrame: Int { stack.pixelsPerFrame }

        func next(maximum: Int) throws -> FrameBlock? {
            lock.lock(); defer { lock.unlock() }
            guard produced < sizes.count else { return nil }
            if produced == failAtBlock { throw TAMDataError(name, "became unreadable at block \(produced)") }
            let first = position, count = sizes[produced], n = stack.pixelsPerFrame
            produced += 1
            position += count
            // Blocks read but not yet reported done: the block being fitted, those waiting, and this one.
            var done = 0, blocks = 0
            for size in sizes where done + size <= framesDone { done += size; blocks += 1 }
            mostAhead = max(mostAhead, produced - blocks)
            let pixels = Array(stack.pixels[first * n ..< (first + count) * n])
            return FrameBlock(frames: ImageStack(width: stack.width, height: stack.height, pixels: pixels), firstFrame: first, roi: .wholeFrame)
        }

        func reported(_ frames: Int) { lock.lock(); framesDone = frames; lock.unlock() }
    }

    func read(_ path: String, _ name: String) throws -> [Double] { try HDF5File.open(path).dataset(name).readAll() }

    /// Which backends split into one-thread workers: a multi-thread CPU backend into one per
    /// thread (each on one thread), the automatic backend without a GPU likewise, and neither a
    /// one-thread CPU backend nor the reference.
    func testBackendsSplitIntoOneThreadWorkersOnlyWhereThatHelps() {
        let four = CPUBackend(precision: .double, threadCount: 4).singleThreadWorkers()
        XCTAssertEqual(four?.count, 4)
        for worker in four ?? [] {
            XCTAssertEqual((worker as? CPUBackend)?.solver.threadCount, 1)
            XCTAssertEqual(worker.precision, .double)
        }
        XCTAssertNil(CPUBackend(threadCount: 1).singleThreadWorkers())
        XCTAssertNil(ReferenceBackend().singleThreadWorkers())
        let automatic = AutomaticBackend(gpu: nil, cpu: CPUBackend(threadCount: 3), warn: { _ in })
        XCTAssertEqual(automatic.singleThreadWorkers()?.count, 3)
    }

    /// Four workers on blocks of very different sizes (a large block beside small ones finishes
    /// last): fits.h5 and fits.csv hold every fit in order, bit for bit what one call of a
    /// multi-threaded engine gives, and reading never runs more than the window ahead.
    func testOutOfOrderBlocksAreWrittenInOrderBitForBit() throws {
        let seed = freshSeed(71)
        let fits = try randomFits(.gauss2D, estimator: .leastSquares, count: 3_000, seed: seed)
        let oneShot = try FitEngine(backend: CPUBackend(precision: .single, threadCount: 4)).fit(fits.batch)
        let sizes = [1_200, 7, 13, 5, 400, 3, 9, 600, 11, 2, 1, 750 - 1]
        let stack = ImageStack(width: 13, height: 11, pixels: fits.batch.data)
        let source = ScriptedSource(stack, sizes: sizes)
        var fitter = StackFitter(model: .gauss2D, roi: .wholeFrame, engine: FitEngine(backend: CPUBackend(precision: .single, threadCount: 4)))
        let starts = fits.batch.initialParameters!
        fitter.startValues = { first, count in Array(starts[first * 5 ..< (first + count) * 5]) }
        let run = FitRun(fitter: fitter, pixelSize: nil, roiDescription: "whole")
        let out = folder + "/out"
        var reported: [Int] = []
        let summary = try run.run(source, into: out, hasDelays: false) { done, total in
            XCTAssertEqual(total, 3_000)
            reported.append(done)
            source.reported(done)
        }
        // One report per block, in block order.
        var sum = 0
        XCTAssertEqual(reported, sizes.map { sum += $0; return sum })
        XCTAssertEqual(summary.fits, 3_000)
        let h5 = out + "/fits.h5"
        XCTAssertEqual(try read(h5, "/index"), (0..<3_000).map(Double.init))
        XCTAssertEqual(try read(h5, "/parameters").map(\.bitPattern), oneShot.parameters.map(\.bitPattern), "seed \(seed)")
        XCTAssertEqual(try read(h5, "/standard_errors").map(\.bitPattern), oneShot.standardErrors.map(\.bitPattern))
        XCTAssertEqual(try read(h5, "/state"), oneShot.stateCodes.map(Double.init))
        XCTAssertEqual(try read(h5, "/chi2").map(\.bitPattern), oneShot.chiSquares.map(\.bitPattern))
        XCTAssertEqual(try read(h5, "/iterations"), oneShot.iterations.map(Double.init))
        let lines = try String(contentsOfFile: out + "/fits.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.dropFirst().map { Int($0.prefix { $0 != "," })! }, Array(0..<3_000))
        // The shape check's rows point at their fits across blocks.
        let shapeFits = try read(h5, "/shape/fit")
        XCTAssertEqual(shapeFits, shapeFits.sorted())
        XCTAssertGreaterThan(shapeFits.last ?? 0, 2_900)
        // Four workers: a window of 6 blocks between reading and writing, the one being read included.
        XCTAssertGreaterThan(source.mostAhead, 1)
        XCTAssertLessThanOrEqual(source.mostAhead, 6)
    }

    /// A block a worker cannot fit (a negative pixel under Poisson MLE) ends the run with an
    /// error naming the frame, leaves no outputs, and lets every stage finish (no hang); so does a
    /// source that fails after some blocks have been fitted.
    func testAFailingBlockEndsTheRunCleanly() throws {
        let fits = try randomFits(.gauss2D, estimator: .poissonMLE, count: 600, seed: freshSeed(72))
        var pixels = fits.batch.data
        pixels[(450 * 143) + 7] = -5  // frame 450, in the fifth block
        let sizes = [100, 100, 100, 100, 100, 100]
        let engine = FitEngine(backend: CPUBackend(precision: .single, threadCount: 3))
        var settings = FitSettings()
        settings.estimator = .poissonMLE
        let fitter = StackFitter(model: .gauss2D, settings: settings, roi: .wholeFrame, engine: engine)
        let run = FitRun(fitter: fitter, pixelSize: nil, roiDescription: "whole")
        let out = folder + "/out"
        XCTAssertThrowsError(try run.run(ScriptedSource(ImageStack(width: 13, height: 11, pixels: pixels), sizes: sizes), into: out, hasDelays: false)) { error in
            XCTAssertTrue("\(error)".contains("frame 450") && "\(error)".contains("scripted.f32"), "\(error)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out), [])
        let failing = ScriptedSource(ImageStack(width: 13, height: 11, pixels: fits.batch.data), sizes: sizes)
        failing.failAtBlock = 4
        XCTAssertThrowsError(try run.run(failing, into: out, hasDelays: false)) { error in
            XCTAssertTrue("\(error)".contains("unreadable at block 4"), "\(error)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out), [])
    }
}
