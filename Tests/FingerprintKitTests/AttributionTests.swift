import CKernels
import FingerprintKit
import Foundation
import XCTest

@testable import FingerprintCore
@testable import FingerprintStatistics

/// `attribute` against the NumPy / scikit-learn reference
/// (Fixtures/attribution_reference.py → attribution.json).
final class AttributionReferenceTests: XCTestCase {
    struct Fixture {
        var json: [String: Any]
        var data: AttributionData
        var training: [Int]
        var questioned: [Int]
    }

    func fixture() throws -> Fixture {
        let json = try loadJSON("attribution.json") as! [String: Any]
        let classes = json["classes"] as! [String]
        var names: [String] = []
        var texts: [[UInt8]] = []
        var labels: [Int] = []
        var training: [Int] = []
        var questioned: [Int] = []
        for (key, isTrain) in [("train", true), ("questioned", false)] {
            for item in json[key] as! [[String: Any]] {
                let path = item["path"] as! String
                names.append(path)
                texts.append(Array(try Data(contentsOf: fixtures.appendingPathComponent(path))))
                labels.append(isTrain ? classes.firstIndex(of: item["label"] as! String)! : -1)
                (isTrain ? { training.append(names.count - 1) } : { questioned.append(names.count - 1) })()
            }
        }
        return Fixture(
            json: json, data: AttributionData(names: names, texts: texts, labels: labels, classes: classes), training: training,
            questioned: questioned)
    }

    func mfwFeatures(_ f: Fixture, mfw: Int = 50) throws -> FoldFeatures {
        var o = AttributionFeatureOptions()
        o.mfw = mfw
        let fams = try FeatureCounting.families(f.data.texts, options: o, keep: nil, threads: 2)
        return FoldFeatures.build(fams, options: o, training: f.training, documents: f.training + f.questioned)
    }

    func testMFWMeansDeviationsAndZScoresEqualNumPy() throws {
        let f = try fixture()
        let feats = try mfwFeatures(f)
        XCTAssertEqual(feats.names, (f.json["mfw"] as! [String]).map { "word " + $0 })
        let mean = f.json["train_mean"] as! [Double]
        let sd = f.json["train_sd_population"] as! [Double]
        for j in 0..<50 {
            assertClose(feats.mean[j], mean[j], 1e-12)
            assertClose(feats.sd[j], sd[j], 1e-12)
        }
        let z = (f.json["z_train"] as! [[Double]]) + (f.json["z_questioned"] as! [[Double]])
        for i in 0..<z.count { for j in 0..<50 { assertClose(feats.z[i * 50 + j], z[i][j], 1e-10) } }
    }

    func testBurrowsAndCosineDeltaEqualNumPy() throws {
        let f = try fixture()
        let feats = try mfwFeatures(f)
        let nt = f.training.count
        let c = DeltaDistances.centroids(
            z: Array(feats.z[0..<(nt * 50)]), cols: 50, labels: f.training.map { f.data.labels[$0] }, classes: 3)
        let ref = f.json["centroids"] as! [[Double]]
        for k in 0..<3 { for j in 0..<50 { assertClose(c[k * 50 + j], ref[k][j], 1e-10) } }
        var o = AttributionOptions()
        o.method = .delta
        o.features.mfw = 50
        let out = try AttributionFit.run(feats, trainRows: nt, labels: f.training.map { f.data.labels[$0] }, classes: 3, options: o, c: nil)
        let burrows = f.json["burrows_delta"] as! [[Double]]
        let cosine = f.json["cosine_delta"] as! [[Double]]
        for i in 0..<f.questioned.count {
            for k in 0..<3 {
                assertClose(out.burrows![i][k], burrows[i][k], 1e-10)
                assertClose(out.cosine![i][k], cosine[i][k], 1e-10)
            }
        }
        XCTAssertEqual(out.predicted.map { f.data.classes[$0] }, f.json["cosine_predicted"] as! [String])
        o.delta = .burrows
        let b = try AttributionFit.run(feats, trainRows: nt, labels: f.training.map { f.data.labels[$0] }, classes: 3, options: o, c: nil)
        XCTAssertEqual(b.predicted.map { f.data.classes[$0] }, f.json["burrows_predicted"] as! [String])
    }

