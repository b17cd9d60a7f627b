import AppServices
import Foundation
import Testing

// The calibration report written four ways: HTML page, parameters CSV, bank YAML and the
// information curve as SVG. The report is built by hand so every figure is known.

@Suite("Calibration report")
struct CalibrationReportWriterTests {
    static let lowDiscriminationFlag = "Low discrimination: the item barely separates stronger from weaker learners"

    /// Three items (a flagged 2PL, a 3PL, a graded item with three thresholds), one DIF
    /// comparison and five points of the information curve peaking at 2.75 at θ = 0.
    static func sampleReport() -> CalibrationReport {
        let items = [
            CalibrationReport.Item(
                id: "q-easy", skill: "reading, writing", model: "2pl", discrimination: 1.2345, difficulties: [-0.5432],
                guessing: nil, standardErrors: [0.1111, 0.2222], maxScore: 1, responses: 120, proportion: 0.71,
                correctedPointBiserial: 0.42, alphaIfDeleted: 0.8, dif: ["group: a vs b": "C"], flags: [lowDiscriminationFlag]
            ),
            CalibrationReport.Item(
                id: "q-guess", skill: "arithmetic", model: "3pl", discrimination: 0.9, difficulties: [0.3],
                guessing: 0.2, standardErrors: [0.15, 0.25, 0.05], maxScore: 1, responses: 118, proportion: 0.64,
                correctedPointBiserial: 0.35, alphaIfDeleted: 0.78, dif: ["group: a vs b": "A"], flags: []
            ),
            CalibrationReport.Item(
                id: "g-essay", skill: "arithmetic", model: "grm", discrimination: 1.1, difficulties: [-1.0, 0.25, 1.5],
                guessing: nil, standardErrors: [0.1, 0.2, 0.21, 0.22], maxScore: 3, responses: 110, proportion: 0.55,
                correctedPointBiserial: nil, alphaIfDeleted: nil, dif: [:], flags: []
            ),
        ]
        let information = [(-2.0, 0.4), (-1.0, 1.1), (0.0, 2.75), (1.0, 1.2), (2.0, 0.5)].map { theta, value in
            CalibrationReport.InformationPoint(theta: theta, information: value, standardError: 1 / value.squareRoot())
        }
        return CalibrationReport(
            courseID: "stats-101", courseTitle: "Statistics & Data", courseVersion: "1.2.0", bankVersion: "7",
            generatedAt: Date(timeIntervalSince1970: 1_750_000_000), examinees: 120, responses: 348, items: items,
            information: information, logLikelihood: -512.345, iterations: 37, converged: true, marginalReliability: 0.81,
            alpha: 0.79, comparisons: ["group: a vs b"]
        )
    }

    /// The text between `<desc` and `</desc>`, or "" when there is none.
    static func description(in svg: String) -> String {
        guard let start = svg.range(of: "<desc"), let end = svg.range(of: "</desc>", range: start.upperBound..<svg.endIndex) else {
            return ""
        }
        return String(svg[start.upperBound..<end.lowerBound])
    }

