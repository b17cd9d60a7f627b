import CairnCore
import Curriculum
import Foundation
import Grading

/// How Cairn's scoring agrees with people on a course's human-scored anchor sets: per
/// rubric, the rubric checks alone (criteria without a check score 0), and with the model
/// judge scoring those criteria. A model judge that agrees with people below QWK 0.70 on a
/// rubric is not used for exam scoring: its items need human scoring.
public struct AgreementReport: Sendable {
    /// The least quadratic weighted kappa with people for a model judge to score exams.
    public static let minimumKappa = 0.70

    public struct Stats: Sendable, Equatable {
        public var kappa: Double?
        public var exact: Double?
        public var adjacent: Double?
        public var standardizedMeanDifference: Double?
        public var meanMachine: Double
        public var meanHuman: Double

        init(machine: [Int], human: [Int], maxScore: Int) {
            kappa = Agreement.quadraticWeightedKappa(machine, human, minScore: 0, maxScore: maxScore)
            exact = Agreement.exact(machine, human)
            adjacent = Agreement.adjacent(machine, human)
            standardizedMeanDifference = Agreement.standardizedMeanDifference(machine: machine, human: human)
            meanMachine = machine.isEmpty ? 0 : Double(machine.reduce(0, +)) / Double(machine.count)
            meanHuman = human.isEmpty ? 0 : Double(human.reduce(0, +)) / Double(human.count)
        }
    }

    public struct Row: Sendable {
        public var interaction: InteractionID
        public var isExamItem: Bool
        public var maxScore: Int
        public var answers: Int
        /// Whether the rubric has criteria no check decides (the ones a model judges).
        public var hasOpenCriteria: Bool
        public var checksOnly: Stats
        /// Nil without a model, or when every criterion has a check.
        public var withModel: Stats?
        /// Answers whose judgement was marked for human review.
        public var markedForReview: Int
        /// Why, counted by reason (the most common first when printed).
        public var reviewReasons: [String: Int] = [:]

        /// Whether the model judge may score this rubric in exams; nil when no judge ran.
        public var modelMayScoreExams: Bool? {
            guard let withModel else { return nil }
            return (withModel.kappa ?? -1) >= AgreementReport.minimumKappa
        }
    }

    public var course: CourseID
    public var model: String?
    public var rows: [Row]

    /// The rubrics whose model judge falls below the bar.
    public var humanScoringNeeded: [Row] { rows.filter { $0.modelMayScoreExams == false } }