    func testLogisticRegressionEqualsScikitLearn() throws {
        let f = try fixture()
        let feats = try mfwFeatures(f)
        let nt = f.training.count
        let y = f.training.map { f.data.labels[$0] }
        for case let ref as [String: Any] in f.json["logistic"] as! [Any] {
            let strength = ref["C"] as! Double
            let model = try MultinomialLogistic.fit(
                x: Array(feats.z[0..<(nt * 50)]), rows: nt, cols: 50, y: y, classes: 3, c: strength, tolerance: 1e-10)
            let coef = ref["coef"] as! [[Double]]
            let b = ref["intercept_centered"] as! [Double]
            for k in 0..<3 {
                for j in 0..<50 { XCTAssertEqual(model.weights[k * 50 + j], coef[k][j], accuracy: 1e-6, "C=\(strength) coef[\(k)][\(j)]") }
                XCTAssertEqual(model.intercept[k], b[k], accuracy: 1e-6, "C=\(strength) intercept[\(k)]")
            }
            let proba = ref["predict_proba"] as! [[Double]]
            let pr = try model.probabilities(Array(feats.z[(nt * 50)...]), rows: f.questioned.count)
            for i in 0..<f.questioned.count { for k in 0..<3 { XCTAssertEqual(pr[i * 3 + k], proba[i][k], accuracy: 1e-7) } }
        }
    }

    /// 130 rows (groups of four rows and a remainder of two in the fused
    /// pass): the fit reaches scikit-learn's optimum.
    func testLogisticRegressionInBlocksEqualsScikitLearn() throws {
        let f = try fixture()
        let ref = f.json["logistic_blocks"] as! [String: Any]
        let rows = ref["x"] as! [[Double]]
        let (n, p) = (rows.count, rows[0].count)
        XCTAssertEqual(n % 4, 2)
        let y = ref["y"] as! [Int]
        let k = Set(y).count
        for case let fit as [String: Any] in ref["fits"] as! [Any] {
            let strength = fit["C"] as! Double
            let model = try MultinomialLogistic.fit(
                x: rows.flatMap { $0 }, rows: n, cols: p, y: y, classes: k, c: strength, tolerance: 1e-10)
            let coef = fit["coef"] as! [[Double]]
            let b = fit["intercept_centered"] as! [Double]
            for c in 0..<k {
                for j in 0..<p { XCTAssertEqual(model.weights[c * p + j], coef[c][j], accuracy: 1e-6, "C=\(strength) coef[\(c)][\(j)]") }
                XCTAssertEqual(model.intercept[c], b[c], accuracy: 1e-6, "C=\(strength) intercept[\(c)]")
            }
        }
    }

