/// Kinetics of one pixel or wavelength across delay frames: n = 1 to 4 exponential decays
/// convolved with a Gaussian instrument response, plus an offset (docs/reference.md §4), and
/// optionally the coherent artefact. x is the delay.
///
/// Parameters: amplitude_1, tau_1, …, amplitude_n, tau_n, then t0, irf_sigma (s), offset, and with
/// the artefact artifact_0, artifact_1, artifact_2 (c_0, c_1, c_2).
///     f(t) = sum_i A_i/2 exp(-(t - t0)/tau_i + s^2/(2 tau_i^2)) [1 + erf(u_i)] + offset
///            [+ c_0 h_0(g) + c_1 h_1(g) + c_2 h_2(g)],
///     u_i = (t - t0)/(sqrt 2 s) - s/(sqrt 2 tau_i),  g = (t - t0)/s
///
/// The artefact is the response Gaussian E = exp(-g^2/2) and its first and second derivatives
/// in time, scaled by s and s^2 so each amplitude is in data units (the shape TA tools fit for
/// the cross-phase modulation of pump and probe near time zero):
///     h_0 = E,  h_1 = s dE/dt = -g E,  h_2 = s^2 d^2E/dt^2 = (g^2 - 1) E.
/// They obey dh_k/dg = h_(k+1) with h_3 = g (3 - g^2) E, so with q = c_0 h_1 + c_1 h_2 + c_2 h_3,
/// df/dt0 gains -q/s and df/ds gains -g q/s.
///
/// Written so in float32, exp(+100) overflows at t - t0 = -2 ps for tau = 20 fs. The stable form
/// used here writes E = exp(-(t - t0)^2 / (2 s^2)) and the scaled complementary error function
/// erfcx, so every exponential argument is <= 0 where it is used:
///     u < 0:  exp(a)(1 + erf(u)) = E erfcx(-u)
///     u >= 0: exp(a)(1 + erf(u)) = 2 exp(a) - E erfcx(u),  with a <= 0 there
/// and d/dθ [exp(a)(1 + erf u)] = G da/dθ + (2/sqrt pi) E du/dθ, G the bracket itself.
public struct KineticsModel<Lane: FitLane, Components: ExponentialCount>: FitModel {
    @inlinable public static var id: ModelID {
        ModelID.kinetics(exponentials: Components.count, coherentArtifact: Components.coherentArtifact)!
    }
    @inlinable public static var parameterCount: Int { 2 * Components.count + (Components.coherentArtifact ? 6 : 3) }
    // Per component (up to four): amplitude, 1/tau, s/tau. Filled from the parameters once, so
    // evaluating a point divides by nothing.
    @usableFromInline let amplitudes: (Lane, Lane, Lane, Lane)
    @usableFromInline let inverseTaus: (Lane, Lane, Lane, Lane)
    @usableFromInline let irfOverTaus: (Lane, Lane, Lane, Lane)
    @usableFromInline let t0, irf, offset, inverseIRF: Lane
    /// The artefact's amplitudes c_0, c_1, c_2 (zero without it).
    @usableFromInline let artifact: (Lane, Lane, Lane)

    @inlinable @inline(__always)
    public init(parameters p: UnsafePointer<Lane>) {
        let n = 2 * Components.count
        t0 = p[n]; irf = p[n + 1]; offset = p[n + 2]
        inverseIRF = Lane(1) / irf
        let zero = Lane(0)
        let c = Components.count
        amplitudes = (p[0], c > 1 ? p[2] : zero, c > 2 ? p[4] : zero, c > 3 ? p[6] : zero)
        let inverse0 = Lane(1) / p[1]
        let inverse1 = c > 1 ? Lane(1) / p[3] : zero
        let inverse2 = c > 2 ? Lane(1) / p[5] : zero
        let inverse3 = c > 3 ? Lane(1) / p[7] : zero
        inverseTaus = (inverse0, inverse1, inverse2, inverse3)
        irfOverTaus = (irf * inverse0, irf * inverse1, irf * inverse2, irf * inverse3)
        artifact = Components.coherentArtifact ? (p[n + 3], p[n + 4], p[n + 5]) : (zero, zero, zero)
    }

