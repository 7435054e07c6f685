#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// xoshiro256** (Blackman & Vigna): a small, fast generator whose stream is fixed by its seed,
/// so simulations, tests and benchmarks are reproducible.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var s: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var z = seed
        func splitMix() -> UInt64 {
            z &+= 0x9E37_79B9_7F4A_7C15
            var x = z
            x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
            x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
            return x ^ (x >> 31)
        }
        s = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    public mutating func next() -> UInt64 {
        let result = ((s.1 &* 5) << 7 | (s.1 &* 5) >> 57) &* 9
        let t = s.1 << 17
        s.2 ^= s.0; s.3 ^= s.1; s.1 ^= s.2; s.0 ^= s.3
        s.2 ^= t
        s.3 = (s.3 << 45) | (s.3 >> 19)
        return result
    }

    /// Uniform in [0, 1).
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    public mutating func uniform(_ range: ClosedRange<Double>) -> Double {
        range.lowerBound + (range.upperBound - range.lowerBound) * uniform()
    }

    /// Standard normal (Box–Muller).
    public mutating func normal() -> Double {
        var u = uniform()
        while u <= 0 { u = uniform() }
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * uniform())
    }

    /// Two independent standard normals (Marsaglia's polar method: no trigonometry, for
    /// simulations that need many).
    public mutating func normalPair() -> (Double, Double) {
        while true {
            let u = 2 * uniform() - 1, v = 2 * uniform() - 1, s = u * u + v * v
            guard s > 0, s < 1 else { continue }
            let scale = (-2 * log(s) / s).squareRoot()
            return (u * scale, v * scale)
        }
    }

    /// Poisson-distributed count of mean `mean`: Knuth's product method below 10, Hörmann's
    /// transformed rejection (PTRS, 1993) above, both exact.
    public mutating func poisson(_ mean: Double) -> Double {
        guard mean > 0 else { return 0 }
        if mean < 10 {
            let limit = exp(-mean)
            var k = 0.0, product = uniform()
            while product > limit { k += 1; product *= uniform() }
            return k
        }
        let slam = mean.squareRoot(), logLam = log(mean)
        let b = 0.931 + 2.53 * slam
        let a = -0.059 + 0.02483 * b
        let invAlpha = 1.1239 + 1.1328 / (b - 3.4)
        let vr = 0.9277 - 3.6224 / (b - 2)
        while true {
            let u = uniform() - 0.5
            let v = uniform()
            let us = 0.5 - abs(u)
            let k = floor((2 * a / us + b) * u + mean + 0.43)
            if us >= 0.07 && v <= vr { return k }
            if k < 0 || (us < 0.013 && v > us) { continue }
            if log(v) + log(invAlpha) - log(a / (us * us) + b) <= -mean + k * logLam - lgamma(k + 1) { return k }
        }
    }

    /// An EMCCD's output for `mean` expected photoelectrons at high gain, in photoelectron units:
    /// Poisson arrivals, then the multiplication register's gamma-distributed gain, which doubles
    /// the variance (excess-noise factor sqrt 2).
    public mutating func emccd(_ mean: Double) -> Double {
        let electrons = poisson(mean)
        return electrons > 0 ? gamma(shape: electrons) : 0
    }

    /// Gamma(shape, 1) by Marsaglia & Tsang (2000), for shape >= 1.
    public mutating func gamma(shape: Double) -> Double {
        let d = shape - 1.0 / 3, c = 1 / (9 * d).squareRoot()
        while true {
            var x = 0.0, v = 0.0
            repeat { x = normal(); v = 1 + c * x } while v <= 0
            v = v * v * v
            let u = uniform()
            if u < 1 - 0.0331 * x * x * x * x || log(u) < 0.5 * x * x + d * (1 - v + log(v)) { return d * v }
        }
    }
}
