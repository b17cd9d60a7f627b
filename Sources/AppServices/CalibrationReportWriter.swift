import Curriculum
import Foundation

/// Renders a `CalibrationReport` for people and for the item bank: a self-contained HTML page
/// an author reads in a browser or prints, a CSV of the fitted parameters, the new bank
/// version as YAML, and the test information curve as an inline SVG.
///
/// Everything here is a pure function of the report: no files, no clock, no locale. Numbers
/// are always written with a full stop as the decimal separator.
public enum CalibrationReportWriter {
    // MARK: - HTML

    /// A complete, self-contained HTML page (no scripts, no external files; one small
    /// `<style>` block) that an author reads in a browser or prints.
    public static func html(_ report: CalibrationReport) -> String {
        let pageTitle = "Calibration report: " + report.courseTitle
        let ordered = sortedBySkillThenID(report.items)
        var lines: [String] = []

        lines.append("<!DOCTYPE html>")
        lines.append("<html lang=\"en-GB\">")
        lines.append("<head>")
        lines.append("<meta charset=\"utf-8\">")
        lines.append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
        lines.append("<title>\(escape(pageTitle))</title>")
        lines.append("<style>")
        lines.append(stylesheet)
        lines.append("</style>")
        lines.append("</head>")
        lines.append("<body>")
        lines.append("<main>")
        lines.append("<h1>\(escape(pageTitle))</h1>")

        // Summary.
        lines.append("<section aria-labelledby=\"summary-heading\">")
        lines.append("<h2 id=\"summary-heading\">Summary</h2>")
        lines.append("<dl class=\"summary\">")
        let generated = iso8601(report.generatedAt)
        let cycles = report.converged
            ? "\(report.iterations), converged"
            : "\(report.iterations), did not converge (treat the parameters with caution)"
        let alphaText = report.alpha.map { decimal($0, 3) } ?? "not computed (too few complete answer sets)"
        let comparisonsText = report.comparisons.isEmpty
            ? "none"
            : report.comparisons.map { escape($0) }.joined(separator: "; ")
        let summary: [(term: String, value: String)] = [
            ("Course", "\(escape(report.courseTitle)) (<code>\(escape(report.courseID))</code>), version \(escape(report.courseVersion))"),
            ("New bank version", escape(report.bankVersion)),
            ("Generated at", "<time datetime=\"\(escape(generated))\">\(escape(generated))</time>"),
            ("Examinees", String(report.examinees)),
            ("Responses", String(report.responses)),
            ("Items", String(report.items.count)),
            ("EM cycles", cycles),
            ("Log-likelihood", decimal(report.logLikelihood, 2)),
            ("Marginal reliability", decimal(report.marginalReliability, 3)),
            ("Cronbach’s alpha", alphaText),
            ("DIF comparisons", comparisonsText),
        ]
        for entry in summary {
            lines.append("<div><dt>\(entry.term)</dt><dd>\(entry.value)</dd></div>")
        }
        lines.append("</dl>")
        lines.append("</section>")

        // Items to review.
        lines.append("<section aria-labelledby=\"review-heading\">")
        lines.append("<h2 id=\"review-heading\">Items to review</h2>")
        let flagged = ordered.filter { !$0.flags.isEmpty }
        if flagged.isEmpty {
            lines.append("<p>No item was flagged.</p>")
        } else {
            let count = flagged.count == 1 ? "One item was flagged" : "\(flagged.count) items were flagged"
            lines.append("<p>\(count); look at each before publishing the new bank.</p>")
            lines.append("<ul class=\"review\">")
            for item in flagged {
                lines.append("<li><strong>\(escape(item.id))</strong> (skill: \(escape(item.skill)))")
                lines.append("<ul>")
                for flag in item.flags {
                    lines.append("<li>\(escape(flag))</li>")
                }
                lines.append("</ul>")
                lines.append("</li>")
            }
            lines.append("</ul>")
        }
        lines.append("</section>")

        // Test information.
        lines.append("<section aria-labelledby=\"information-heading\">")
        lines.append("<h2 id=\"information-heading\">Test information</h2>")
        let points = report.information.sorted { $0.theta < $1.theta }
        if points.isEmpty {
            lines.append("<p>No information curve was computed.</p>")
        } else {
            lines.append("<p>How precisely the test measures ability θ at each level: the higher the information, "
                + "the smaller the standard error of a learner’s estimated ability there.</p>")
            lines.append("<div class=\"information\">")
            lines.append("<figure>")
            lines.append(informationSVG(points))
            lines.append("<figcaption>Solid line: information (left axis). Dashed line: standard error of θ (right axis).</figcaption>")
            lines.append("</figure>")
            lines.append("<div class=\"table-wrap\">")
            lines.append("<table class=\"numbers\">")
            lines.append("<caption>Test information and standard error at each ability θ</caption>")
            lines.append("<thead><tr><th scope=\"col\">θ</th><th scope=\"col\">Information</th><th scope=\"col\">Standard error</th></tr></thead>")
            lines.append("<tbody>")
            for point in points {
                lines.append("<tr><th scope=\"row\" class=\"number\">\(decimal(point.theta, 2))</th>"
                    + "<td class=\"number\">\(decimal(point.information, 3))</td>"
                    + "<td class=\"number\">\(decimal(point.standardError, 3))</td></tr>")
            }
            lines.append("</tbody>")
            lines.append("</table>")
            lines.append("</div>")
            lines.append("</div>")
        }
        lines.append("</section>")

        // Item parameters.
        lines.append("<section aria-labelledby=\"parameters-heading\">")
        lines.append("<h2 id=\"parameters-heading\">Item parameters</h2>")
        if ordered.isEmpty {
            lines.append("<p>The report has no items.</p>")
        } else {
            lines.append("<div class=\"table-wrap\">")
            lines.append("<table>")
            lines.append("<caption>Fitted parameters (standard errors in brackets) and classical statistics, by skill then item</caption>")
            let headers = [
                "Item", "Skill", "Model",
                "<abbr title=\"discrimination\">a</abbr> (SE)",
                "<abbr title=\"difficulty or thresholds\">b</abbr> (SE)",
                "<abbr title=\"guessing\">c</abbr> (SE)",
                "Responses",
                "<abbr title=\"proportion of the maximum score\">p</abbr>",
                "Corrected point-biserial <abbr title=\"correlation\">r</abbr>",
                "Alpha if deleted",
                "Fit (<abbr title=\"root mean squared deviation\">RMSD</abbr>)",
                "DIF",
                "Options: chosen (top 27% / bottom 27%)",
                "Flags",
            ]
            lines.append("<thead><tr>" + headers.map { "<th scope=\"col\">\($0)</th>" }.joined() + "</tr></thead>")
            lines.append("<tbody>")
            for item in ordered {
                lines.append(parameterRow(item))
            }
            lines.append("</tbody>")
            lines.append("</table>")
            lines.append("</div>")
        }
        lines.append(parameterNote)
        lines.append("</section>")

        lines.append("</main>")
        lines.append("</body>")
        lines.append("</html>")
        return lines.joined(separator: "\n") + "\n"
    }

