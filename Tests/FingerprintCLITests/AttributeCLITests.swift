import Foundation
import XCTest

/// `fingerprint attribute` end to end on the reference fixture
/// (Tests/FingerprintKitTests/Fixtures/attribution, attribution.json).
final class AttributeCLITests: XCTestCase {
    static let fixture = "Tests/FingerprintKitTests/Fixtures/attribution"

    func run(_ args: [String]) throws -> CLITests.Run { try CLITests.run(args) }

    func tempDir() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fp-attr-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// Docs 01–09 of each source as the reference, 10–12 as questioned, as
    /// in the fixture.
    func split() throws -> (reference: String, questioned: String) {
        let tmp = try tempDir()
        let fm = FileManager.default
        let src = CLITests.root.appendingPathComponent(Self.fixture)
        for s in ["alpha", "beta", "gamma"] {
            try fm.createDirectory(at: tmp.appendingPathComponent("ref/\(s)"), withIntermediateDirectories: true)
            try fm.createDirectory(at: tmp.appendingPathComponent("q"), withIntermediateDirectories: true)
            for i in 1...12 {
                let name = String(format: "doc%02d.txt", i)
                let to = i <= 9 ? tmp.appendingPathComponent("ref/\(s)/\(name)") : tmp.appendingPathComponent("q/\(s)-\(name)")
                try fm.copyItem(at: src.appendingPathComponent("\(s)/\(name)"), to: to)
            }
        }
        return (tmp.appendingPathComponent("ref").path, tmp.appendingPathComponent("q").path)
    }

