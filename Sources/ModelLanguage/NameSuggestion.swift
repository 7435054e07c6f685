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

    /// Edit distance counting a swap of neighbours as one edit (optimal string alignment): "strat"
    /// is one edit from "start", as a typist sees it, not two.
    static func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
            }
        }
        return d[a.count][b.count]
    }

    /// ", did you mean 'x'?" or nothing.
    static func hint(_ name: String, among candidates: [String]) -> String {
        nearest(to: name, among: candidates).map { "; did you mean '\($0)'?" } ?? ""
    }
}
