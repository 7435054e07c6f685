import CFFTW
import Foundation

/// Sub-pixel drift between two frames by FFT cross-correlation (FFTW), refined by an upsampled
/// DFT around the peak (Guizar-Sicairos, Thurman & Fienup, Opt. Lett. 33, 156 (2008)), and
/// frames moved by a measured shift. Used to line up runs and spots before they are averaged.
///
/// The cross-power spectrum is not whitened by default: classic phase correlation divides it by
/// its magnitude, which is exact for sharp features, but a TAM frame is a smooth spot whose high
/// frequencies are noise, and whitening gives that noise the weight of the signal (`whitened`
/// turns it on). NaN pixels count as 0 and the frames' means are ignored when measuring; a
/// uniform frame gives no shift.
public enum Registration {
    /// FFTW's planner is not thread-safe.
    private static let plannerLock = NSLock()

    /// The shift (dx, dy), in pixels, that moves `reference` onto `moving`: moving(x, y) ≈
    /// reference(x - dx, y - dy). `upsampling`: the refinement's steps per pixel.
    public static func shift(reference: ImageStack, moving: ImageStack, frame: Int = 0, whitened: Bool = false,
                             upsampling: Int = 100) throws -> (dx: Double, dy: Double) {
        guard reference.width == moving.width, reference.height == moving.height else {
            throw TAMDataError("registration", "frames of \(reference.width)x\(reference.height) and \(moving.width)x\(moving.height) cannot be registered; they must have the same size")
        }
        let w = reference.width, h = reference.height, n = w * h
        let a = try spectrum(Array(reference.frame(frame)), width: w, height: h)
        let b = try spectrum(Array(moving.frame(frame)), width: w, height: h)
        // Cross-power spectrum B conj(A): its inverse transform peaks at the shift.
        var cross = [(Double, Double)](repeating: (0, 0), count: n)
        for k in 0..<n {
            var re = b[k].0 * a[k].0 + b[k].1 * a[k].1, im = b[k].1 * a[k].0 - b[k].0 * a[k].1
            if whitened {
                let magnitude = (re * re + im * im).squareRoot()
                if magnitude > 0 { re /= magnitude; im /= magnitude }
            }
            cross[k] = (re, im)
        }
        // The frames' means say nothing about where they are: drop the zero frequency.
        cross[0] = (0, 0)
        // Nothing to line up (a blank or uniform frame): no shift.
        if !cross.contains(where: { $0.0 != 0 || $0.1 != 0 }) { return (0, 0) }
        // Coarse peak on the integer grid, then a fine grid of ±0.75 px around it.
        let coarse = correlation(cross, width: w, height: h, xs: (0..<w).map(Double.init), ys: (0..<h).map(Double.init))
        var best = 0
        for k in 0..<n where coarse[k] > coarse[best] { best = k }
        var peakX = Double(best % w), peakY = Double(best / w)
        if peakX > Double(w / 2) { peakX -= Double(w) }
        if peakY > Double(h / 2) { peakY -= Double(h) }
        let steps = Int(1.5 * Double(upsampling)) + 1
        let fine = (0..<steps).map { Double($0) / Double(upsampling) - 0.75 }
        let xs = fine.map { peakX + $0 }, ys = fine.map { peakY + $0 }
        let values = correlation(cross, width: w, height: h, xs: xs, ys: ys)
        var top = 0
        for k in values.indices where values[k] > values[top] { top = k }
        return (xs[top % steps], ys[top / steps])
    }