    func fixtureJSON() throws -> [String: Any] {
        let data = try Data(contentsOf: CLITests.root.appendingPathComponent("Tests/FingerprintKitTests/Fixtures/attribution.json"))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    func testQuestionedDocumentsMatchTheReference() throws {
        let (ref, q) = try split()
        let fx = try fixtureJSON()
        for (method, key) in [("delta", "cosine_predicted"), ("delta:burrows", "burrows_predicted")] {
            var args = ["attribute", "--reference", ref, q, "--mfw", "50", "--format", "json", "--method", "delta"]
            if method.hasSuffix("burrows") { args += ["--delta", "burrows"] }
            let r = try run(args)
            XCTAssertEqual(r.status, 0, r.stderr)
            let j = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
            XCTAssertEqual(j["schema"] as? String, "fingerprint.attribute/1")
            let preds = j["predictions"] as! [[String: Any]]
            XCTAssertEqual(preds.map { $0["predicted"] as! String }, fx[key] as! [String])
            let deltas = fx[method.hasSuffix("burrows") ? "burrows_delta" : "cosine_delta"] as! [[Double]]
            for (p, d) in zip(preds, deltas) {
                let got = p[method.hasSuffix("burrows") ? "burrows_delta" : "cosine_delta"] as! [Double]
                for (a, b) in zip(got, d) { XCTAssertEqual(a, b, accuracy: 1e-10) }
            }
        }
        let lr = (fx["logistic"] as! [[String: Any]])[1]
        let r = try run(["attribute", "--reference", ref, q, "--mfw", "50", "--C", "1", "--format", "json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let j = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let preds = j["predictions"] as! [[String: Any]]
        for (p, ref) in zip(preds, lr["predict_proba"] as! [[Double]]) {
            for (a, b) in zip(p["probabilities"] as! [Double], ref) { XCTAssertEqual(a, b, accuracy: 1e-4) }
        }
        XCTAssertEqual(preds.map { $0["predicted"] as! String }, lr["predicted"] as! [String])
    }

    /// `--weighting tfidf`: the questioned documents get scikit-learn's
    /// probabilities (LogisticRegression on TfidfVectorizer char 2–4 rows
    /// of the training texts, from the fixture), the report says how the
    /// features were weighted, and the output is the same on 1 and 2 threads.
    func testTFIDFWeightingMatchesScikitLearnFromTheCLI() throws {
        let (ref, q) = try split()
        let fit = ((try fixtureJSON()["tfidf"] as! [String: Any])["fits"] as! [[String: Any]])[0]
        XCTAssertEqual(fit["C"] as! Double, 1)
        let args = ["attribute", "--reference", ref, q, "--mfw", "0", "--char", "2-4", "--weighting", "tfidf", "--C", "1"]
        let r = try run(args + ["--format", "json", "--threads", "1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        _ = try checkProbabilities(r.stdout, fit)
        XCTAssertEqual(try run(args + ["--format", "json", "--threads", "2"]).stdout, r.stdout)
        let t = try run(args)
        XCTAssertEqual(t.status, 0, t.stderr)
        XCTAssertTrue(t.stdout.contains("all char 2-4-grams"), t.stdout)
        XCTAssertTrue(t.stdout.contains("TF-IDF with idf from the training documents"), t.stdout)
        let bad = try run(["attribute", "--reference", ref, q, "--method", "delta", "--weighting", "tfidf"])
        XCTAssertEqual(bad.status, 64)
        XCTAssertTrue(bad.stderr.hasPrefix("Error: --weighting tfidf is for --method linear"), bad.stderr)
    }

    /// The questioned documents' probabilities in a JSON report equal the
    /// fixture fit's `predict_proba` (the questioned files sort as
    /// alpha-doc10 … gamma-doc12, the fixture's order); returns the report.
    func checkProbabilities(_ json: String, _ fit: [String: Any]) throws -> [String: Any] {
        let j = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
        let preds = j["predictions"] as! [[String: Any]]
        XCTAssertEqual(preds.count, 9)
        for (p, want) in zip(preds, fit["predict_proba"] as! [[Double]]) {
            for (a, b) in zip(p["probabilities"] as! [Double], want) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        }
        return j
    }

    /// `--sublinear`: scikit-learn's probabilities with `sublinear_tf=True`
    /// (fixture section `tfidf_sublinear`), said in the table and the JSON;
    /// refused without `--weighting tfidf`.
    func testSublinearTFMatchesScikitLearnFromTheCLI() throws {
        let (ref, q) = try split()
        let fit = ((try fixtureJSON()["tfidf_sublinear"] as! [String: Any])["fits"] as! [[String: Any]])[0]
        XCTAssertEqual(fit["C"] as! Double, 1)
        let args = ["attribute", "--reference", ref, q, "--mfw", "0", "--char", "2-4", "--weighting", "tfidf", "--sublinear", "--C", "1"]
        let r = try run(args + ["--format", "json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let j = try checkProbabilities(r.stdout, fit)
        XCTAssertEqual((j["features"] as? [String: Any])?["sublinear_tf"] as? Bool, true, r.stdout.prefix(600).description)
        let t = try run(args)
        XCTAssertEqual(t.status, 0, t.stderr)
        XCTAssertTrue(t.stdout.contains("TF-IDF (tf = 1 + ln count) with idf"), t.stdout)
        let bad = try run(["attribute", "--reference", ref, q, "--sublinear"])
        XCTAssertEqual(bad.status, 64)
        XCTAssertTrue(bad.stderr.hasPrefix("Error: --sublinear needs --weighting tfidf."), bad.stderr)
    }

    /// A questioned document without a word, or without a word the
    /// reference holds, or whose best two candidates tie exactly gets no
    /// candidate: it was attributed with a margin, top features it does not
    /// contain, and no note (review, session 29). A document with evidence
    /// is attributed as before.
    func testNoCandidateIsNamedWithoutEvidence() throws {
        let tmp = try tempDir()
        let q = tmp.appendingPathComponent("q")
        try FileManager.default.createDirectory(at: q, withIntermediateDirectories: true)
        try Data("!!! ... ???\n".utf8).write(to: q.appendingPathComponent("punct.txt"))
        try Data("zzzq yyyq xxxq\n".utf8).write(to: q.appendingPathComponent("unseen.txt"))
        try FileManager.default.copyItem(
            at: CLITests.root.appendingPathComponent(Self.fixture + "/alpha/doc01.txt"), to: q.appendingPathComponent("known.txt"))
        for method in ["delta", "linear"] {
            let r = try run(["attribute", "--reference", Self.fixture, q.path, "--method", method, "--format", "json"])
            XCTAssertEqual(r.status, 0, r.stderr)
            let j = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            let predictions = try XCTUnwrap(j["predictions"] as? [[String: Any]])
            let byName = Dictionary(uniqueKeysWithValues: predictions.map { ($0["document"] as! String, $0) })
            for name in ["punct.txt", "unseen.txt"] {
                XCTAssertEqual(byName[name]?["abstained"] as? Bool, true, "\(method) \(name)")
                XCTAssertEqual((byName[name]?["top_features"] as? [Any])?.count, 0, "\(method) \(name)")
            }
            XCTAssertNotEqual(byName["known.txt"]?["abstained"] as? Bool, true, method)
            XCTAssertEqual(byName["known.txt"]?["predicted"] as? String, "alpha", method)
            XCTAssertEqual(j["abstentions"] as? Int, 2, method)
            let notes = try XCTUnwrap(j["notes"] as? [String])
            XCTAssertTrue(notes.contains("1 questioned document holds no word: no candidate is named"), "\(notes)")
            XCTAssertTrue(
                notes.contains("1 questioned document shares no word with the reference documents: no candidate is named"), "\(notes)")
            // known.txt is a reference document's text.
            XCTAssertTrue(
                notes.contains(
                    "1 questioned document is also among the reference documents (the same text): the model was fitted on it, so its attribution is no evidence"
                ), "\(notes)")
        }
        // Two candidates with the same documents: every questioned document ties.
        let same = tmp.appendingPathComponent("same")
        for who in ["ann", "bob"] {
            try FileManager.default.createDirectory(at: same.appendingPathComponent(who), withIntermediateDirectories: true)
            for i in 0..<3 { try Data("the cat sat on the mat\n".utf8).write(to: same.appendingPathComponent("\(who)/d\(i).txt")) }
        }
        let sq = tmp.appendingPathComponent("same-q.txt")
        try Data("the cat sat on the mat\n".utf8).write(to: sq)
        let t = try run(["attribute", "--reference", same.path, sq.path, "--method", "delta"])
        XCTAssertEqual(t.status, 0, t.stderr)
        XCTAssertTrue(t.stdout.contains("none (best: ann)"), t.stdout)
        XCTAssertTrue(t.stdout.contains("1 questioned document ties exactly between its best two candidates"), t.stdout)
    }

    /// A `--labels` row that names no document is said, and so is a
    /// candidate it leaves with no document: a mistyped path, or one written
    /// `./name`, vanished with its candidate and no word (review, session 29).
    func testLabelRowsNamingNoDocumentAreNoted() throws {
        let tmp = try tempDir()
        var labels = "path,label\n"
        for s in ["alpha", "beta"] {
            for i in 1...12 { labels += String(format: "%@/doc%02d.txt,%@\n", s, i, s) }
        }
        labels += "./gamma/doc01.txt,gamma\ntypo.txt,gamma\n"
        let csv = tmp.appendingPathComponent("labels.csv")
        try Data(labels.utf8).write(to: csv)
        let r = try run([
            "attribute", "--reference", Self.fixture, "--labels", csv.path, "--method", "delta", "--cv", "3", "--bootstrap", "0",
            "--format",
            "json",
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        let notes = try XCTUnwrap((JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])?["notes"] as? [String])
        XCTAssertTrue(
            notes.contains(
                "2 rows of \(csv.path) name no document ('./gamma/doc01.txt', 'typo.txt'); a row gives a document's name (its path inside the corpus) or its path as given; left with no document: 'gamma'"
            ), "\(notes)")
        // The same rule for batch --labels.
        let b = try CLITests.run(["batch", Self.fixture, "--labels", csv.path, "--format", "json"])
        XCTAssertEqual(b.status, 0, b.stderr)
        XCTAssertTrue(b.stdout.contains("2 rows of \(csv.path) name no document"), b.stdout)
    }

    /// Without resamples there is no interval: `--bootstrap 0` printed
    /// "95% bootstrap intervals over 0 resamples" and value–value intervals,
    /// and the JSON had low = high = value (review, session 29).
    func testNoResamplesNoIntervals() throws {
        let base = ["attribute", "--reference", Self.fixture, "--cv", "3", "--bootstrap", "0", "--method", "delta"]
        let t = try run(base)
        XCTAssertEqual(t.status, 0, t.stderr)
        XCTAssertTrue(t.stdout.contains("36 documents; no intervals (--bootstrap 0)"), t.stdout)
        XCTAssertFalse(t.stdout.contains("resamples"), t.stdout)
        let accuracy = try XCTUnwrap(
            t.stdout.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("accuracy") })
        XCTAssertTrue(accuracy.contains("—"), String(accuracy))
        let j = try run(base + ["--format", "json"])
        let e = (try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as! [String: Any])["evaluation"] as! [String: Any]
        for key in ["accuracy", "macro_f1"] {
            let x = try XCTUnwrap(e[key] as? [String: Double], key)
            XCTAssertEqual(Set(x.keys), ["value"], key)
        }
        let h = try run(base + ["--format", "html"])
        XCTAssertTrue(h.stdout.contains("there is no interval"), h.stdout)
    }

    func testEvaluationTableAndDeterminismAcrossThreads() throws {
        let base = ["attribute", "--reference", Self.fixture, "--cv", "3", "--bootstrap", "100", "--char", "2-3", "--char-features", "50"]
        let one = try run(base + ["--format", "json", "--threads", "1"])
        let two = try run(base + ["--format", "json", "--threads", "2"])
        XCTAssertEqual(one.status, 0, one.stderr)
        XCTAssertEqual(one.stdout, two.stdout)
        let j = try JSONSerialization.jsonObject(with: Data(one.stdout.utf8)) as! [String: Any]
        let e = j["evaluation"] as! [String: Any]
        let acc = e["accuracy"] as! [String: Double]
        XCTAssert(acc["low"]! <= acc["value"]! && acc["value"]! <= acc["high"]!)
        XCTAssertEqual((e["confusion"] as! [[Int]]).flatMap { $0 }.reduce(0, +), 36)
        XCTAssertNotNil(e["brier"])
        let t = try run(["attribute", "--reference", Self.fixture, "--cv", "3", "--bootstrap", "50", "--method", "delta"])
        XCTAssertEqual(t.status, 0, t.stderr)
        XCTAssertTrue(t.stdout.contains("3-fold stratified CV, 36 documents"), t.stdout)
        XCTAssertTrue(t.stdout.contains("accuracy"), t.stdout)
        XCTAssertTrue(t.stdout.contains("confusion (rows: true source, columns: predicted)"), t.stdout)
    }

    /// Cross-validation tells answers from abstentions: a held-out document
    /// with no word gets no candidate, as a questioned one does, and the
    /// evaluation gives coverage, the accuracy of the answered and c@1 next
    /// to the forced-choice accuracy (session 31: an abstention counted as
    /// its best candidate). Every figure is recomputed here from the
    /// per-document predictions.
    func testEvaluationCountsAbstentionsApart() throws {
        let tmp = try tempDir()
        let ref = tmp.appendingPathComponent("ref")
        try FileManager.default.copyItem(at: CLITests.root.appendingPathComponent(Self.fixture), to: ref)
        try Data("!!! ... ???\n".utf8).write(to: ref.appendingPathComponent("alpha/punct.txt"))
        try FileManager.default.copyItem(
            at: ref.appendingPathComponent("beta/doc01.txt"), to: ref.appendingPathComponent("beta/doc01-copy.txt"))
        // Three groups by document number; the copy is held out apart from
        // its original, so each is tested by a model trained on the other.
        var groups = "path,group\n"
        for s in ["alpha", "beta", "gamma"] {
            for i in 1...12 { groups += String(format: "%@/doc%02d.txt,g%d\n", s, i, i % 3) }
        }
        groups += "alpha/punct.txt,g0\nbeta/doc01-copy.txt,g2\n"
        let groupsFile = tmp.appendingPathComponent("groups.csv")
        try Data(groups.utf8).write(to: groupsFile)
        for method in ["delta", "impostors"] {
            let r = try run([
                "attribute", "--reference", ref.path, "--groups", groupsFile.path, "--method", method, "--bootstrap", "200",
                "--format", "json",
            ])
            XCTAssertEqual(r.status, 0, r.stderr)
            let j = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            let predictions = try XCTUnwrap(j["predictions"] as? [[String: Any]])
            XCTAssertEqual(predictions.count, 38)
            let byName = Dictionary(uniqueKeysWithValues: predictions.map { ($0["document"] as! String, $0) })
            XCTAssertEqual(byName["alpha/punct.txt"]?["abstained"] as? Bool, true, method)
            let n = Double(predictions.count)
            let answered = predictions.filter { $0["abstained"] as? Bool != true }
            let right = { (p: [String: Any]) in p["truth"] as! String == p["predicted"] as! String }
            let rightAnswers = Double(answered.filter(right).count)
            let unanswered = n - Double(answered.count)
            let e = try XCTUnwrap(j["evaluation"] as? [String: Any])
            func value(_ key: String) throws -> Double { try XCTUnwrap((e[key] as? [String: Double])?["value"], key) }
            XCTAssertEqual(e["abstained"] as? Int, Int(unanswered), method)
            XCTAssertEqual(j["abstentions"] as? Int, Int(unanswered), method)
            XCTAssertEqual(try value("accuracy"), Double(predictions.filter(right).count) / n, accuracy: 1e-12, method)
            XCTAssertEqual(try value("coverage"), Double(answered.count) / n, accuracy: 1e-12, method)
            XCTAssertEqual(try value("answered_accuracy"), rightAnswers / Double(answered.count), accuracy: 1e-12, method)
            XCTAssertEqual(try value("c_at_1"), (rightAnswers + unanswered * rightAnswers / n) / n, accuracy: 1e-12, method)
            for key in ["coverage", "answered_accuracy", "c_at_1"] {
                let x = try XCTUnwrap(e[key] as? [String: Double], key)
                XCTAssert(x["low"]! <= x["value"]! && x["value"]! <= x["high"]!, "\(method) \(key) \(x)")
            }
            let notes = try XCTUnwrap(j["notes"] as? [String])
            XCTAssertTrue(notes.contains("1 held-out document holds no word: no candidate is named"), "\(notes)")
            XCTAssertTrue(
                notes.contains(
                    "2 held-out documents have the same text as a document their model was trained on: their predictions are no test, and the metrics are optimistic"
                ), "\(notes)")
        }
        let t = try run(["attribute", "--reference", ref.path, "--groups", groupsFile.path, "--method", "delta", "--bootstrap", "0"])
        XCTAssertEqual(t.status, 0, t.stderr)
        for line in ["answered (coverage)", "accuracy of the answered", "c@1", "1 of 38 documents got no candidate"] {
            XCTAssertTrue(t.stdout.contains(line), "\(line)\n\(t.stdout)")
        }
        // Without an abstention, a method that never abstains says nothing of answers.
        let plain = try run([
            "attribute", "--reference", Self.fixture, "--cv", "3", "--bootstrap", "0", "--method", "delta", "--format", "json",
        ])
        let pe = try XCTUnwrap(
            (JSONSerialization.jsonObject(with: Data(plain.stdout.utf8)) as? [String: Any])?["evaluation"] as? [String: Any])
        XCTAssertNil(pe["coverage"])
        XCTAssertNil(pe["c_at_1"])
    }

    func testLeaveOneGroupOutWithLabelAndGroupTables() throws {
        let tmp = try tempDir()
        var labels = "path,label\n"
        var groups = "path,group\n"
        for s in ["alpha", "beta", "gamma"] {
            for i in 1...12 {
                let p = String(format: "%@/doc%02d.txt", s, i)
                labels += "\(p),\(s)\n"
                groups += "\(p),g\((i - 1) / 4)\n"
            }
        }
        try Data(labels.utf8).write(to: tmp.appendingPathComponent("labels.csv"))
        try Data(groups.utf8).write(to: tmp.appendingPathComponent("groups.csv"))
        let r = try run([
            "attribute", "--reference", Self.fixture, "--labels", tmp.appendingPathComponent("labels.csv").path, "--groups",
            tmp.appendingPathComponent("groups.csv").path, "--method", "delta", "--bootstrap", "50", "--format", "json",
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        let j = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let e = j["evaluation"] as! [String: Any]
        XCTAssertEqual(e["scheme"] as? String, "leave-one-group-out")
        XCTAssertEqual(e["folds"] as? Int, 3)
        XCTAssertEqual(e["bootstrap_unit"] as? String, "group")
        let csv = try run([
            "attribute", "--reference", Self.fixture, "--method", "delta", "--cv", "3", "--format", "csv", "--bootstrap", "0",
        ])
        XCTAssertEqual(csv.status, 0)
        XCTAssertTrue(csv.stdout.hasPrefix("document,truth,predicted,margin,fold,cosine:alpha,cosine:beta,cosine:gamma,top_features\n"))
        XCTAssertEqual(csv.stdout.split(separator: "\n").count, 37)
    }

    func testCorpusLevelAttribution() throws {
        let (ref, q) = try split()
        let r = try run(["attribute", "--reference", ref, q, "--corpus", "--permutations", "99", "--method", "delta"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("the 9 questioned documents as one corpus, ranked by Cosine Delta of centroids"), r.stdout)
        XCTAssertTrue(r.stdout.contains("permutation tests, documents relabelled between the two"), r.stdout)
        let j = try run([
            "attribute", "--reference", ref, q, "--corpus", "--corpus-distance", "jsd", "--permutations", "99", "--format", "json", "--C",
            "1",
        ])
        XCTAssertEqual(j.status, 0, j.stderr)
        let o = try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as! [String: Any]
        let c = o["corpus"] as! [String: Any]
        XCTAssertEqual(c["distance"] as? String, "jsd")
        XCTAssertEqual((c["tests"] as! [[String: Any]]).count, 2)
        XCTAssertEqual(try run(["attribute", "--reference", ref, "--corpus"]).status, 64)
        let l = try run(["attribute", "--reference", ref, q, "--corpus", "--permutations", "19", "--format", "jsonl", "--method", "delta"])
        XCTAssertEqual(l.status, 0, l.stderr)
        let lines = l.stdout.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        XCTAssertEqual(lines.map { $0["type"] as! String }, ["header"] + Array(repeating: "prediction", count: 9) + ["corpus"])
        XCTAssertEqual(lines[0]["schema"] as? String, "fingerprint.attribute/1")
        XCTAssertEqual((lines[0]["predictions"] as? [Any])?.count, 0)
        // The corpus-level distances are on z-scores of the capped families
        // whatever the documents' --weighting: the same with tfidf.
        func corpus(_ weighting: String) throws -> String {
            let r = try run([
                "attribute", "--reference", ref, q, "--corpus", "--permutations", "19", "--format", "json", "--C", "1", "--char", "2-3",
                "--weighting", weighting,
            ])
            XCTAssertEqual(r.status, 0, r.stderr)
            let o = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
            return String(decoding: try JSONSerialization.data(withJSONObject: o["corpus"]!, options: [.sortedKeys]), as: UTF8.self)
        }
        XCTAssertEqual(try corpus("tfidf"), try corpus("zscore"))
    }

    /// JSONL reference: candidates from --label-field, groups from
    /// --group-field; masking through the CLI.
    func testJSONLLabelAndGroupFieldsAndMasking() throws {
        let tmp = try tempDir()
        let src = CLITests.root.appendingPathComponent(Self.fixture)
        var lines = ""
        for s in ["alpha", "beta", "gamma"] {
            for i in 1...12 {
                let text = try String(contentsOf: src.appendingPathComponent(String(format: "%@/doc%02d.txt", s, i)), encoding: .utf8)
                let obj: [String: String] = ["text": text, "author": s, "topic": "t\(i % 3)"]
                lines += String(decoding: try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys]), as: UTF8.self) + "\n"
            }
        }
        let path = tmp.appendingPathComponent("ref.jsonl").path
        try Data(lines.utf8).write(to: URL(fileURLWithPath: path))
        let r = try run([
            "attribute", "--reference", path, "--label-field", "author", "--group-field", "topic", "--method", "delta", "--bootstrap", "20",
            "--format", "json", "--mask", "20",
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        let j = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let e = j["evaluation"] as! [String: Any]
        XCTAssertEqual(e["scheme"] as? String, "leave-one-group-out")
        XCTAssertEqual(e["folds"] as? Int, 3)
        XCTAssertEqual((j["candidates"] as! [[String: Any]]).map { $0["name"] as! String }, ["alpha", "beta", "gamma"])
        let features = (j["predictions"] as! [[String: Any]]).flatMap {
            ($0["top_features"] as! [[String: Any]]).map { $0["feature"] as! String }
        }
        XCTAssertFalse(features.isEmpty)
        // Masked: placeholders of * and # are word types among the features.
        for f in features { XCTAssertTrue(f.hasPrefix("word ")) }
        XCTAssertTrue(features.contains { $0.dropFirst(5).allSatisfy { $0 == "*" || $0 == "#" } }, "\(features)")
    }

    func testExitCodesAndOneLineErrors() throws {
        let missing = try run(["attribute", "--reference", "no/such/dir"])
        XCTAssertEqual(missing.status, 66)
        XCTAssertTrue(missing.stderr.hasPrefix("fingerprint: error: no/such/dir"), missing.stderr)
        let tmp = try tempDir()
        try FileManager.default.createDirectory(at: tmp.appendingPathComponent("only"), withIntermediateDirectories: true)
        try Data("just one source here".utf8).write(to: tmp.appendingPathComponent("only/a.txt"))
        let one = try run(["attribute", "--reference", tmp.path])
        XCTAssertEqual(one.status, 65)
        XCTAssertEqual(one.stderr.split(separator: "\n").count, 1, one.stderr)
        XCTAssertEqual(try run(["attribute", "--reference", Self.fixture, "--cv", "1"]).status, 64)
        XCTAssertEqual(try run(["attribute", "--reference", Self.fixture, "--char", "4-2"]).status, 64)
        XCTAssertEqual(try run(["attribute", "--reference", Self.fixture, "--format", "xml"]).status, 64)
        XCTAssertEqual(try run(["attribute", "--reference", Self.fixture, "--method", "impostors", "--abstain-alpha", "1"]).status, 64)
        XCTAssertEqual(try run(["attribute", "--reference", Self.fixture, "--cv", "100", "--method", "delta"]).status, 64)
    }
}
