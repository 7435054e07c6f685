import Foundation

/// Fresh random inputs for every run: the seed changes per run and is printed in failure
/// messages, so a failing case can be replayed with FEMTOFIT_TEST_SEED=<seed>.
public func freshSeed(_ salt: UInt64) -> UInt64 {
    if let fixed = ProcessInfo.processInfo.environment["FEMTOFIT_TEST_SEED"], let seed = UInt64(fixed) { return seed ^ salt }
    return UInt64.random(in: 1...UInt64.max) ^ salt
}