    /// Runs the rubric checks (and the judge, when given) over every anchor set of the
    /// course, or the one for `only`; `progress` hears of each set as it starts.
    public static func run(course: Course, judge: RubricJudge?, only: InteractionID? = nil, grader: Grader = Grader(),
                           progress: (String) -> Void = { _ in }) async throws -> AgreementReport {
        let interactions = Dictionary(course.lessons.values.flatMap(\.interactions).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let items = Dictionary(course.items.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var rows: [Row] = []
        for set in course.anchors.values.sorted(by: { $0.interaction.rawValue < $1.interaction.rawValue }) {
            if let only, set.interaction != only { continue }
            guard let interaction = interactions[set.interaction] ?? items[set.interaction] else { continue }
            let rubric: [RubricCriterion]
            switch interaction.content {
            case let .shortText(criteria, _), let .promptWriting(_, criteria, _): rubric = criteria
            default: continue
            }
            let maxScore = rubric.reduce(0) { $0 + $1.points }
            let open = rubric.contains { $0.check == nil }
            progress("\(set.interaction.rawValue): \(set.responses.count) answers")
            var human: [Int] = [], checks: [Int] = [], judged: [Int] = []
            var review = 0
            var reasons: [String: Int] = [:]
            for response in set.responses {
                let result: GradeResult
                do {
                    result = try grader.grade(interaction, answer: .text(response.response))
                } catch {
                    // An anchor answer the grader refuses (empty, too long) scores 0 by the checks.
                    human.append(response.score)
                    checks.append(0)
                    if judge != nil, open { judged.append(0) }
                    continue
                }
                human.append(response.score)
                checks.append(Int(result.score.rounded()))
                if let judge, open {
                    let judgement = try await judge.judge(interaction, text: response.response, result: result)
                    if judgement.needsReview { review += 1 }
                    for reason in judgement.reviewReasons { reasons[reason, default: 0] += 1 }
                    judged.append(Int(RubricJudge.combine(result, with: judgement).score.rounded()))
                }
            }
            rows.append(Row(
                interaction: set.interaction, isExamItem: items[set.interaction] != nil, maxScore: maxScore, answers: human.count,
                hasOpenCriteria: open, checksOnly: Stats(machine: checks, human: human, maxScore: maxScore),
                withModel: judged.isEmpty ? nil : Stats(machine: judged, human: human, maxScore: maxScore), markedForReview: review,
                reviewReasons: reasons
            ))
        }
        return AgreementReport(course: course.id, model: judge?.model.displayName, rows: rows)
    }

    // MARK: the printed report

    /// The report as a table, with the conclusion for exam scoring.
    public var text: String {
        var out = "Agreement with human scores on the anchor sets of \(course.rawValue)\n"
        out += "Model judge: \(model ?? "none (give --model-url and --model-name to include one)")\n\n"
        let header = ["rubric", "n", "max", "checks: QWK", "exact", "adj.", "SMD", "model: QWK", "exact", "adj.", "SMD", "review", "exam scoring"]
        var table = [header]
        for row in rows {
            let name = row.interaction.rawValue + (row.isExamItem ? " (exam)" : "")
            var cells = [name, "\(row.answers)", "\(row.maxScore)"] + Self.cells(row.checksOnly)
            if let withModel = row.withModel {
                cells += Self.cells(withModel) + ["\(row.markedForReview)", row.modelMayScoreExams == true ? "model may score" : "people score"]
            } else {
                cells += ["–", "–", "–", "–", "–", row.hasOpenCriteria ? (model == nil ? "not measured" : "–") : "checks alone"]
            }
            table.append(cells)
        }
        let widths = header.indices.map { column in table.map { $0[column].count }.max() ?? 0 }
        for (index, cells) in table.enumerated() {
            out += zip(cells, widths).enumerated().map { column, pair in
                column == 0 ? pair.0.padding(toLength: pair.1, withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: pair.1 - pair.0.count) + pair.0
            }.joined(separator: "  ") + "\n"
            if index == 0 { out += String(repeating: "-", count: widths.reduce(0, +) + 2 * (widths.count - 1)) + "\n" }
        }
        out += "\nQWK: quadratic weighted kappa with the people's scores; exact and adj.: shares of answers scored the same and within a point; "
        out += "SMD: standardized mean difference from the people's scores (negative: scored lower). Criteria without a check score 0 under \"checks\".\n"
        let reviewed = rows.filter { !$0.reviewReasons.isEmpty }
        if !reviewed.isEmpty {
            out += "\nWhy answers went to a person (the commonest reasons):\n"
            for row in reviewed {
                let top = row.reviewReasons.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(3)
                out += "- \(row.interaction.rawValue): " + top.map { "\($0.key) (\($0.value))" }.joined(separator: "; ") + "\n"
            }
        }
        if model != nil {
            let below = humanScoringNeeded
            if below.isEmpty {
                out += "Every rubric's model judge agrees with people at QWK \(String(format: "%.2f", Self.minimumKappa)) or above.\n"
            } else {
                out += "Below QWK \(String(format: "%.2f", Self.minimumKappa)) with people, so not used for exam scoring (their items need human scoring): "
                out += below.map(\.interaction.rawValue).joined(separator: ", ") + ".\n"
            }
        }
        return out
    }

    static func cells(_ stats: Stats) -> [String] {
        func number(_ value: Double?) -> String { value.map { String(format: "%.2f", $0) } ?? "n/a" }
        return [number(stats.kappa), number(stats.exact), number(stats.adjacent), number(stats.standardizedMeanDifference)]
    }
}
