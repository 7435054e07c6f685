// The physics the analysis rests on (`AbsorbedFluence`, `TransportTruth`) lives in the leaf module
// Physics, which simulation and acquisition share without the analysis; `import Transport` still
// brings it, so code written before the move compiles unchanged.
@_exported import Physics
