import FingerprintKit
import Foundation
import XCTest

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// `fingerprint weights` as a user runs it: outputs, exit codes, one-line errors.
final class WeightsCLITests: XCTestCase {
    let dir = "Tests/FingerprintKitTests/Fixtures/weights"
    var a: String { dir + "/a.safetensors" }
    var b: String { dir + "/b.safetensors" }

    func testTableJSONAndCSV() throws {
        let t = try CLITests.run(["weights", a, b])
        XCTAssertEqual(t.status, 0, t.stderr)
        XCTAssertTrue(t.stdout.contains("1 vs 2: DERIVED"), t.stdout)
        XCTAssertTrue(t.stdout.contains("layers.1.up.weight"), t.stdout)
        XCTAssertTrue(t.stdout.contains("not compared: position_ids"), t.stdout)

        let j = try CLITests.run(["weights", a, b, "--format", "json"])
        XCTAssertEqual(j.status, 0, j.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(json["schema"] as? String, "fingerprint.weights/1")
        let pair = (json["pairs"] as! [[String: Any]])[0]
        XCTAssertEqual(pair["verdict"] as? String, "derived")
        let up = (pair["tensors"] as! [[String: Any]]).first { $0["name"] as? String == "layers.1.up.weight" }!
        XCTAssertEqual(((up["alignment"] as! [String: Any])["permutation"] as! [Int]).count, 24)

        let c = try CLITests.run(["weights", a, b, "--format", "csv"])
        XCTAssertEqual(c.status, 0, c.stderr)
        let lines = c.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 1 + 11)
        XCTAssertTrue(lines[0].hasPrefix("model_a,model_b,verdict,tensor,"))

        let h = try CLITests.run(["weights", a, b, "--format", "html"])
        XCTAssertEqual(h.status, 0, h.stderr)
        XCTAssertTrue(h.stdout.hasPrefix("<!DOCTYPE html>"))
        XCTAssertTrue(h.stdout.contains("a.safetensors vs b.safetensors: derived"), h.stdout)
    }

    /// Same bytes with one thread or two; three models give a matrix and one lineage.
    func testThreadsAndThreeModels() throws {
        let one = try CLITests.run(["weights", a, b, dir + "/b-sharded", "--format", "json", "--threads", "1"])
        let two = try CLITests.run(["weights", a, b, dir + "/b-sharded", "--format", "json", "--threads", "2"])
        XCTAssertEqual(one.status, 0, one.stderr)
        XCTAssertEqual(one.stdout, two.stdout)
        let json = try JSONSerialization.jsonObject(with: Data(one.stdout.utf8)) as! [String: Any]
        XCTAssertEqual((json["pairs"] as! [Any]).count, 3)
        XCTAssertEqual(json["lineages"] as? [[Int]], [[0, 1, 2]])
        let matrix = json["matrix"] as! [[Double]]
        XCTAssertEqual(matrix.count, 3)
        XCTAssertEqual(matrix[1][2], 1, "b and its sharded copy are identical")
        let table = try CLITests.run(["weights", a, b, dir + "/b-sharded"])
        XCTAssertTrue(table.stdout.contains("Lineages"), table.stdout)
    }