    private static func parameterRow(_ item: CalibrationReport.Item) -> String {
        let errors = SplitErrors(item)
        let aCell = "\(decimal(item.discrimination, 2)) (\(decimal(errors.a, 2)))"
        let bCell: String
        if item.difficulties.isEmpty {
            bCell = "—"
        } else {
            bCell = item.difficulties.indices.map { index -> String in
                let se: Double? = index < errors.b.count ? errors.b[index] : nil
                return "\(decimal(item.difficulties[index], 2)) (\(decimal(se, 2)))"
            }.joined(separator: "<br>")
        }
        let cCell = item.guessing.map { "\(decimal($0, 2)) (\(decimal(errors.c, 2)))" } ?? "—"

        let difCell: String
        if item.dif.isEmpty {
            difCell = "—"
        } else {
            let entries = item.dif.keys.sorted().map { comparison -> String in
                let category = item.dif[comparison] ?? ""
                let shown = category.uppercased() == "C" ? "<strong>\(escape(category))</strong>" : escape(category)
                return "<li>\(escape(comparison)): \(shown)</li>"
            }
            difCell = "<ul class=\"cell\">" + entries.joined() + "</ul>"
        }
        let optionCell = item.options.isEmpty
            ? "—"
            : "<ul class=\"cell\">" + item.options.map { option in
                let label = option.isKey ? "<strong>\(escape(option.id)) (key)</strong>" : escape(option.id)
                return "<li>\(label): \(percent(option.proportion)) (\(percent(option.upper)) / \(percent(option.lower)))</li>"
            }.joined() + "</ul>"
        let flagCell = item.flags.isEmpty
            ? "—"
            : "<ul class=\"cell\">" + item.flags.map { "<li>\(escape($0))</li>" }.joined() + "</ul>"

        let cells = [
            "<th scope=\"row\">\(escape(item.id))</th>",
            "<td>\(escape(item.skill))</td>",
            "<td>\(escape(modelName(item.model)))</td>",
            "<td class=\"number\">\(aCell)</td>",
            "<td class=\"number\">\(bCell)</td>",
            "<td class=\"number\">\(cCell)</td>",
            "<td class=\"number\">\(item.responses)</td>",
            "<td class=\"number\">\(decimal(item.proportion, 2))</td>",
            "<td class=\"number\">\(decimal(item.correctedPointBiserial, 2))</td>",
            "<td class=\"number\">\(decimal(item.alphaIfDeleted, 3))</td>",
            "<td class=\"number\">\(decimal(item.fitRMSD, 3))</td>",
            "<td>\(difCell)</td>",
            "<td>\(optionCell)</td>",
            "<td>\(flagCell)</td>",
        ]
        return "<tr>" + cells.joined() + "</tr>"
    }