    /// The fused loss and gradient equal a plain loop over the rows written
    /// here, for row counts with and without a partial group of four and
    /// feature counts with and without a partial lane of eight; and every
    /// instruction-set level gives the same bits.
    func testFusedLossAndGradientEqualsPlainLoopOnEveryLevel() throws {
        let saved = fp_block_sums_level()
        defer { _ = fp_block_sums_set_level(saved) }
        let widest = fp_block_sums_set_level(2)
        var rng = Xoshiro256(seed: 5)
        for (n, p, k) in [(150, 37, 4), (1, 8, 2), (7, 3, 5), (4, 16, 3), (9, 64, 7)] {
            let x = (0..<(n * p)).map { _ in rng.nextUnit() * 4 - 2 }
            let y = (0..<n).map { _ in rng.next(below: k) }
            let w = (0..<(k * p)).map { _ in rng.nextUnit() - 0.5 }
            let b = (0..<k).map { _ in rng.nextUnit() - 0.5 }
            var loss = 0.0
            var gw = [Double](repeating: 0, count: k * p)
            var gb = [Double](repeating: 0, count: k)
            for i in 0..<n {
                let s = (0..<k).map { c in b[c] + (0..<p).reduce(0.0) { $0 + x[i * p + $1] * w[c * p + $1] } }
                let z = s.map { Foundation.exp($0) }.reduce(0, +)
                loss -= Foundation.log(Foundation.exp(s[y[i]]) / z)
                for c in 0..<k {
                    let d = Foundation.exp(s[c]) / z - (c == y[i] ? 1 : 0)
                    gb[c] += d
                    for j in 0..<p { gw[c * p + j] += d * x[i * p + j] }
                }
            }
            var first: (Double, [Double], [Double])? = nil
            for level in 0...widest {
                XCTAssertEqual(fp_block_sums_set_level(level), level)
                var ow = [Double](repeating: .nan, count: k * p)
                var ob = [Double](repeating: .nan, count: k)
                var scratch = [Double](repeating: .nan, count: 4 * k)
                let l = MultinomialLogistic.lossAndGradient(
                    x: x, rows: n, cols: p, y: y, classes: k, weights: w, intercept: b, gradWeights: &ow, gradIntercept: &ob,
                    scratch: &scratch)
                let what = "n \(n), p \(p), k \(k), level \(level)"
                XCTAssertEqual(l, loss, accuracy: 1e-12 * abs(loss), what)
                for j in 0..<(k * p) { XCTAssertEqual(ow[j], gw[j], accuracy: 1e-11, "\(what): gradient[\(j)]") }
                for c in 0..<k { XCTAssertEqual(ob[c], gb[c], accuracy: 1e-11, "\(what): intercept gradient[\(c)]") }
                if let f = first {
                    XCTAssertEqual(l.bitPattern, f.0.bitPattern, what)
                    XCTAssertEqual(ow.map(\.bitPattern), f.1.map(\.bitPattern), what)
                    XCTAssertEqual(ob.map(\.bitPattern), f.2.map(\.bitPattern), what)
                } else {
                    first = (l, ow, ob)
                }
            }
        }
    }

    /// `--weighting tfidf` features of the fixture: the terms, their idf and
    /// the questioned rows equal scikit-learn's
    /// `TfidfVectorizer(analyzer="char", ngram_range=(2, 4))` fitted on the
    /// training texts (whose idf the fixture script also checks by hand);
    /// with `sublinear`, `sublinear_tf=True` (section `tfidf_sublinear`, whose
    /// rows the script also rebuilds by hand from raw counts).
    func tfidfFeatures(_ f: Fixture, sublinear: Bool = false) throws -> SparseFoldFeatures {
        var o = AttributionFeatureOptions()
        o.mfw = 0
        o.charRange = 2...4
        o.weighting = .tfidf
        o.sublinearTF = sublinear
        XCTAssertNil(o.charCap)
        let fams = try FeatureCounting.families(f.data.texts, options: o, keep: nil, threads: 2)
        return SparseFoldFeatures.build(fams, options: o, training: f.training, documents: f.training + f.questioned)
    }

    /// The n-gram of a feature name (`char:3 th` → `th`).
    func term(_ name: String) -> String { String(name[name.index(after: name.firstIndex(of: " ")!)...]) }

    func testTFIDFFeaturesEqualScikitLearn() throws {
        let f = try fixture()
        for sublinear in [false, true] { try checkTFIDFFeatures(f, sublinear: sublinear) }
        // Sublinear tf changes the rows (the fixture has repeated n-grams).
        let raw = try tfidfFeatures(f)
        let sub = try tfidfFeatures(f, sublinear: true)
        XCTAssertEqual(raw.columns, sub.columns)
        XCTAssertNotEqual(raw.values, sub.values)
    }

    func checkTFIDFFeatures(_ f: Fixture, sublinear: Bool) throws {
        let ref = f.json[sublinear ? "tfidf_sublinear" : "tfidf"] as! [String: Any]
        let feats = try tfidfFeatures(f, sublinear: sublinear)
        let terms = ref["terms"] as! [String]
        let idf = ref["idf"] as! [Double]
        XCTAssertEqual(feats.cols, terms.count)
        let column = Dictionary(uniqueKeysWithValues: feats.names.enumerated().map { (term($1), $0) })
        XCTAssertEqual(column.count, terms.count, "one column per n-gram")
        for (t, v) in zip(terms, idf) {
            guard let j = column[t] else { return XCTFail("no column for \(t.debugDescription)") }
            XCTAssertEqual(feats.idf[j], v, accuracy: 1e-12, t)
        }
        // Columns by descending training document frequency (idf ascending).
        XCTAssertEqual(feats.idf, feats.idf.sorted())
        let nt = f.training.count
        for (i, row) in (ref["questioned_rows"] as! [[String: Any]]).enumerated() {
            var ours: [String: Double] = [:]
            feats.forEach(inRow: nt + i) { j, v in ours[term(feats.names[j])] = v }
            let theirs = Dictionary(uniqueKeysWithValues: zip(row["terms"] as! [String], row["values"] as! [Double]))
            XCTAssertEqual(Set(ours.keys), Set(theirs.keys), "row \(i)")
            for (t, v) in theirs { XCTAssertEqual(ours[t] ?? .nan, v, accuracy: 1e-7, "sublinear \(sublinear) row \(i) \(t)") }
            XCTAssertEqual(ours.values.reduce(0) { $0 + $1 * $1 }, 1, accuracy: 1e-6)
        }
    }

