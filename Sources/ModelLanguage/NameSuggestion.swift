/// The known name nearest to a mistyped one, for "did you mean ...?".
enum NameSuggestion {
    /// The candidate with the smallest edit distance, if it is close enough to be a typo (at most a
    /// third of the name's length, at least 1, or the same name in other case).
    static func nearest(to name: String, among candidates: [String]) -> String? {
        var best: (String, Int)?
        for candidate in candidates {
            if candidate.lowercased() == name.lowercased() { return candidate }
            let d = distance(Array(name), Array(candidate))
            if d < (best?.1 ?? .max) { best = (candidate, d) }
        }
        guard let (candidate, d) = best, d <= max(1, name.count / 3) else { return nil }
        return candidate
    }

    /// Levenshtein distance.
    static func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        var previous = Array(0...b.count), current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...max(b.count, 1) where j <= b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }

    /// ", did you mean 'x'?" or nothing.
    static func hint(_ name: String, among candidates: [String]) -> String {
        nearest(to: name, among: candidates).map { "; did you mean '\($0)'?" } ?? ""
    }
}