    private static func modelName(_ model: String) -> String {
        switch model.lowercased() {
        case "2pl": "2PL"
        case "3pl": "3PL"
        case "grm": "graded (GRM)"
        default: model
        }
    }

    private static let parameterNote = """
    <div class="note">
    <h3>Reading the table</h3>
    <ul>
    <li><strong>a</strong> (discrimination): how sharply the item separates learners just below its difficulty from those just above it. Higher is sharper; below about 0.5 the item tells us little.</li>
    <li><strong>b</strong> (difficulty): the ability θ at which a learner has an even chance of answering right (for 3PL items, the point halfway between c and certainty). For graded items each threshold b1, b2, … is the ability at which a learner has an even chance of scoring that step or more.</li>
    <li><strong>c</strong> (guessing, 3PL only): the chance that a learner of very low ability still answers right.</li>
    <li><strong>SE</strong>: the standard error of each estimate; the larger it is, the less certain the value.</li>
    <li><strong>p</strong>: the mean score as a proportion of the maximum score. Higher means easier.</li>
    <li><strong>r</strong> (corrected point-biserial): how well the item score agrees with the total score on the other items. Low or negative values suggest the item measures something else, or that its key is wrong.</li>
    <li><strong>Fit (RMSD)</strong>: how far the answers stray from the item’s fitted curve, as a share of the maximum score; 0 is a perfect fit, above 0.12 the curve does not describe the item.</li>
    <li><strong>Alpha if deleted</strong>: Cronbach’s alpha of the test without this item. If it is higher than the alpha of the whole test, the item may be weakening it.</li>
    <li><strong>DIF</strong> (differential item functioning), ETS categories for each comparison of two groups of learners matched on ability: <strong>A</strong> means a negligible difference between the groups; <strong>B</strong> a slight to moderate difference, worth a look; <strong>C</strong> a moderate to large difference: review the item’s wording and content for the groups compared before using it.</li>
    </ul>
    </div>
    """