    /// Logistic regression on the sparse TF-IDF rows reaches scikit-learn's
    /// optimum on the same rows (coefficients of the 40 most discriminating
    /// n-grams, intercepts, probabilities of the questioned documents).
    func testSparseLogisticRegressionEqualsScikitLearn() throws {
        let f = try fixture()
        for sublinear in [false, true] { try checkSparseLogisticRegression(f, sublinear: sublinear) }
    }

    func checkSparseLogisticRegression(_ f: Fixture, sublinear: Bool) throws {
        let ref = f.json[sublinear ? "tfidf_sublinear" : "tfidf"] as! [String: Any]
        let feats = try tfidfFeatures(f, sublinear: sublinear)
        let nt = f.training.count
        let column = Dictionary(uniqueKeysWithValues: feats.names.enumerated().map { (term($1), $0) })
        let y = f.training.map { f.data.labels[$0] }
        for case let fit as [String: Any] in ref["fits"] as! [Any] {
            let strength = fit["C"] as! Double
            let model = try MultinomialLogistic.fit(sparse: feats, rows: nt, y: y, classes: 3, c: strength, tolerance: 1e-10)
            let coef = fit["coef"] as! [[Double]]
            for (m, t) in (fit["coef_terms"] as! [String]).enumerated() {
                let j = column[t]!
                for k in 0..<3 {
                    XCTAssertEqual(model.weights[k * feats.cols + j], coef[k][m], accuracy: 1e-5, "C=\(strength) \(t) class \(k)")
                }
            }
            let b = fit["intercept_centered"] as! [Double]
            for k in 0..<3 { XCTAssertEqual(model.intercept[k], b[k], accuracy: 1e-5, "C=\(strength) intercept \(k)") }
            let proba = fit["predict_proba"] as! [[Double]]
            let pr = model.probabilities(sparse: feats, rows: nt..<feats.rows)
            for i in 0..<f.questioned.count {
                for k in 0..<3 { XCTAssertEqual(pr[i * 3 + k], proba[i][k], accuracy: 1e-6, "C=\(strength)") }
            }
        }
    }

