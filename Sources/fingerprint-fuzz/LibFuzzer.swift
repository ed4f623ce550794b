#if FUZZING
    import FingerprintFuzz
    import Foundation

    private var target = FuzzTarget.jsonl

    /// Reads the target from FINGERPRINT_FUZZ_TARGET before the first input.
    @_cdecl("LLVMFuzzerInitialize")
    public func fuzzerInitialize(
        _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
    ) -> CInt {
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
        guard let name = ProcessInfo.processInfo.environment["FINGERPRINT_FUZZ_TARGET"], let t = FuzzTarget(rawValue: name) else {
            FileHandle.standardError.write(Data("fingerprint-fuzz: set FINGERPRINT_FUZZ_TARGET to one of \(names)\n".utf8))
            exit(64)
        }
        target = t
        return 0
    }

    /// One input: a failed check is a crash, which libFuzzer saves.
    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
        let bytes = size > 0 && data != nil ? Array(UnsafeBufferPointer(start: data, count: size)) : []
        do {
            try target.check(bytes)
        } catch {
            fatalError("\(target.rawValue): \(error)")
        }
        return 0
    }
#endif