    private static let stylesheet = """
    body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; line-height: 1.5; color: #111; background: #fff; margin: 0; }
    main { max-width: 80rem; margin: 0 auto; padding: 1.5rem; }
    h1 { font-size: 1.6rem; margin-top: 0; }
    h2 { font-size: 1.3rem; margin-top: 2rem; border-bottom: 1px solid #999; }
    h3 { font-size: 1.05rem; }
    dl.summary { display: grid; grid-template-columns: repeat(auto-fill, minmax(18rem, 1fr)); gap: 0.25rem 1.5rem; }
    dl.summary div { display: flex; gap: 0.5rem; }
    dt { font-weight: 600; }
    dt::after { content: ":"; }
    dd { margin: 0; }
    .information { display: flex; flex-wrap: wrap; gap: 1.5rem; align-items: flex-start; }
    .information figure { flex: 2 1 28rem; margin: 0; }
    .information .table-wrap { flex: 1 1 16rem; }
    .information-curve { width: 100%; height: auto; }
    figcaption { font-size: 0.9rem; }
    .table-wrap { overflow-x: auto; }
    table { border-collapse: collapse; font-variant-numeric: tabular-nums; font-size: 0.9rem; }
    caption { text-align: left; font-weight: 600; padding-bottom: 0.25rem; }
    th, td { border: 1px solid #999; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
    thead th { background: #eee; }
    .number { text-align: right; white-space: nowrap; }
    ul.cell { list-style: none; margin: 0; padding: 0; }
    .note { max-width: 50rem; font-size: 0.95rem; }
    @media print {
      main { max-width: none; padding: 0; }
      .table-wrap { overflow: visible; }
      .information { display: block; }
      thead { display: table-header-group; }
      tr, figure { break-inside: avoid; }
      thead th { background: none; }
    }
    """

    // MARK: - CSV

    /// One row per item, after a header row:
    /// `id,skill,model,a,se_a,b,se_b,c,se_c,max_score,responses,p,r_pbis,alpha_if_deleted,rmsd,dif,flags`.
    /// Graded thresholds (and their standard errors) are joined with `;`; DIF is written as
    /// `comparison: category` pairs and flags as sentences, each joined with `; `. Numbers
    /// have 4 decimals; a missing value is an empty field. Fields are quoted as RFC 4180 asks;
    /// rows end with a line feed.
    public static func parametersCSV(_ report: CalibrationReport) -> String {
        let header = [
            "id", "skill", "model", "a", "se_a", "b", "se_b", "c", "se_c",
            "max_score", "responses", "p", "r_pbis", "alpha_if_deleted", "rmsd", "dif", "options", "flags",
        ]
        var rows = [header.joined(separator: ",")]
        for item in report.items {
            let errors = SplitErrors(item)
            let dif = item.dif.keys.sorted().map { "\($0): \(item.dif[$0] ?? "")" }.joined(separator: "; ")
            let fields: [String] = [
                item.id,
                item.skill,
                item.model,
                csvNumber(item.discrimination),
                csvOptional(errors.a),
                item.difficulties.map { csvNumber($0) }.joined(separator: ";"),
                errors.b.map { csvOptional($0) }.joined(separator: ";"),
                csvOptional(item.guessing),
                csvOptional(errors.c),
                String(item.maxScore),
                String(item.responses),
                csvNumber(item.proportion),
                csvOptional(item.correctedPointBiserial),
                csvOptional(item.alphaIfDeleted),
                csvOptional(item.fitRMSD),
                dif,
                item.options.map { "\($0.id)\($0.isKey ? "*" : ""): \(csvNumber($0.proportion)) (\(csvNumber($0.upper))/\(csvNumber($0.lower)))" }.joined(separator: "; "),
                item.flags.joined(separator: "; "),
            ]
            rows.append(fields.map { csvField($0) }.joined(separator: ","))
        }
        return rows.joined(separator: "\n") + "\n"
    }