    @Test("the page names the course, every item and the flags, and carries the curve and its numbers")
    func htmlContents() {
        let html = CalibrationReportWriter.html(Self.sampleReport())
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("<h1>Calibration report: Statistics &amp; Data</h1>"))
        for id in ["q-easy", "q-guess", "g-essay"] {
            #expect(html.contains(id))
        }
        #expect(html.contains(Self.lowDiscriminationFlag))
        #expect(html.contains("<svg"))
        #expect(html.contains("<title id=\"cairn-information-title\">"))
        #expect(html.contains("<table"))
        #expect(html.contains("<caption>"))
        #expect(html.contains("<th scope=\"col\">"))
        #expect(html.contains("group: a vs b: <strong>C</strong>"))
        #expect(html.contains("Items to review"))
        #expect(html.contains("Test information"))
        #expect(html.contains("Item parameters"))
        #expect(!html.contains("<script"))
    }

    @Test("the parameters table is sorted by skill, then id")
    func htmlOrder() throws {
        let html = CalibrationReportWriter.html(Self.sampleReport())
        let essay = try #require(html.range(of: "<th scope=\"row\">g-essay</th>"))
        let guess = try #require(html.range(of: "<th scope=\"row\">q-guess</th>"))
        let easy = try #require(html.range(of: "<th scope=\"row\">q-easy</th>"))
        #expect(essay.lowerBound < guess.lowerBound)
        #expect(guess.lowerBound < easy.lowerBound)
    }

    @Test("text from the report is escaped, so an id cannot inject markup")
    func htmlEscaping() {
        var report = Self.sampleReport()
        report.items[0].id = "<script>alert('x')</script>"
        report.items[0].flags = ["Option \"B\" draws <strong> learners & more"]
        let html = CalibrationReportWriter.html(report)
        #expect(!html.contains("<script>"))
        #expect(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"))
        #expect(html.contains("Option &quot;B&quot; draws &lt;strong&gt; learners &amp; more"))
    }

    @Test("with no flags the page says so, and a missing alpha is explained")
    func htmlNothingFlagged() {
        var report = Self.sampleReport()
        for index in report.items.indices {
            report.items[index].flags = []
        }
        report.alpha = nil
        let html = CalibrationReportWriter.html(report)
        #expect(html.contains("No item was flagged."))
        #expect(html.contains("not computed (too few complete answer sets)"))
    }

    @Test("the CSV has a header and one line per item, quotes commas and joins thresholds")
    func csv() {
        let csv = CalibrationReportWriter.parametersCSV(Self.sampleReport())
        let lines = csv.split(separator: "\n").map(String.init)
        #expect(lines.count == 4)
        #expect(lines.first == "id,skill,model,a,se_a,b,se_b,c,se_c,max_score,responses,p,r_pbis,alpha_if_deleted,rmsd,dif,options,flags")
        #expect(lines[1].hasPrefix("q-easy,\"reading, writing\",2pl,1.2345,0.1111,-0.5432,0.2222,,,1,120,0.7100,0.4200,0.8000,"))
        #expect(lines[2].hasPrefix("q-guess,arithmetic,3pl,0.9000,0.1500,0.3000,0.2500,0.2000,0.0500,1,118,"))
        #expect(lines[3] == "g-essay,arithmetic,grm,1.1000,0.1000,-1.0000;0.2500;1.5000,0.2000;0.2100;0.2200,,,3,110,0.5500,,,,,,")
        #expect(lines[1].contains("group: a vs b: C"))
    }

    @Test("the CSV doubles quotes inside a quoted field")
    func csvQuotes() {
        var report = Self.sampleReport()
        report.items[1].id = "say \"hi\""
        let csv = CalibrationReportWriter.parametersCSV(report)
        #expect(csv.contains("\"say \"\"hi\"\"\",arithmetic,3pl"))
    }

    @Test("the bank YAML carries the header and each item's parameters")
    func yaml() {
        let yaml = CalibrationReportWriter.bankYAML(Self.sampleReport())
        #expect(yaml.contains("course: \"stats-101\""))
        #expect(yaml.contains("course_version: \"1.2.0\""))
        #expect(yaml.contains("bank_version: \"7\""))
        #expect(yaml.contains("generated_at: \"2025-06-15T15:06:40Z\""))
        #expect(yaml.contains("examinees: 120"))
        #expect(yaml.contains("\nitems:\n"))
        for id in ["q-easy", "q-guess", "g-essay"] {
            #expect(yaml.contains("- id: \"\(id)\""))
        }
        #expect(yaml.contains("irt: {model: 2pl, a: 1.2345, b: -0.5432}"))
        #expect(yaml.contains("irt: {model: 3pl, a: 0.9, b: 0.3, c: 0.2}"))
        #expect(yaml.contains("irt: {model: grm, a: 1.1, b: [-1, 0.25, 1.5]}"))
        #expect(yaml.contains("se: [0.1, 0.2, 0.21, 0.22]"))
    }

    @Test("YAML strings are double-quoted and escaped")
    func yamlEscaping() {
        var report = Self.sampleReport()
        report.items[0].id = "a \"quoted\" \\ id\nwith a break"
        let yaml = CalibrationReportWriter.bankYAML(report)
        #expect(yaml.contains("- id: \"a \\\"quoted\\\" \\\\ id\\nwith a break\""))
    }

    @Test("the curve is an accessible, scalable SVG whose description names the peak")
    func svg() {
        let svg = CalibrationReportWriter.informationSVG(Self.sampleReport().information)
        #expect(svg.hasPrefix("<svg"))
        #expect(svg.contains("role=\"img\""))
        #expect(svg.contains("viewBox=\"0 0 640.0 380.0\""))
        #expect(svg.contains("<title id=\"cairn-information-title\">Test information curve</title>"))
        #expect(svg.contains("stroke-dasharray"))
        let description = Self.description(in: svg)
        #expect(description.contains("peaks at 2.75"))
        #expect(description.contains("θ = 0.00"))
        #expect(!description.contains("peaks at 1.20"))
        #expect(svg.hasSuffix("</svg>"))
    }

    @Test("an empty curve still gives a titled SVG")
    func svgEmpty() {
        let svg = CalibrationReportWriter.informationSVG([])
        #expect(svg.contains("<title"))
        #expect(Self.description(in: svg).contains("No information curve was computed."))
    }
}
