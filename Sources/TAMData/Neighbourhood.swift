/// The 3x3 neighbourhood of a pixel, clipped at the frame's edges. The preprocessing steps that
/// borrow strength from neighbours — the run spread, pooled variances, the sign, bad pixels — all
/// walk it through here.
public enum Neighbourhood {
    /// Calls `body` with the index of each pixel of (x, y)'s neighbourhood inside the frame;
    /// with `centre` false, (x, y) itself is left out.
    @inline(__always)
    public static func forEach(x: Int, y: Int, width: Int, height: Int, centre: Bool = true, _ body: (Int) -> Void) {
        for dy in -1...1 {
            let yy = y + dy
            guard yy >= 0, yy < height else { continue }
            for dx in -1...1 {
                let xx = x + dx
                guard xx >= 0, xx < width, centre || dx != 0 || dy != 0 else { continue }
                body(yy * width + xx)
            }
        }
    }

    /// The median of `values` (sorted in place; an even count gives the mean of the middle two).
    public static func median<T: FloatingPoint>(_ values: inout [T]) -> T {
        values.sort()
        let c = values.count
        return c % 2 == 1 ? values[c / 2] : (values[c / 2 - 1] + values[c / 2]) / 2
    }
}