    /// The sparse loss and gradient equal a plain loop over dense rows
    /// written here (rows with no entry, one entry, and many; 2–9 classes:
    /// the copies specialised for 2–8 and the general one).
    func testSparseLossAndGradientEqualsPlainLoop() throws {
        var rng = Xoshiro256(seed: 9)
        for (n, p, k) in [(40, 25, 3), (1, 1, 2), (12, 60, 6), (7, 5, 5), (6, 12, 8), (10, 30, 9)] {
            var dense = [Double](repeating: 0, count: n * p)
            var rowStart: [Int64] = [0]
            var columns: [Int32] = []
            var values: [Float] = []
            for i in 0..<n {
                for j in 0..<p where i % 5 != 3 && rng.nextUnit() < 0.3 {
                    let v = Float(rng.nextUnit() * 2 - 0.5)
                    dense[i * p + j] = Double(v)
                    columns.append(Int32(j))
                    values.append(v)
                }
                rowStart.append(Int64(columns.count))
            }
            let x = SparseFoldFeatures(
                names: (0..<p).map { "f\($0)" }, idf: [Double](repeating: 1, count: p), rowStart: rowStart, columns: columns, values: values
            )
            let y = (0..<n).map { _ in rng.next(below: k) }
            let w = (0..<(k * p)).map { _ in rng.nextUnit() - 0.5 }  // class-major here
            let b = (0..<k).map { _ in rng.nextUnit() - 0.5 }
            var loss = 0.0
            var gw = [Double](repeating: 0, count: k * p)
            var gb = [Double](repeating: 0, count: k)
            for i in 0..<n {
                let s = (0..<k).map { c in b[c] + (0..<p).reduce(0.0) { $0 + dense[i * p + $1] * w[c * p + $1] } }
                let z = s.map { Foundation.exp($0) }.reduce(0, +)
                loss -= Foundation.log(Foundation.exp(s[y[i]]) / z)
                for c in 0..<k {
                    let d = Foundation.exp(s[c]) / z - (c == y[i] ? 1 : 0)
                    gb[c] += d
                    for j in 0..<p { gw[c * p + j] += d * dense[i * p + j] }
                }
            }
            // The kernel takes the weights feature-major.
            var wf = [Double](repeating: 0, count: k * p)
            for c in 0..<k { for j in 0..<p { wf[j * k + c] = w[c * p + j] } }
            var ow = [Double](repeating: .nan, count: k * p)
            var ob = [Double](repeating: .nan, count: k)
            var scratch = [Double](repeating: .nan, count: k)
            let l = fp_sparse_logistic_loss_grad(
                x.rowStart, x.columns, x.values, n, p, y.map { Int64($0) }, k, wf, b, &ow, &ob, &scratch)
            let what = "n \(n), p \(p), k \(k)"
            XCTAssertEqual(l, loss, accuracy: 1e-12 * abs(loss), what)
            for c in 0..<k {
                for j in 0..<p { XCTAssertEqual(ow[j * k + c], gw[c * p + j], accuracy: 1e-12, "\(what): gradient[\(c), \(j)]") }
                XCTAssertEqual(ob[c], gb[c], accuracy: 1e-12, "\(what): intercept gradient[\(c)]")
            }
        }
    }

    /// TF-IDF features of a training set never see its held-out documents:
    /// not in the selected n-grams, not in the idf (document frequencies),
    /// and, through the whole pipeline with the inner cross-validation of
    /// C, poisoning one held-out document changes no other prediction.
    func testTFIDFHeldOutDocumentsDoNotLeak() throws {
        let f = try fixture()
        var poisoned = f.data
        for d in f.questioned { poisoned.texts[d] = Array(String(repeating: "zyzzyva qxqx the the upon ", count: 200).utf8) }
        var o = AttributionOptions()
        o.features.mfw = 20
        o.features.charRange = 2...3
        o.features.weighting = .tfidf
        func features(_ data: AttributionData) throws -> SparseFoldFeatures {
            let fams = try FeatureCounting.families(data.texts, options: o.features, keep: nil, threads: 1)
            return SparseFoldFeatures.build(fams, options: o.features, training: f.training, documents: f.training)
        }
        let clean = try features(f.data)
        let dirty = try features(poisoned)
        XCTAssertEqual(clean.names, dirty.names)
        XCTAssertEqual(clean.idf, dirty.idf)
        XCTAssertEqual(clean.rowStart, dirty.rowStart)
        XCTAssertEqual(clean.columns, dirty.columns)
        XCTAssertEqual(clean.values, dirty.values)
        XCTAssertFalse(clean.names.contains { $0.contains("zyzzyva") || $0.contains("qxq") })
        var one = f.data
        one.texts[f.questioned[0]] = poisoned.texts[f.questioned[0]]
        var outs: [FoldOutcome] = []
        for data in [f.data, one] {
            let (fams, words) = try Attribution.prepare(data, options: o)
            outs.append(
                try Attribution.split(
                    data, families: fams, words: words, training: f.training, testing: f.questioned, options: o, innerStream: 1))
        }
        XCTAssertNotNil(outs[0].c)
        XCTAssertEqual(outs[0].c, outs[1].c)
        for i in 1..<f.questioned.count {
            XCTAssertEqual(outs[0].probabilities?[i], outs[1].probabilities?[i])
            XCTAssertEqual(outs[0].contributions[i], outs[1].contributions[i])
        }
        XCTAssertNotEqual(outs[0].probabilities?[0], outs[1].probabilities?[0], "the poisoned document itself must change")
    }