    @inlinable @inline(__always)
    static func component(_ values: (Lane, Lane, Lane, Lane), _ c: Int) -> Lane {
        c == 0 ? values.0 : (c == 1 ? values.1 : (c == 2 ? values.2 : values.3))
    }

    @inlinable @inline(__always)
    public func evaluate(x: Lane, y: Lane, derivatives d: inout ParameterLanes<Lane>) -> Lane {
        let n = 2 * Components.count
        let rootHalf = Lane(0.70710678118654752440), inverseSqrtPi = Lane(0.56418958354775628695)
        let tp = x - t0
        let tpOverS = tp * inverseIRF
        let e = Lane.exp(tpOverS * tpOverS * Lane(-0.5))
        var value = offset
        var byT0 = Lane(0), byIRF = Lane(0)
        for c in 0..<Components.count {
            let amplitude = Self.component(amplitudes, c)
            let inverseTau = Self.component(inverseTaus, c)
            let sOverTau = Self.component(irfOverTaus, c)
            let u = (tpOverS - sOverTau) * rootHalf
            let a = sOverTau * sOverTau * Lane(0.5) - tp * inverseTau
            let eX = e * Lane.erfcx(Lane.absolute(u))
            let expA = Lane.exp(Lane.minimum(a, Lane(80)))
            let g = Lane.select(Lane.lessThan(u, Lane(0)), eX, Lane(2) * expA - eX)
            let halfG = g * Lane(0.5)
            let eTerm = inverseSqrtPi * e * amplitude
            value = value + amplitude * halfG
            d[2 * c] = halfG
            // da/dtau = tp/tau^2 - s^2/tau^3, du/dtau = s/(sqrt 2 tau^2)
            d[2 * c + 1] = amplitude * halfG * (tp - irf * sOverTau) * inverseTau * inverseTau
                + eTerm * rootHalf * sOverTau * inverseTau
            // da/dt0 = 1/tau, du/dt0 = -1/(sqrt 2 s)
            byT0 = byT0 + amplitude * halfG * inverseTau - eTerm * rootHalf * inverseIRF
            // da/ds = s/tau^2, du/ds = -(tp/s^2 + 1/tau)/sqrt 2
            byIRF = byIRF + amplitude * halfG * sOverTau * inverseTau
                - eTerm * rootHalf * (tpOverS * inverseIRF + inverseTau)
        }
        if Components.coherentArtifact {
            let g = tpOverS, gg = tpOverS * tpOverS
            let h1 = -g * e
            let h2 = (gg - Lane(1)) * e
            let h3 = g * (Lane(3) - gg) * e
            value = value + artifact.0 * e + artifact.1 * h1 + artifact.2 * h2
            let q = artifact.0 * h1 + artifact.1 * h2 + artifact.2 * h3
            byT0 = byT0 - q * inverseIRF
            byIRF = byIRF - g * q * inverseIRF
            d[n + 3] = e
            d[n + 4] = h1
            d[n + 5] = h2
        }
        d[n] = byT0
        d[n + 1] = byIRF
        d[n + 2] = Lane(1)
        return value
    }
}

/// The terms of a kinetics model, as a type: its number of exponential components, and whether
/// it has the coherent artefact.
public protocol ExponentialCount {
    static var count: Int { get }
    static var coherentArtifact: Bool { get }
}
extension ExponentialCount {
    @inlinable public static var coherentArtifact: Bool { false }
}
public enum OneExponential: ExponentialCount { @inlinable public static var count: Int { 1 } }
public enum TwoExponentials: ExponentialCount { @inlinable public static var count: Int { 2 } }
public enum ThreeExponentials: ExponentialCount { @inlinable public static var count: Int { 3 } }
public enum FourExponentials: ExponentialCount { @inlinable public static var count: Int { 4 } }
/// `Components` with the coherent artefact.
public enum WithArtifact<Components: ExponentialCount>: ExponentialCount {
    @inlinable public static var count: Int { Components.count }
    @inlinable public static var coherentArtifact: Bool { true }
}
