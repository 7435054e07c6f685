/// The pixel sizes femtofit takes, in nm in the sample plane: from 1 pm (an absurdly fine
/// sampling) to 1 mm. Outside it, lengths in nm overflow or lose every digit (`--pixel-size
/// 1e308` made positions infinite), so every place a pixel size enters (the commands' options,
/// dataset.json, instrument files) checks this one range.
public enum PixelSizeRange {
    public static let nanometres: ClosedRange<Double> = 1e-3...1e6

    /// Nil when `value` is in range, else the reason in words, after `source` (the option or
    /// key; nil where the caller names it already).
    public static func problem(_ value: Double, source: String?) -> String? {
        nanometres.contains(value) ? nil
            : (source.map { $0 + " " } ?? "") + "must be from 0.001 to 1000000 nm per pixel in the sample plane, not \(value)"
    }
}
