extension ExpressionGraph {
    /// d(node)/d(variable `variable`), built into the same graph (so it shares the value's
    /// subexpressions), memoised in `memo` for one variable.
    public mutating func derivative(of node: Int, by variable: Int, memo: inout [Int: Int]) -> Int {
        if let known = memo[node] { return known }
        let result: Int
        switch nodes[node] {
        case .constant:
            result = constant(0)
        case .variable(let v):
            result = constant(v == variable ? 1 : 0)
        case .unary(let f, let a):
            let da = derivative(of: a, by: variable, memo: &memo)
            if constantValue(da) == 0 { result = constant(0); break }
            result = make(.binary(.multiply, unaryDerivative(f, of: a, at: node), da))
        case .binary(let f, let a, let b):
            let da = derivative(of: a, by: variable, memo: &memo), db = derivative(of: b, by: variable, memo: &memo)
            switch f {
            case .add: result = make(.binary(.add, da, db))
            case .subtract: result = make(.binary(.subtract, da, db))
            case .multiply:
                result = make(.binary(.add, make(.binary(.multiply, da, b)), make(.binary(.multiply, a, db))))
            case .divide:
                // (a' - (a / b) b') / b
                let quotientTimesDb = make(.binary(.multiply, node, db))
                result = make(.binary(.divide, make(.binary(.subtract, da, quotientTimesDb)), b))
            case .power:
                if let exponent = constantValue(b) {
                    // b a^(b-1) a'
                    let lowered = make(.binary(.power, a, constant(exponent - 1)))
                    result = make(.binary(.multiply, make(.binary(.multiply, constant(exponent), lowered)), da))
                } else {
                    // b' a^b ln a + b a^(b-1) a', the first term taken as its limit 0 where a is 0
                    // (a^b ln a -> 0 for b > 0; computed as it stands it would be 0 x -inf = NaN,
                    // so (t / tau)^beta could not be fitted where t reaches 0), the second 0 where
                    // a' is. Each term only where its derivative is not the constant 0.
                    let zero = constant(0)
                    var terms: [Int] = []
                    if constantValue(db) != 0 {
                        let logTerm = make(.binary(.multiply, node, make(.unary(.log, a))))
                        terms.append(make(.binary(.multiply, make(.lessThanSelect(zero, a, logTerm, zero)), db)))
                    }
                    if constantValue(da) != 0 {
                        // Where a' is 0 the term is 0, also where a^(b-1) is infinite (a = 0, b < 1).
                        let lowered = make(.binary(.power, a, make(.binary(.subtract, b, constant(1)))))
                        let term = make(.binary(.multiply, make(.binary(.multiply, b, lowered)), da))
                        terms.append(make(.lessThanSelect(zero, make(.binary(.multiply, da, da)), term, zero)))
                    }
                    result = terms.isEmpty ? zero : terms.dropFirst().reduce(terms[0]) { make(.binary(.add, $0, $1)) }
                }
            case .minimum: result = make(.lessThanSelect(a, b, da, db))
            case .maximum: result = make(.lessThanSelect(b, a, da, db))
            }
        case .lessThanSelect(let a, let b, let c, let d):
            let dc = derivative(of: c, by: variable, memo: &memo), dd = derivative(of: d, by: variable, memo: &memo)
            result = make(.lessThanSelect(a, b, dc, dd))
        }
        memo[node] = result
        return result
    }

    /// f'(a), given `node` = f(a) for the functions whose derivative reuses the value.
    private mutating func unaryDerivative(_ f: Unary, of a: Int, at node: Int) -> Int {
        let twoOverRootPi = 2 / Double.pi.squareRoot()
        switch f {
        case .negate: return constant(-1)
        case .exp: return node
        case .log: return make(.binary(.divide, constant(1), a))
        case .sqrt: return make(.binary(.divide, constant(0.5), node))
        case .abs:
            return make(.lessThanSelect(a, constant(0), constant(-1), constant(1)))
        case .sin: return make(.unary(.cos, a))
        case .cos: return make(.unary(.negate, make(.unary(.sin, a))))
        case .tan: return make(.binary(.add, constant(1), make(.binary(.multiply, node, node))))
        case .atan: return make(.binary(.divide, constant(1), make(.binary(.add, constant(1), make(.binary(.multiply, a, a))))))
        case .erf, .erfc:
            // ±2/sqrt(pi) exp(-a^2)
            let gaussian = make(.unary(.exp, make(.unary(.negate, make(.binary(.multiply, a, a))))))
            return make(.binary(.multiply, constant(f == .erf ? twoOverRootPi : -twoOverRootPi), gaussian))
        case .erfcx:
            // 2 a erfcx(a) - 2/sqrt(pi)
            return make(.binary(.subtract, make(.binary(.multiply, constant(2), make(.binary(.multiply, a, node)))), constant(twoOverRootPi)))
        }
    }
}
