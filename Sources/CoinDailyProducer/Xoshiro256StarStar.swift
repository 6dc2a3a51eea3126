import Foundation

/// xoshiro256** (Blackman & Vigna): a small, fast, seedable pseudo-random generator.
///
/// Used by the producers' simulators so that one seed always yields the same sequence, on every
/// platform and Swift version (the standard library's generators are either unseeded or
/// unspecified). The 256-bit state is filled from the 64-bit seed with SplitMix64, as the authors
/// recommend. Uniform and Gaussian draws are implemented here too rather than with
/// `Double.random(in:using:)`, whose algorithm the standard library does not promise to keep.
/// Not cryptographically secure.
public struct Xoshiro256StarStar: RandomNumberGenerator, Sendable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// Seeds the generator; equal seeds give equal sequences.
    public init(seed: UInt64) {
        var state = seed
        func splitMix64() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix64()
        s1 = splitMix64()
        s2 = splitMix64()
        s3 = splitMix64()
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = rotateLeft(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotateLeft(s3, 45)
        return result
    }

    private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 {
        (x << k) | (x >> (64 - k))
    }

    /// A uniform double in [0, 1) with 53 random bits.
    public mutating func nextUniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A uniform double in [lower, upper).
    public mutating func nextUniform(_ lower: Double, _ upper: Double) -> Double {
        lower + (upper - lower) * nextUniform()
    }

    /// A standard normal draw (Box–Muller; one of the pair is discarded for simplicity).
    public mutating func nextGaussian() -> Double {
        let u1 = 1 - nextUniform() // (0, 1], so the logarithm is finite
        let u2 = nextUniform()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// A Poisson draw with mean `lambda`: Knuth's product method for small means, a rounded
    /// normal approximation above 30.
    public mutating func nextPoisson(_ lambda: Double) -> Int {
        guard lambda > 0 else { return 0 }
        if lambda > 30 {
            return max(0, Int((lambda + lambda.squareRoot() * nextGaussian()).rounded()))
        }
        let limit = exp(-lambda)
        var count = 0
        var product = nextUniform()
        while product > limit {
            count += 1
            product *= nextUniform()
        }
        return count
    }
}