    /// A malformed file: exit 65 and one line naming the file and the fault;
    /// a missing one: 66; bad usage: 64.
    func testExitCodesAndOneLineErrors() throws {
        for (name, fault) in [("overlap", "overlap"), ("size-mismatch", "needs 24 bytes"), ("length-past-end", "runs past the end")] {
            let path = "\(dir)/bad/\(name).safetensors"
            let r = try CLITests.run(["weights", a, path])
            XCTAssertEqual(r.status, 65, name)
            XCTAssertTrue(r.stdout.isEmpty)
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
            XCTAssertTrue(r.stderr.hasPrefix("fingerprint: error: \(path): not a valid safetensors file: "), r.stderr)
            XCTAssertTrue(r.stderr.contains(fault), r.stderr)
        }
        let missing = try CLITests.run(["weights", a, "\(dir)/no-such.safetensors"])
        XCTAssertEqual(missing.status, 66)
        XCTAssertEqual(missing.stderr.split(separator: "\n").count, 1, missing.stderr)
        XCTAssertEqual(try CLITests.run(["weights", a]).status, 64)
        XCTAssertEqual(try CLITests.run(["weights", a, b, "--null", "-1"]).status, 64)
        XCTAssertEqual(try CLITests.run(["weights", a, b, "--null", "0", "--inits", "1"]).status, 64)
        let flat = try CLITests.run(["weights", a, b, "--null", "0", "--inits", "0", "--align", "none", "--no-spectra"])
        XCTAssertEqual(flat.status, 0, flat.stderr)
        XCTAssertTrue(flat.stdout.contains("1 vs 2: NO VERDICT"), flat.stdout)
        XCTAssertEqual(try CLITests.run(["weights", a, b, "--format", "jsonl"]).status, 64)
        XCTAssertEqual(try CLITests.run(["weights", a, b, "--output", a]).status, 64, "never overwrite an input")
    }

