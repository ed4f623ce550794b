// The umbrella module: `import FingerprintKit` gives the engine's public API.
@_exported import FingerprintCore
@_exported import FingerprintReport
@_exported import FingerprintStatistics
@_exported import FingerprintSynth
