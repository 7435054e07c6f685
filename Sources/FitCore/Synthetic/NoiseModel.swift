/// Noise on simulated data, and the variance the Cramér–Rao bound assumes for it.
public enum NoiseModel: Sendable, Equatable {
    case none
    /// Photon counting: variance = mean.
    case poisson
    /// Additive Gaussian noise of a fixed standard deviation.
    case gaussian(sigma: Double)
    /// EMCCD at high gain: Poisson photons times the register's gain noise, variance = 2 x mean.
    case emccd

    /// The variance of a sample whose expected value is `mean`.
    public func variance(mean: Double) -> Double {
        switch self {
        case .none: return 0
        case .poisson: return mean
        case .gaussian(let sigma): return sigma * sigma
        case .emccd: return 2 * mean
        }
    }

    public func sample(mean: Double, random: inout SeededRandom) -> Double {
        switch self {
        case .none: return mean
        case .poisson: return random.poisson(max(mean, 0))
        case .gaussian(let sigma): return mean + sigma * random.normal()
        case .emccd: return random.emccd(max(mean, 0))
        }
    }
}