    func testTFIDFIsRefusedForDeltaAndImpostors() {
        for method in [AttributionMethod.delta, .impostors] {
            var o = AttributionOptions()
            o.method = method
            o.features.weighting = .tfidf
            XCTAssertThrowsError(try o.validate(), "\(method)")
        }
    }

    func testMaskingEqualsReference() throws {
        let f = try fixture()
        let words = FeatureFamily(name: "word", matrix: try FeatureCounting.countTexts(f.data.texts, spec: .word))
        let k = f.json["mask_k"] as! Int
        let keep = TextMask.keptWords(words, rows: f.training, k: k)
        XCTAssertEqual(keep, Set((f.json["mask_keep"] as! [String]).map { Array($0.utf8) }))
        for case let c as [String: Any] in f.json["mask_cases"] as! [Any] {
            let text = Array((c["text"] as! String).utf8)
            XCTAssertEqual(String(decoding: TextMask.distort(text, keep: keep, single: false).text, as: UTF8.self), c["dv_ma"] as! String)
            XCTAssertEqual(String(decoding: TextMask.distort(text, keep: keep, single: true).text, as: UTF8.self), c["dv_sa"] as! String)
        }
        // Placeholders are word types of the masked token stream.
        let d = TextMask.distort(Array("The 13 cats, upon 2nd look.".utf8), keep: [Array("the".utf8), Array("upon".utf8)], single: false)
        XCTAssertEqual(d.tokens.map { String(decoding: $0, as: UTF8.self) }, ["the", "##", "****", "upon", "#**", "****"])
        let fam = TextMask.count(tokenStreams: [d.tokens], n: 1, name: "word")
        XCTAssertEqual((0..<fam.typeCount).map(fam.token), ["##", "#**", "****", "the", "upon"])
        XCTAssertEqual(fam.lengths, [6])
    }

    /// The held-out documents must not reach the vocabulary, the means or the
    /// deviations: changing them leaves the training side bit for bit.
    func testHeldOutDocumentsDoNotLeakIntoFeatures() throws {
        let f = try fixture()
        var o = AttributionFeatureOptions()
        o.mfw = 50
        o.charRange = 2...3
        o.charFeatures = 40
        var poisoned = f.data
        for d in f.questioned { poisoned.texts[d] = Array(String(repeating: "zyzzyva qxqx the the upon ", count: 200).utf8) }
        for mask in [nil, 10] as [Int?] {
            o.mask = mask
            func features(_ data: AttributionData) throws -> FoldFeatures {
                let keep = mask.map { m in
                    TextMask.keptWords(
                        FeatureFamily(name: "word", matrix: try! FeatureCounting.countTexts(data.texts, spec: .word)), rows: f.training,
                        k: m)
                }
                let fams = try FeatureCounting.families(data.texts, options: o, keep: keep, threads: 1)
                return FoldFeatures.build(fams, options: o, training: f.training, documents: f.training)
            }
            let clean = try features(f.data)
            let dirty = try features(poisoned)
            XCTAssertEqual(clean.names, dirty.names, "mask \(String(describing: mask))")
            XCTAssertEqual(clean.mean, dirty.mean)
            XCTAssertEqual(clean.sd, dirty.sd)
            XCTAssertEqual(clean.z, dirty.z)
            XCTAssertFalse(clean.names.contains { $0.contains("zyzzyva") || $0.contains("qxq") })
        }
        // And the whole pipeline, with masking and inner CV of C: poisoning
        // one held-out document changes no other held-out prediction.
        for (method, mask) in [(AttributionMethod.delta, nil), (.linear, nil), (.linear, 10)] as [(AttributionMethod, Int?)] {
            var opts = AttributionOptions()
            opts.method = method
            opts.features.mfw = 50
            opts.features.charRange = 2...3
            opts.features.charFeatures = 40
            opts.features.mask = mask
            var one = f.data
            one.texts[f.questioned[0]] = poisoned.texts[f.questioned[0]]
            var outs: [FoldOutcome] = []
            for data in [f.data, one] {
                let (fams, words) = try Attribution.prepare(data, options: opts)
                outs.append(
                    try Attribution.split(
                        data, families: fams, words: words, training: f.training, testing: f.questioned, options: opts, innerStream: 1))
            }
            XCTAssertEqual(outs[0].c, outs[1].c)
            for i in 1..<f.questioned.count {
                XCTAssertEqual(outs[0].probabilities?[i], outs[1].probabilities?[i], "\(method) \(String(describing: mask))")
                XCTAssertEqual(outs[0].cosine?[i], outs[1].cosine?[i])
                XCTAssertEqual(outs[0].contributions[i], outs[1].contributions[i])
            }
        }
    }

