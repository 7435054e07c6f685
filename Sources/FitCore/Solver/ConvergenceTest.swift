/// Which convergence test a batch uses.
public enum ConvergenceRule: String, CaseIterable, Sendable {
    /// femtofit's test (the default; see `ConvergenceTest`).
    case relative
    /// Gpufit's test, exactly: |chi^2_trial - chi^2| < tol * max(1, chi^2_trial), after any step,
    /// accepted or not. The Gpufit-compatible C entry points use it, so that programs written for
    /// Gpufit see the same states and iteration counts.
    case gpufit
}

/// The convergence test every solver shares.
///
/// An iteration's change in chi^2 is small when |chi^2_trial - chi^2| < tol * max(chi^2, floor),
/// floor = `floorFraction` x sum w z^2 (see `ReferenceSolver` for why it is not Gpufit's
/// max(1, chi^2)). A fit has converged after a small change from an accepted step, or from a
/// rejected step that follows another small change.
///
/// The second clause is femtofit's refinement of Gpufit's rule (which stops on any small change).
/// In a long curved valley (multi-exponential kinetics whose lifetimes are known to ~20 %) LM
/// zig-zags, and a rejected step can land where chi^2 rises by less than float32 can resolve:
/// Gpufit's rule then stops a float32 fit far from the minimum that float64 goes on to find.
/// A rejected step only raises lambda, so the next iteration tries a shorter step; requiring its
/// change to be small too costs one iteration at a true minimum and none on accepted steps.
///
/// `ConvergenceRule.gpufit` selects Gpufit's rule instead (both clauses differ).
public enum ConvergenceTest {
    /// chi^2 below this fraction of the data's own weighted sum of squares counts as an exact fit.
    public static let floorFraction = 1e-10

    /// Whether an iteration changed chi^2 by little. `floor` is `floorFraction` x sum w z^2.
    @inlinable
    public static func changeIsSmall(trial: Double, current: Double, tolerance: Double, floor: Double,
                                     rule: ConvergenceRule) -> Bool {
        let reference = rule == .gpufit ? max(1, trial) : max(floor, current)
        return abs(trial - current) < tolerance * reference
    }

    /// Whether a fit has converged after this iteration (see the type's documentation).
    @inlinable
    public static func hasConverged(changeIsSmall: Bool, accepted: Bool, previousChangeWasSmall: Bool,
                                    rule: ConvergenceRule = .relative) -> Bool {
        rule == .gpufit ? changeIsSmall : changeIsSmall && (accepted || previousChangeWasSmall)
    }
}