    /// `stats` on a checkpoint: a file or a sharded directory, the same
    /// numbers; a malformed one is exit 65.
    func testStatsOnACheckpoint() throws {
        let single = try CLITests.run(["stats", b, "--format", "json"])
        let sharded = try CLITests.run(["stats", dir + "/b-sharded", "--format", "json", "--threads", "1"])
        XCTAssertEqual(single.status, 0, single.stderr)
        let x = try JSONSerialization.jsonObject(with: Data(single.stdout.utf8)) as! [String: Any]
        let y = try JSONSerialization.jsonObject(with: Data(sharded.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(x["schema"] as? String, "fingerprint.weights-stats/1")
        XCTAssertEqual((x["tensors"] as! [[String: Any]]).count, 11)
        XCTAssertEqual((x["layers"] as! [[String: Any]]).map { $0["layer"] as! Int }, [0, 1, 2])
        XCTAssertEqual(x["tensors"] as? NSArray, y["tensors"] as? NSArray)
        XCTAssertEqual(y["sharded"] as? Bool, true)
        let t = try CLITests.run(["stats", a])
        XCTAssertTrue(t.stdout.contains("Per-layer profile"), t.stdout)
        let c = try CLITests.run(["stats", a, "--format", "csv"])
        XCTAssertEqual(c.stdout.split(separator: "\n").count, 1 + 11 + 3)
        let bad = try CLITests.run(["stats", "\(dir)/bad/overlap.safetensors"])
        XCTAssertEqual(bad.status, 65)
        XCTAssertEqual(bad.stderr.split(separator: "\n").count, 1, bad.stderr)
    }
    /// `--null 0 --inits 0` (flat statistics only) gives no verdict in any
    /// format: the table says so, the JSON pair has no `verdict` key, the CSV
    /// verdict cells are empty and the HTML names none; the flat statistics
    /// are those of the full run. (It printed "INCONCLUSIVE".)
    func testNoVerdictWithoutANull() throws {
        let flat = ["--null", "0", "--inits", "0"]
        let t = try CLITests.run(["weights", a, b] + flat)
        XCTAssertEqual(t.status, 0, t.stderr)
        XCTAssertTrue(t.stdout.contains("1 vs 2: NO VERDICT\n  no null (0 mismatched tensors, 0 initialisations)"), t.stdout)
        for v in ["DERIVED", "INDEPENDENT", "INCONCLUSIVE"] { XCTAssertFalse(t.stdout.contains(v), t.stdout) }

        let j = try CLITests.run(["weights", a, b, "--format", "json"] + flat)
        XCTAssertEqual(j.status, 0, j.stderr)
        let pair = try XCTUnwrap(
            ((try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as? [String: Any])?["pairs"] as? [[String: Any]])?.first)
        XCTAssertNil(pair["verdict"], "no verdict key without a null")
        XCTAssertTrue((pair["evidence"] as? String)?.contains("no verdict") == true)
        let full = try CLITests.run(["weights", a, b, "--format", "json"])
        let fullPair = try XCTUnwrap(
            ((try JSONSerialization.jsonObject(with: Data(full.stdout.utf8)) as? [String: Any])?["pairs"] as? [[String: Any]])?.first)
        XCTAssertEqual(fullPair["verdict"] as? String, "derived")
        let pearson = { (p: [String: Any]) in (p["tensors"] as! [[String: Any]]).map { $0["pearson"] as? Double } }
        XCTAssertEqual(pearson(pair), pearson(fullPair), "the same flat statistics")

        let c = try CLITests.run(["weights", a, b, "--format", "csv"] + flat)
        XCTAssertEqual(c.status, 0, c.stderr)
        let rows = c.stdout.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        XCTAssertEqual(rows[0][2], "verdict")
        XCTAssertEqual(rows.count, 1 + 11)
        for r in rows.dropFirst() { XCTAssertEqual(r[2], "", r.joined(separator: ",")) }

        let h = try CLITests.run(["weights", a, b, "--format", "html"] + flat)
        XCTAssertEqual(h.status, 0, h.stderr)
        XCTAssertTrue(h.stdout.contains("a.safetensors vs b.safetensors: no verdict — no null"), h.stdout)
        for v in ["derived —", "independent —", "inconclusive —", "Inconclusive:", "Derived:"] { XCTAssertFalse(h.stdout.contains(v), v) }
    }

    /// `stats` and `weights` on a checkpoint holding NaN and ±Inf: no
    /// LAPACK failure (exit 70) but each tensor's count of non-finite
    /// values, its statistics over the finite ones (by hand below), no
    /// spectrum for a matrix with any, and a note; `weights` lists the
    /// tensors as not compared, with the counts.
    func testStatsAndWeightsOnACheckpointWithNonFiniteValues() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fp-wnan-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        let tensors: [(String, [Int], [Float])] = [
            ("layer.0.a", [9], [1, 2, 3, 4, .nan, 5, 6, 7, 8]),
            ("layer.0.b", [3, 3], [1, 2, 3, 4, .infinity, 6, 7, 8, 9]),
            ("layer.0.c", [2], [.nan, -.infinity]),
            ("layer.1.w", [3, 3], [0, 3, 0, 2, 0, 0, 0, 0, 1]),
        ]
        let path = dir.appendingPathComponent("nan.safetensors").path
        try SafetensorsWriter.write(tensors.map { SafetensorsWriter.Entry(name: $0.0, dtype: .f32, shape: $0.1) }, to: path) {
            TensorConversion.encode(tensors[$0].2, as: .f32)
        }
        let j = try CLITests.run(["stats", path, "--format", "json"])
        XCTAssertEqual(j.status, 0, j.stderr)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as? [String: Any])
        var byName: [String: [String: Any]] = [:]
        for t in json["tensors"] as! [[String: Any]] { byName[t["name"] as! String] = t }
        func close(_ x: Any?, _ y: Double, _ what: String, line: UInt = #line) {
            let v = (x as? Double) ?? .nan
            XCTAssertLessThanOrEqual(abs(v - y), 1e-12 * max(1, abs(y)), "\(what): \(v) vs \(y)", line: line)
        }
        // 1…8: mean 4.5, variance (8² − 1)/12 = 5.25, excess kurtosis −6(8² + 1)/(5(8² − 1)) = −26/21.
        let a = try XCTUnwrap(byName["layer.0.a"])
        XCTAssertEqual(a["non_finite"] as? Int, 1)
        close(a["mean"], 4.5, "mean")
        close(a["std"], 5.25.squareRoot(), "std")
        close(a["kurtosis"], -26.0 / 21, "kurtosis")
        // 1…9 without 5: mean 5, deviations ±1…±4: m₂ = 60/8 = 7.5, m₄ = 708/8 = 88.5, kurtosis 88.5/7.5² − 3.
        let b = try XCTUnwrap(byName["layer.0.b"])
        XCTAssertEqual(b["non_finite"] as? Int, 1)
        close(b["mean"], 5, "mean")
        close(b["std"], 7.5.squareRoot(), "std")
        close(b["kurtosis"], 88.5 / 56.25 - 3, "kurtosis")
        XCTAssertNil(b["spectral_norm"])
        XCTAssertTrue((b["note"] as? String)?.contains("no spectrum") == true, "\(b)")
        let c = try XCTUnwrap(byName["layer.0.c"])
        XCTAssertEqual(c["non_finite"] as? Int, 2)
        XCTAssertNil(c["mean"])
        XCTAssertEqual(c["note"] as? String, "all 2 values are NaN or infinite: no statistic")
        // A finite matrix as before: a permuted diag(3, 2, 1) has σ₁ = 3.
        let w = try XCTUnwrap(byName["layer.1.w"])
        XCTAssertEqual(w["non_finite"] as? Int, 0)
        close(w["spectral_norm"], 3, "σ₁")
        // Layer 0 pools the 16 finite values: Σ = 36 + 40 = 76, Σx² = 204 + 260 = 464; mean 4.75, variance 29 − 4.75².
        let layer0 = try XCTUnwrap((json["layers"] as? [[String: Any]])?.first { $0["layer"] as? Int == 0 })
        XCTAssertEqual(layer0["tensors"] as? Int, 2)
        XCTAssertEqual(layer0["parameters"] as? Int, 16)
        close(layer0["mean"], 4.75, "layer mean")
        close(layer0["std"], (29 - 4.75 * 4.75).squareRoot(), "layer std")

        let t = try CLITests.run(["stats", path])
        XCTAssertEqual(t.status, 0, t.stderr)
        XCTAssertTrue(t.stdout.contains("layer.0.b: 1 of 9 values are NaN or infinite"), t.stdout)
        let csv = try CLITests.run(["stats", path, "--format", "csv"])
        let lines = csv.stdout.split(separator: "\n")
        XCTAssertTrue(lines[0].hasSuffix(",non_finite"), String(lines[0]))
        XCTAssertTrue(lines.contains { $0.hasPrefix("tensor,layer.0.c,") && $0.hasSuffix(",2") }, csv.stdout)

        let r = try CLITests.run(["weights", path, path])
        XCTAssertEqual(r.status, 0, r.stderr)
        for (name, n) in [("layer.0.a", 1), ("layer.0.b", 1), ("layer.0.c", 2)] {
            XCTAssertTrue(r.stdout.contains("not compared: \(name): non-finite values (NaN or ±Inf): \(n) in A, \(n) in B"), r.stdout)
        }
    }