    /// The frame moved by (dx, dy) pixels, by bilinear interpolation; pixels that come from
    /// outside the frame, or next to a NaN, are NaN.
    public static func apply(_ frame: [Float], width: Int, height: Int, dx: Double, dy: Double) -> [Float] {
        var out = [Float](repeating: .nan, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                let sx = Double(x) - dx, sy = Double(y) - dy
                let x0 = Int(sx.rounded(.down)), y0 = Int(sy.rounded(.down))
                let fx = Float(sx - Double(x0)), fy = Float(sy - Double(y0))
                guard x0 >= 0, y0 >= 0, x0 < width, y0 < height else { continue }
                let x1 = min(x0 + 1, width - 1), y1 = min(y0 + 1, height - 1)
                if (x1 == x0 && fx > 0) || (y1 == y0 && fy > 0) { continue }
                let v00 = frame[y0 * width + x0], v10 = frame[y0 * width + x1]
                let v01 = frame[y1 * width + x0], v11 = frame[y1 * width + x1]
                out[y * width + x] = (v00 * (1 - fx) + v10 * fx) * (1 - fy) + (v01 * (1 - fx) + v11 * fx) * fy
            }
        }
        return out
    }

    /// The 2D DFT of a real frame (NaN as 0), as (re, im) pairs, row-major.
    static func spectrum(_ pixels: [Float], width: Int, height: Int) throws -> [(Double, Double)] {
        let n = width * height
        guard let buffer = fftwf_alloc_complex(n) else { throw TAMDataError("registration", "cannot allocate FFT memory for \(width)x\(height) frames") }
        defer { fftwf_free(buffer) }
        let floats = UnsafeMutableRawPointer(buffer).assumingMemoryBound(to: Float.self)
        plannerLock.lock()
        let plan = fftwf_plan_dft_2d(Int32(height), Int32(width), buffer, buffer, FFTW_FORWARD, FFTW_ESTIMATE)
        plannerLock.unlock()
        guard let plan else { throw TAMDataError("registration", "FFTW could not plan a \(width)x\(height) transform") }
        for k in 0..<n {
            floats[2 * k] = pixels[k].isFinite ? pixels[k] : 0
            floats[2 * k + 1] = 0
        }
        fftwf_execute(plan)
        plannerLock.lock()
        fftwf_destroy_plan(plan)
        plannerLock.unlock()
        return (0..<n).map { (Double(floats[2 * $0]), Double(floats[2 * $0 + 1])) }
    }

    /// Re of the inverse DFT of `cross` at the points (xs[i], ys[j]), which need not be integers
    /// (the matrix-multiply DFT of the upsampled refinement): out[j * xs.count + i].
    static func correlation(_ cross: [(Double, Double)], width w: Int, height h: Int, xs: [Double], ys: [Double]) -> [Double] {
        func frequency(_ k: Int, _ size: Int) -> Double { Double(k <= size / 2 ? k : k - size) }
        // First over columns: partial[ky][i] = sum_kx cross[ky][kx] e^{2 pi i kx x_i / w}.
        var partial = [(Double, Double)](repeating: (0, 0), count: h * xs.count)
        var phase = [(Double, Double)](repeating: (0, 0), count: w * xs.count)
        for (i, x) in xs.enumerated() {
            for kx in 0..<w {
                let angle = 2 * Double.pi * frequency(kx, w) * x / Double(w)
                phase[i * w + kx] = (cos(angle), sin(angle))
            }
        }
        for ky in 0..<h {
            for i in xs.indices {
                var re = 0.0, im = 0.0
                for kx in 0..<w {
                    let c = cross[ky * w + kx], p = phase[i * w + kx]
                    re += c.0 * p.0 - c.1 * p.1
                    im += c.0 * p.1 + c.1 * p.0
                }
                partial[ky * xs.count + i] = (re, im)
            }
        }
        var out = [Double](repeating: 0, count: xs.count * ys.count)
        for (j, y) in ys.enumerated() {
            var rowPhase: [(Double, Double)] = []
            rowPhase.reserveCapacity(h)
            for ky in 0..<h {
                let angle = 2 * Double.pi * frequency(ky, h) * y / Double(h)
                rowPhase.append((cos(angle), sin(angle)))
            }
            for i in xs.indices {
                var re = 0.0
                for ky in 0..<h {
                    let c = partial[ky * xs.count + i], p = rowPhase[ky]
                    re += c.0 * p.0 - c.1 * p.1
                }
                out[j * xs.count + i] = re
            }
        }
        return out
    }
}