    private static func csvNumber(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : (value > 0 ? "Infinity" : "-Infinity") }
        return fixed(value, 4)
    }

    private static func csvOptional(_ value: Double?) -> String {
        guard let value else { return "" }
        return csvNumber(value)
    }

    private static func csvField(_ text: String) -> String {
        let special: Set<Unicode.Scalar> = [",", "\"", "\n", "\r"]
        guard text.unicodeScalars.contains(where: { special.contains($0) }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    // MARK: - YAML

    /// The new bank version as YAML: a header (`course`, `course_version`, `bank_version`,
    /// `generated_at`, `examinees`), then `items:` with one entry per item in report order:
    /// `id`, `irt` (`{model: 2pl, a: …, b: …}`; 3PL adds `c`; graded items give `b` as a list of
    /// thresholds) and `se`, the standard errors in the order a, b (or b1…bm), c.
    /// Whether an item's parameters can go into the bank: a positive discrimination, finite
    /// values, thresholds in increasing order. Others (a miskeyed item fits with a negative a)
    /// stay in the report with their flags and out of the bank.
    public static func isUsableInBank(_ item: CalibrationReport.Item) -> Bool {
        CalibratedBank.Item(model: item.model.lowercased(), a: item.discrimination, b: item.difficulties, c: item.guessing).problem == nil
    }

    public static func bankYAML(_ report: CalibrationReport) -> String {
        var lines: [String] = []
        lines.append("# Item bank written by cairn calibrate.")
        lines.append("# se lists the standard errors in the order a, b (or b1, b2, ...), c.")
        lines.append("course: \(yamlString(report.courseID))")
        lines.append("course_version: \(yamlString(report.courseVersion))")
        lines.append("bank_version: \(yamlString(report.bankVersion))")
        lines.append("generated_at: \(yamlString(iso8601(report.generatedAt)))")
        lines.append("examinees: \(report.examinees)")
        let usable = report.items.filter(isUsableInBank)
        let leftOut = report.items.filter { !isUsableInBank($0) }.map(\.id)
        if !leftOut.isEmpty {
            lines.append("# Left out (see the report's flags): " + leftOut.joined(separator: ", "))
        }
        if usable.isEmpty {
            lines.append("items: []")
        } else {
            lines.append("items:")
            for item in usable {
                var irt = ["model: \(yamlModel(item.model))", "a: \(yamlNumber(item.discrimination))"]
                if item.model.lowercased() == "grm" || item.difficulties.count != 1 {
                    irt.append("b: [" + item.difficulties.map { yamlNumber($0) }.joined(separator: ", ") + "]")
                } else {
                    irt.append("b: \(yamlNumber(item.difficulties[0]))")
                }
                if let guessing = item.guessing {
                    irt.append("c: \(yamlNumber(guessing))")
                }
                lines.append("  - id: \(yamlString(item.id))")
                lines.append("    irt: {" + irt.joined(separator: ", ") + "}")
                lines.append("    se: [" + item.standardErrors.map { yamlNumber($0) }.joined(separator: ", ") + "]")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func yamlModel(_ model: String) -> String {
        let lowered = model.lowercased()
        return ["2pl", "3pl", "grm"].contains(lowered) ? lowered : yamlString(model)
    }

    private static func yamlNumber(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? ".nan" : (value > 0 ? ".inf" : "-.inf") }
        // Full precision: the bank is read back by machines, and close thresholds must stay in order.
        return String(format: "%.10g", value)
    }

    /// A YAML double-quoted scalar: backslash, double quote and every control or line-breaking
    /// character escaped.
    private static func yamlString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                let value = scalar.value
                if value < 0x20 || value == 0x7F || value == 0x85 || value == 0x2028 || value == 0x2029 || value == 0xFEFF {
                    out += "\\u" + hex4(value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    private static func hex4(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    // MARK: - SVG

    /// The test information curve as an inline SVG that scales with its container (viewBox
    /// only; size it with CSS). Information is the solid line on the left axis; the standard
    /// error of θ is the dashed line on the right axis, with a legend. The `<title>` and
    /// `<desc>` carry the ids `cairn-information-title` and `cairn-information-desc`, so put one
    /// such SVG on a page.
    public static func informationSVG(_ points: [CalibrationReport.InformationPoint]) -> String {
        let viewWidth = 640.0
        let viewHeight = 380.0
        let left = 64.0
        let right = 576.0
        let top = 48.0
        let bottom = 316.0
        let plotWidth = right - left
        let plotHeight = bottom - top

        let opening = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(coord(viewWidth)) \(coord(viewHeight))\" "
            + "role=\"img\" aria-labelledby=\"cairn-information-title cairn-information-desc\" class=\"information-curve\" "
            + "font-family=\"system-ui, -apple-system, Helvetica, Arial, sans-serif\" font-size=\"13\" fill=\"#000\">"
        let title = "<title id=\"cairn-information-title\">Test information curve</title>"

        let sorted = points.filter { $0.theta.isFinite }.sorted { $0.theta < $1.theta }
        guard let first = sorted.first, let last = sorted.last else {
            let message = "No information curve was computed."
            return [
                opening, title,
                "<desc id=\"cairn-information-desc\">\(message)</desc>",
                "<text x=\"\(coord(viewWidth / 2))\" y=\"\(coord(viewHeight / 2))\" text-anchor=\"middle\">\(message)</text>",
                "</svg>",
            ].joined(separator: "\n")
        }

        // Ranges and ticks.
        var thetaLow = first.theta
        var thetaHigh = last.theta
        if thetaHigh - thetaLow < 1e-9 {
            thetaLow -= 1
            thetaHigh += 1
        }
        let thetaSpan = thetaHigh - thetaLow
        let thetaStep = niceStep(thetaSpan, target: 8)
        let thetaTicks = ticks(from: thetaLow, to: thetaHigh, step: thetaStep)
        let thetaDigits = decimals(for: thetaStep)

        let informationMax = sorted.map(\.information).filter { $0.isFinite && $0 >= 0 }.max() ?? 0
        let informationAxis = axisTop(informationMax, target: 5)
        let informationTicks = ticks(from: 0, to: informationAxis.top, step: informationAxis.step)
        let informationDigits = decimals(for: informationAxis.step)

        let errorMax = sorted.map(\.standardError).filter { $0.isFinite && $0 >= 0 }.max() ?? 0
        let errorAxis = axisTop(errorMax, target: 5)
        let errorTicks = ticks(from: 0, to: errorAxis.top, step: errorAxis.step)
        let errorDigits = decimals(for: errorAxis.step)

        func x(_ theta: Double) -> Double { left + (theta - thetaLow) / thetaSpan * plotWidth }
        func yInformation(_ value: Double) -> Double {
            bottom - min(max(value, 0), informationAxis.top) / informationAxis.top * plotHeight
        }
        func yError(_ value: Double) -> Double {
            bottom - min(max(value, 0), errorAxis.top) / errorAxis.top * plotHeight
        }

        // Description.
        let peak = sorted.filter { $0.information.isFinite }.max { $0.information < $1.information }
        var description = "Test information across ability θ from \(fixed(first.theta, 2)) to \(fixed(last.theta, 2)). "
        if let peak {
            description += "Information peaks at \(fixed(peak.information, 2)) at θ = \(fixed(peak.theta, 2))"
            if peak.standardError.isFinite {
                description += ", where the standard error of ability is \(fixed(peak.standardError, 2))"
            }
            description += ". "
        } else {
            description += "No finite information value was computed. "
        }
        description += "The solid line is information, read on the left axis; "
            + "the dashed line is the standard error of θ, read on the right axis."

        var svg: [String] = [opening, title, "<desc id=\"cairn-information-desc\">\(escape(description))</desc>"]

        // Grid and axes.
        svg.append("<g stroke=\"#c8c8c8\" stroke-width=\"1\">")
        for tick in informationTicks where tick > 0 {
            let y = coord(yInformation(tick))
            svg.append("<line x1=\"\(coord(left))\" y1=\"\(y)\" x2=\"\(coord(right))\" y2=\"\(y)\"/>")
        }
        svg.append("</g>")
        svg.append("<g stroke=\"#000\" stroke-width=\"1.2\" fill=\"none\">")
        svg.append("<line x1=\"\(coord(left))\" y1=\"\(coord(bottom))\" x2=\"\(coord(right))\" y2=\"\(coord(bottom))\"/>")
        svg.append("<line x1=\"\(coord(left))\" y1=\"\(coord(top))\" x2=\"\(coord(left))\" y2=\"\(coord(bottom))\"/>")
        svg.append("<line x1=\"\(coord(right))\" y1=\"\(coord(top))\" x2=\"\(coord(right))\" y2=\"\(coord(bottom))\"/>")
        for tick in thetaTicks {
            let tx = coord(x(tick))
            svg.append("<line x1=\"\(tx)\" y1=\"\(coord(bottom))\" x2=\"\(tx)\" y2=\"\(coord(bottom + 5))\"/>")
        }
        for tick in informationTicks {
            let y = coord(yInformation(tick))
            svg.append("<line x1=\"\(coord(left - 5))\" y1=\"\(y)\" x2=\"\(coord(left))\" y2=\"\(y)\"/>")
        }
        for tick in errorTicks {
            let y = coord(yError(tick))
            svg.append("<line x1=\"\(coord(right))\" y1=\"\(y)\" x2=\"\(coord(right + 5))\" y2=\"\(y)\"/>")
        }
        svg.append("</g>")

        // Tick labels.
        svg.append("<g font-size=\"12\">")
        for tick in thetaTicks {
            svg.append("<text x=\"\(coord(x(tick)))\" y=\"\(coord(bottom + 20))\" text-anchor=\"middle\">\(fixed(tick, thetaDigits))</text>")
        }
        for tick in informationTicks {
            svg.append("<text x=\"\(coord(left - 8))\" y=\"\(coord(yInformation(tick)))\" dy=\"0.35em\" text-anchor=\"end\">\(fixed(tick, informationDigits))</text>")
        }
        for tick in errorTicks {
            svg.append("<text x=\"\(coord(right + 8))\" y=\"\(coord(yError(tick)))\" dy=\"0.35em\" text-anchor=\"start\">\(fixed(tick, errorDigits))</text>")
        }
        svg.append("</g>")

        // Axis titles.
        let middleY = coord(top + plotHeight / 2)
        svg.append("<text x=\"\(coord(left + plotWidth / 2))\" y=\"\(coord(bottom + 44))\" text-anchor=\"middle\">Ability θ</text>")
        svg.append("<text transform=\"translate(18 \(middleY)) rotate(-90)\" text-anchor=\"middle\">Information</text>")
        svg.append("<text transform=\"translate(626 \(middleY)) rotate(90)\" text-anchor=\"middle\">Standard error of θ</text>")

        // Legend.
        let legendY = coord(22)
        svg.append("<g>")
        svg.append("<line x1=\"\(coord(left))\" y1=\"\(legendY)\" x2=\"\(coord(left + 32))\" y2=\"\(legendY)\" stroke=\"#000\" stroke-width=\"2.5\"/>")
        svg.append("<text x=\"\(coord(left + 40))\" y=\"\(legendY)\" dy=\"0.35em\">Information (left axis)</text>")
        svg.append("<line x1=\"\(coord(left + 240))\" y1=\"\(legendY)\" x2=\"\(coord(left + 272))\" y2=\"\(legendY)\" stroke=\"#333\" stroke-width=\"2\" stroke-dasharray=\"6 4\"/>")
        svg.append("<text x=\"\(coord(left + 280))\" y=\"\(legendY)\" dy=\"0.35em\">Standard error of θ (right axis)</text>")
        svg.append("</g>")

        // Lines.
        let informationPath = pathData(sorted.map { point -> (x: Double, y: Double?) in
            (x(point.theta), point.information.isFinite ? yInformation(point.information) : nil)
        })
        let errorPath = pathData(sorted.map { point -> (x: Double, y: Double?) in
            (x(point.theta), point.standardError.isFinite ? yError(point.standardError) : nil)
        })
        if !errorPath.isEmpty {
            svg.append("<path d=\"\(errorPath)\" fill=\"none\" stroke=\"#333\" stroke-width=\"2\" stroke-dasharray=\"6 4\" stroke-linejoin=\"round\"/>")
        }
        if !informationPath.isEmpty {
            svg.append("<path d=\"\(informationPath)\" fill=\"none\" stroke=\"#000\" stroke-width=\"2.5\" stroke-linejoin=\"round\"/>")
        }

        // Markers when the points are few enough to tell apart: filled circles for
        // information, open squares for the standard error (shape, not colour, tells them apart).
        if sorted.count <= 20 {
            svg.append("<g>")
            for point in sorted {
                let px = x(point.theta)
                if point.standardError.isFinite {
                    let py = yError(point.standardError)
                    svg.append("<rect x=\"\(coord(px - 3))\" y=\"\(coord(py - 3))\" width=\"6\" height=\"6\" fill=\"#fff\" stroke=\"#333\" stroke-width=\"1.5\"/>")
                }
                if point.information.isFinite {
                    svg.append("<circle cx=\"\(coord(px))\" cy=\"\(coord(yInformation(point.information)))\" r=\"3.5\" fill=\"#000\"/>")
                }
            }
            svg.append("</g>")
        }

        svg.append("</svg>")
        return svg.joined(separator: "\n")
    }

    /// SVG path data through the points; a missing y lifts the pen.
    private static func pathData(_ points: [(x: Double, y: Double?)]) -> String {
        var parts: [String] = []
        var drawing = false
        for point in points {
            guard let y = point.y else {
                drawing = false
                continue
            }
            parts.append((drawing ? "L" : "M") + "\(coord(point.x)) \(coord(y))")
            drawing = true
        }
        return parts.joined(separator: " ")
    }

    /// A step of 1, 2, 2.5 or 5 times a power of ten that cuts `span` into about `target` parts.
    private static func niceStep(_ span: Double, target: Int) -> Double {
        guard span.isFinite, span > 0 else { return 1 }
        let raw = span / Double(max(target, 1))
        let magnitude = pow(10, log10(raw).rounded(.down))
        let normalised = raw / magnitude
        let factor: Double
        if normalised <= 1 {
            factor = 1
        } else if normalised <= 2 {
            factor = 2
        } else if normalised <= 2.5 {
            factor = 2.5
        } else if normalised <= 5 {
            factor = 5
        } else {
            factor = 10
        }
        return factor * magnitude
    }

    /// An axis from 0 to `maximum` rounded up to a whole number of nice steps.
    private static func axisTop(_ maximum: Double, target: Int) -> (top: Double, step: Double) {
        guard maximum.isFinite, maximum > 0 else { return (1, 0.2) }
        let step = niceStep(maximum, target: target)
        var top = (maximum / step).rounded(.up) * step
        if top < maximum { top += step }
        return (top, step)
    }

    private static func ticks(from low: Double, to high: Double, step: Double) -> [Double] {
        guard low.isFinite, high.isFinite, step.isFinite, step > 0, high >= low else { return [] }
        var values: [Double] = []
        var index = (low / step - 1e-9).rounded(.up)
        while values.count < 200 {
            let value = index * step
            if value > high + step * 1e-9 { break }
            values.append(abs(value) < step * 1e-9 ? 0 : value)
            index += 1
        }
        return values
    }

    /// How many decimals a tick step needs (2.5 needs one, 0.25 two, 5 none).
    private static func decimals(for step: Double) -> Int {
        var digits = 0
        var scaled = step
        while digits < 6, abs(scaled - scaled.rounded()) > 1e-7 * max(1, abs(scaled)) {
            scaled *= 10
            digits += 1
        }
        return digits
    }

    private static func coord(_ value: Double) -> String {
        fixed(value, 1)
    }

    // MARK: - Shared

    /// Standard errors split by parameter: they come in the order a, b (or b1…bm), c.
    private struct SplitErrors {
        var a: Double?
        var b: [Double?]
        var c: Double?

        init(_ item: CalibrationReport.Item) {
            let errors = item.standardErrors
            let thresholds = item.difficulties.count
            a = errors.first
            b = (0..<thresholds).map { index -> Double? in
                errors.indices.contains(1 + index) ? errors[1 + index] : nil
            }
            c = item.guessing != nil && errors.indices.contains(1 + thresholds) ? errors[1 + thresholds] : nil
        }
    }

    private static func sortedBySkillThenID(_ items: [CalibrationReport.Item]) -> [CalibrationReport.Item] {
        items.sorted { ($0.skill, $0.id) < ($1.skill, $1.id) }
    }

    /// `value` with exactly `digits` decimals and a full stop, never "-0.00".
    private static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : (value > 0 ? "∞" : "-∞") }
        var text = String(format: "%.\(max(0, digits))f", value)
        if text.hasPrefix("-"), let parsed = Double(text), parsed == 0 {
            text.removeFirst()
        }
        return text
    }

    /// A number for the HTML page; "—" when there is none.
    private static func percent(_ value: Double) -> String {
        value.isFinite ? "\(Int((value * 100).rounded()))%" : "—"
    }

    private static func decimal(_ value: Double?, _ digits: Int) -> String {
        guard let value else { return "—" }
        return fixed(value, digits)
    }

    private static func iso8601(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    /// Text made safe for HTML element content and quoted attribute values.
    private static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