    /// A tensor a shard holds where the index's weight map does not put it
    /// (not listed, or listed in another shard) is not read, and was left
    /// out without a word: now a note names it, and the JSON lists it
    /// (review, session 29; the copy in another shard: session 30).
    func testTensorsOutsideTheWeightMapAreNoted() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fp-wmap-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        func shard(_ name: String, _ tensors: [(String, [Int], [Float])]) throws {
            try SafetensorsWriter.write(
                tensors.map { SafetensorsWriter.Entry(name: $0.0, dtype: .f32, shape: $0.1) }, to: dir.appendingPathComponent(name).path
            ) { TensorConversion.encode(tensors[$0].2, as: .f32) }
        }
        try shard("s1.safetensors", [("layer.0.w", [2, 2], [1, 2, 3, 4]), ("extra.bias", [2], [5, 6])])
        try shard("s2.safetensors", [("layer.1.w", [2, 2], [4, 3, 2, 1]), ("layer.0.w", [2, 2], [9, 9, 9, 9])])
        try Data(#"{"weight_map": {"layer.0.w": "s1.safetensors", "layer.1.w": "s2.safetensors"}}"#.utf8).write(
            to: dir.appendingPathComponent(Checkpoint.indexName))
        let note =
            "fingerprint: note: \(dir.path): 2 tensors in its shards are not where \(Checkpoint.indexName)'s weight map puts them, "
            + "and not read: extra.bias, layer.0.w\n"
        let stats = try CLITests.run(["stats", dir.path, "--format", "json"])
        XCTAssertEqual(stats.status, 0, stats.stderr)
        XCTAssertEqual(stats.stderr, note)
        let profile = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(profile["unmapped"] as? [String], ["extra.bias", "layer.0.w"])
        let tensors = try XCTUnwrap(profile["tensors"] as? [[String: Any]])
        XCTAssertEqual(tensors.compactMap { $0["name"] as? String }, ["layer.0.w", "layer.1.w"])
        // layer.0.w is s1's (mean 2.5), not s2's copy (mean 9).
        XCTAssertEqual(tensors.first?["mean"] as? Double, 2.5)
        let w = try CLITests.run(["weights", dir.path, dir.path, "--format", "json"])
        XCTAssertEqual(w.status, 0, w.stderr)
        XCTAssertEqual(w.stderr, note + note)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(w.stdout.utf8)) as? [String: Any])
        let models = try XCTUnwrap(report["models"] as? [[String: Any]])
        XCTAssertEqual(models.map { $0["unmapped"] as? [String] }, [["extra.bias", "layer.0.w"], ["extra.bias", "layer.0.w"]])
        XCTAssertEqual(try CLITests.run(["weights", dir.path, dir.path, "--format", "json", "-q"]).stderr, "")
        // A checkpoint without such tensors has no field.
        XCTAssertNil(
            (try JSONSerialization.jsonObject(with: Data(try CLITests.run(["stats", a, "--format", "json"]).stdout.utf8)) as? [String: Any])?[
                "unmapped"])
    }

    /// A FIFO given as a checkpoint, as its shard or as its shard index is
    /// refused at once, before it is opened (which waits for a writer), in
    /// one line with exit 66, as a device is. (`weights` and `stats` hung.)
    func testNonRegularFilesAreRefusedWithoutWaiting() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fp-wfifo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        let fifo = dir.appendingPathComponent("f.safetensors").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let sharded = dir.appendingPathComponent("sharded")
        try FileManager.default.createDirectory(at: sharded, withIntermediateDirectories: true)
        try Data(#"{"weight_map": {"layers.0.up.bias": "s.safetensors"}}"#.utf8).write(
            to: sharded.appendingPathComponent(Checkpoint.indexName))
        XCTAssertEqual(mkfifo(sharded.appendingPathComponent("s.safetensors").path, 0o600), 0)
        let indexed = dir.appendingPathComponent("indexed")
        try FileManager.default.createDirectory(at: indexed, withIntermediateDirectories: true)
        XCTAssertEqual(mkfifo(indexed.appendingPathComponent(Checkpoint.indexName).path, 0o600), 0)
        var cases: [([String], String)] = [
            (["weights", a, fifo], fifo), (["stats", fifo], fifo), (["weights", sharded.path, a], sharded.path + "/s.safetensors"),
            (["weights", a, indexed.path], indexed.path + "/" + Checkpoint.indexName),
        ]
        // A character device (the numbers of null, 1,3), made privately rather than naming the system's.
        let device = dir.appendingPathComponent("null").path
        if getuid() == 0 && mknod(device, S_IFCHR | 0o666, dev_t((1 << 8) | 3)) == 0 { cases.append((["weights", a, device], device)) }
        for (args, culprit) in cases {
            let r = try CLITests.runProgram(CLITests.binary.path, args, within: 20)
            XCTAssertEqual(r.status, 66, "\(args): \(r.status == -1 ? "hung, killed after 20 s" : r.stderr)")
            XCTAssertEqual(r.stderr, "fingerprint: error: \(culprit): not a regular file\n", "\(args)")
        }
    }

    // MARK: - The HTML spectra chart

    /// The parts of the JSON the spectra chart draws (JSONDecoder: its
    /// numbers round-trip exactly, unlike JSONSerialization's on Linux).
    struct SpectraJSON: Decodable {
        struct Pair: Decodable {
            struct Tensor: Decodable {
                var name: String
                var spectrumA: [Double]?
                var spectrumB: [Double]?
                var spectralCorrelation: Double?
                enum CodingKeys: String, CodingKey {
                    case name
                    case spectrumA = "spectrum_a"
                    case spectrumB = "spectrum_b"
                    case spectralCorrelation = "spectral_correlation"
                }
            }
            var tensors: [Tensor]
        }
        var pairs: [Pair]
    }

    /// The elements of a page (XMLParser: the page must be well-formed).
    final class Elements: NSObject, XMLParserDelegate {
        struct Element {
            var name: String
            var attributes: [String: String]
            var parent: Int?
            var text = ""
        }
        var all: [Element] = []
        var stack: [Int] = []
        func parser(
            _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            all.append(Element(name: name, attributes: attributes, parent: stack.last))
            stack.append(all.count - 1)
        }
        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            stack.removeLast()
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { for i in stack { all[i].text += string } }

        static func parse(_ html: String) throws -> Elements {
            let e = Elements()
            let p = XMLParser(data: Data(html.utf8))
            p.delegate = e
            XCTAssertTrue(p.parse(), "not well-formed: \(String(describing: p.parserError)) at line \(p.lineNumber)")
            return e
        }

        func children(of i: Int, _ name: String? = nil) -> [Int] {
            all.indices.filter { all[$0].parent == i && (name == nil || all[$0].name == name) }
        }
        func descendants(of i: Int, where match: (Element) -> Bool) -> [Int] {
            all.indices.filter { k in
                guard match(all[k]) else { return false }
                var p = all[k].parent
                while let q = p {
                    if q == i { return true }
                    p = all[q].parent
                }
                return false
            }
        }
    }

    /// One panel of the spectra chart: its tensor and the two series drawn.
    struct Panel {
        var tensor: String
        /// The line under the title ("r 0.9993 · 5×4 · 4 σ").
        var note: String
        var series: [(name: String, key: String, ranks: [Int], values: [Double], points: [(x: Double, y: Double)])]
    }

    /// The panels of the spectra chart `figureID`.
    func panels(_ page: Elements, _ figureID: String) throws -> (panels: [Panel], caption: String) {
        let fig = try XCTUnwrap(page.all.indices.first { page.all[$0].attributes["id"] == figureID }, "no \(figureID)")
        let caption = page.children(of: fig, "figcaption").map { page.all[$0].text }.joined()
        var out: [Panel] = []
        for g in page.descendants(of: fig, where: { $0.name == "g" && $0.attributes["class"] == "panel" }) {
            let texts = page.children(of: g, "text").map { page.all[$0].text }
            var panel = Panel(tensor: page.all[g].attributes["data-tensor"] ?? "", note: texts.count > 1 ? texts[1] : "", series: [])
            for sg in page.children(of: g, "g") where page.all[sg].attributes["class"] == "series" {
                let a = page.all[sg].attributes
                let line = page.children(of: sg, "polyline").first.map { page.all[$0].attributes["points"] ?? "" } ?? ""
                let points = line.split(separator: " ").map { p -> (x: Double, y: Double) in
                    let xy = p.split(separator: ",").map { Double($0)! }
                    return (xy[0], xy[1])
                }
                panel.series.append(
                    (
                        a["data-series"] ?? "", a["data-array-key"] ?? "", (a["data-ranks"] ?? "").split(separator: " ").map { Int($0)! },
                        (a["data-values"] ?? "").split(separator: " ").map { Double($0)! }, points
                    ))
            }
            out.append(panel)
        }
        return (out, caption)
    }

    func assertClose(_ x: Double, _ y: Double, relative tol: Double, _ message: String, line: UInt = #line) {
        XCTAssertLessThanOrEqual(abs(x - y), tol * max(abs(x), abs(y)), "\(message): \(x) vs \(y)", line: line)
    }

    /// The fixture pair: one panel per matched 2-D tensor, a series for A
    /// and one for B in each, every value drawn equal to the JSON's and to
    /// NumPy's singular values (Fixtures/weights.json), the line falling
    /// as σ falls.
    func testHTMLSpectraChartMatchesJSONAndNumPy() throws {
        let h = try CLITests.run(["weights", a, b, "--format", "html"])
        XCTAssertEqual(h.status, 0, h.stderr)
        let j = try CLITests.run(["weights", a, b, "--format", "json"])
        let json = try JSONDecoder().decode(SpectraJSON.self, from: Data(j.stdout.utf8))
        let reference = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: "Tests/FingerprintKitTests/Fixtures/weights.json", relativeTo: CLITests.root)))
        let numpy = (reference as! [String: Any])["pairs"] as! [String: [String: Any]]
        let page = try Elements.parse(h.stdout)
        let (shown, caption) = try panels(page, "pair-0-1-spectra")
        XCTAssertEqual(shown.map(\.tensor), ["embed.weight", "layers.0.up.weight", "layers.1.up.weight", "layers.2.up.weight"])
        XCTAssertFalse(caption.contains("Showing"), "all four are shown: \(caption)")
        for p in shown {
            XCTAssertEqual(p.series.map(\.name), ["A", "B"], p.tensor)
            let k = try XCTUnwrap(json.pairs[0].tensors.firstIndex { $0.name == p.tensor })
            for (s, side) in zip(p.series, ["a", "b"]) {
                XCTAssertEqual(s.key, "pairs.0.tensors.\(k).spectrum_\(side)")
                let full = try XCTUnwrap(side == "a" ? json.pairs[0].tensors[k].spectrumA : json.pairs[0].tensors[k].spectrumB)
                // 16 values: every rank drawn, exactly as in the JSON.
                XCTAssertEqual(s.ranks, Array(1...16), p.tensor)
                XCTAssertEqual(s.values, s.ranks.map { full[$0 - 1] }, p.tensor)
                let expected = numpy[p.tensor]!["singular_values_\(side)"] as! [Double]
                for (x, y) in zip(s.values, expected) { assertClose(x, y, relative: 1e-12, "\(p.tensor) σ of \(side)") }
                // One vertex per value; x grows with the rank, y (downwards) with falling σ.
                XCTAssertEqual(s.points.count, 16)
                for i in 1..<s.points.count {
                    XCTAssertGreaterThan(s.points[i].x, s.points[i - 1].x)
                    XCTAssertGreaterThanOrEqual(s.points[i].y, s.points[i - 1].y)
                }
            }
        }
        // No spectra, no chart (and a note that says why).
        let flat = try CLITests.run(["weights", a, b, "--no-spectra", "--format", "html"])
        XCTAssertFalse(flat.stdout.contains("pair-0-1-spectra"))
        XCTAssertTrue(flat.stdout.contains("--no-spectra"))
        XCTAssertEqual(try CLITests.run(["weights", a, b, "--spectra-panels", "0"]).status, 64)
    }

    /// Pearson's r of two short vectors, from its definition.
    static func pearson(_ x: [Double], _ y: [Double]) -> Double {
        let mx = x.reduce(0, +) / Double(x.count)
        let my = y.reduce(0, +) / Double(y.count)
        var sxy = 0.0
        var sxx = 0.0
        var syy = 0.0
        for i in x.indices {
            sxy += (x[i] - mx) * (y[i] - my)
            sxx += (x[i] - mx) * (x[i] - mx)
            syy += (y[i] - my) * (y[i] - my)
        }
        return sxy / (sxx * syy).squareRoot()
    }

    /// 30 matched 2-D tensors whose names hold markup: 24 panels (the
    /// tensors at evenly spaced ranks of the spectral correlation), each
    /// with A's and B's series; names escaped, never markup.
    ///
    /// Tensor i of A is 5×4 with σ = 8, 4, 2, 1 on its diagonal; B's is
    /// diagonal with 8, 4, 2, 1 + i/32 and its rows reversed: singular
    /// values are the diagonal's, so r_i is Pearson's r of ln σ by hand.
    func testHTMLSpectraSubsetOfManyTensorsAndEscapedNames() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fp-wspec-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        let n = 30
        let names = (0..<n).map { "layers.\($0).<script>alert('\($0)')</script>&.weight" }
        let sigmaA: [Double] = [8, 4, 2, 1]
        let sigmaB = (0..<n).map { i in [8, 4, 2, 1 + Double(i) / 32] }  // exact in Float
        func matrix(_ d: [Double], reversed: Bool) -> [Float] {
            var m = [Float](repeating: 0, count: 20)
            for (k, v) in d.enumerated() { m[(reversed ? 4 - k : k) * 4 + k] = Float(v) }
            return m
        }
        let entries = names.map { SafetensorsWriter.Entry(name: $0, dtype: .f32, shape: [5, 4]) }
        let pa = dir.appendingPathComponent("a.safetensors").path
        let pb = dir.appendingPathComponent("b.safetensors").path
        try SafetensorsWriter.write(entries, to: pa) { _ in TensorConversion.encode(matrix(sigmaA, reversed: false), as: .f32) }
        try SafetensorsWriter.write(entries, to: pb) { i in TensorConversion.encode(matrix(sigmaB[i], reversed: true), as: .f32) }

        let h = try CLITests.run(["weights", pa, pb, "--format", "html"])
        XCTAssertEqual(h.status, 0, h.stderr)
        XCTAssertFalse(h.stdout.lowercased().contains("<script"), "a tensor name injected markup")
        XCTAssertTrue(h.stdout.contains("&lt;script&gt;alert(&#39;7&#39;)&lt;/script&gt;&amp;"))
        let page = try Elements.parse(h.stdout)
        let (shown, caption) = try panels(page, "pair-0-1-spectra")
        XCTAssertTrue(caption.contains("Showing 24 of 30 matched 2-D tensors"), caption)

        // The expected choice: order by r (by hand), take positions round(j·29/23), j = 0…23.
        let lnA = sigmaA.map { log($0) }
        let r = sigmaB.map { Self.pearson(lnA, $0.map { log($0) }) }
        let byR = (0..<n).sorted { r[$0] != r[$1] ? r[$0] < r[$1] : $0 < $1 }
        let chosen = Set((0..<24).map { byR[Int((Double($0) * 29 / 23).rounded())] }).sorted()
        XCTAssertEqual(chosen.count, 24)
        XCTAssertTrue(chosen.contains(byR[0]) && chosen.contains(byR[n - 1]), "lowest and highest r are shown")
        XCTAssertEqual(shown.map(\.tensor), chosen.map { names[$0] }, "the panels, in tensor order, names unescaped by the parser")
        for (p, i) in zip(shown, chosen) {
            XCTAssertEqual(p.series.map(\.name), ["A", "B"])
            XCTAssertEqual(p.series[0].ranks, [1, 2, 3, 4])
            for (x, y) in zip(p.series[0].values, sigmaA) { assertClose(x, y, relative: 1e-12, "σ of A, tensor \(i)") }
            for (x, y) in zip(p.series[1].values, sigmaB[i]) { assertClose(x, y, relative: 1e-12, "σ of B, tensor \(i)") }
            // "r 0.9993 · 5×4 · 4 σ": r as shown, to its last digit.
            XCTAssertTrue(p.note.hasPrefix("r ") && p.note.contains("5×4 · 4 σ"), p.note)
            let shownR = try XCTUnwrap(p.note.split(separator: "·").first.map { $0.dropFirst(2).trimmingCharacters(in: .whitespaces) })
            let decimals = shownR.split(separator: ".").last?.count ?? 0
            XCTAssertLessThanOrEqual(
                abs(try XCTUnwrap(Double(shownR)) - r[i]), 0.5 * pow(10, -Double(decimals)) + 1e-12, "r of tensor \(i)")
        }
        // Fewer panels on request; all of them when the limit allows.
        let few = try panels(
            Elements.parse(try CLITests.run(["weights", pa, pb, "--format", "html", "--spectra-panels", "2"]).stdout), "pair-0-1-spectra")
        XCTAssertEqual(few.panels.map(\.tensor), [byR[0], byR[n - 1]].sorted().map { names[$0] })
        let all = try panels(
            Elements.parse(try CLITests.run(["weights", pa, pb, "--format", "html", "--spectra-panels", "30"]).stdout), "pair-0-1-spectra")
        XCTAssertEqual(all.panels.count, 30)
    }
}