    /// A fold's features come from its training part only: the z-scores
    /// evaluate() uses in fold f equal those built from the other folds.
    func testCrossValidationUsesTrainingFoldStatistics() throws {
        let f = try fixture()
        let labels = f.training.map { f.data.labels[$0] }
        let fold = Attribution.stratifiedFolds(labels: labels, classes: 3, folds: 3, seed: 0, stream: AttributionStreams.folds)
        XCTAssertEqual((0..<3).map { k in fold.filter { $0 == k }.count }, [9, 9, 9])
        for c in 0..<3 {
            let perFold = (0..<3).map { k in labels.indices.filter { labels[$0] == c && fold[$0] == k }.count }
            XCTAssertEqual(perFold, [3, 3, 3])
        }
    }
}

/// Features of a model tokenizer are its token ids; reports showed them
/// bare (`cl100k 4669`), which tells a reader nothing. Each now carries its
/// text, checked against the ranks file decoded here by hand (base64 of
/// the token's bytes, then its rank); a token that is part of a UTF-8
/// sequence shows its bytes as \xNN (U+FFFD made ten tokens look alike).
final class AttributionModelFeatureTests: XCTestCase {
    func testModelTokenFeaturesCarryTheirText() throws {
        let e = try LLMTokenizerTests.cl100k()
        var bytesOf: [String: [UInt8]] = [:]
        for line in try String(contentsOfFile: try XCTUnwrap(LLMTokenizerTests.cl100kPath), encoding: .utf8).split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard parts.count == 2, let bytes = Data(base64Encoded: String(parts[0])) else { continue }
            bytesOf[String(parts[1])] = Array(bytes)
        }
        XCTAssertEqual(bytesOf.count, 100_256)
        let texts = [Array("The towel, the towel and the soda.".utf8), Array("A shave in the steam, then a towel.".utf8)]
        var o = AttributionFeatureOptions()
        o.mfw = 50
        o.tokenizer = .tiktoken(e)
        let family = try XCTUnwrap(try FeatureCounting.families(texts, options: o, keep: nil, threads: 1).first)
        XCTAssertGreaterThan(family.typeCount, 8)
        var shown: [String] = []
        for t in 0..<family.typeCount {
            let id = family.token(t)
            let expected = String(decoding: try XCTUnwrap(bytesOf[id], id), as: UTF8.self)
            XCTAssertEqual(family.text?(t), expected, id)
            shown.append(expected)
        }
        XCTAssertTrue(shown.contains(" towel"), "\(shown)")
        // Single bytes 0x80–0xFF (each one token): \xNN, upper-case hex, all distinct.
        let single = bytesOf.filter { $0.value.count == 1 && $0.value[0] >= 0x80 }.sorted { $0.key < $1.key }
        XCTAssertEqual(single.count, 128)
        let byID = Dictionary(uniqueKeysWithValues: single.map { ($0.key, $0.value[0]) })
        let ids = single.map(\.key)
        let probe = FeatureFamily(
            name: "cl100k", rowStart: [0], columns: [], counts: [], lengths: [0], typeCount: ids.count, token: { ids[$0] })
        let labelled = FeatureCounting.labelled(probe, spec: .tiktoken(e))
        for (t, id) in ids.enumerated() {
            let hex = String(byID[id]!, radix: 16, uppercase: true)
            XCTAssertEqual(labelled.text?(t), "\\x" + hex, id)
        }
        // Words have no text of their own: the feature is the word.
        o.tokenizer = .word
        XCTAssertNil(try FeatureCounting.families(texts, options: o, keep: nil, threads: 1).first?.text)
    }
}
