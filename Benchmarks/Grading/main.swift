import CairnCore
import Curriculum
import Foundation
import Grading

// Grading throughput on one core: every check and task of the shipped courses, each with a
// right and a wrong answer, graded round-robin for a fixed time. The baseline, measured in
// the same run on the same answers, is decoding each answer from its JSON form (work every
// graded request does anyway), so the ratio shows what grading adds.
//
// Usage: cairn-bench [COURSES_DIR] [SECONDS]

let arguments = CommandLine.arguments
let coursesDirectory = arguments.count > 1 ? arguments[1] : "courses"
let seconds = arguments.count > 2 ? Double(arguments[2]) ?? 3 : 3

let catalog = CourseLoader.loadCatalog(at: coursesDirectory)
guard !catalog.diagnostics.hasErrors else {
    FileHandle.standardError.write(Data(catalog.diagnostics.report().utf8))
    exit(1)
}

func answers(for interaction: Interaction) -> [Answer] {
    switch interaction.content {
    case let .singleChoice(options, key):
        return [.choice(key), .choice(options.first { $0.id != key }?.id ?? key)]
    case let .multipleChoice(_, keys):
        return [.choices(keys), .choices(Array(keys.prefix(1)))]
    case let .numeric(key, tolerance, _):
        return [.number(String(key)), .number(String(key + 10 * (tolerance + 1)))]
    case let .ordering(_, key):
        return [.order(key), .order(key.reversed())]
    case let .matching(_, _, key):
        let lefts = key.keys.sorted()
        let rights = lefts.compactMap { key[$0] }
        let shifted = Dictionary(uniqueKeysWithValues: zip(lefts, rights.dropFirst() + rights.prefix(1)))
        return [.matches(key), .matches(shifted)]
    case let .shortText(_, reference), let .promptWriting(_, _, reference):
        return [.text(reference), .text("I would ask the assistant to help with this task and check the result.")]
    case let .critique(material, quotes), let .redaction(material, quotes):
        let spans = quotes.compactMap { Material.locate($0.quote, in: material) }
        return [.spans(spans), .spans(Array(spans.prefix(1)))]
    }
}

var work: [(Interaction, Answer, Data)] = []
let encoder = JSONEncoder()
for course in catalog.courses {
    for interaction in course.practice + course.items {
        for answer in answers(for: interaction) {
            work.append((interaction, answer, try encoder.encode(answer)))
        }
    }
}
let grader = Grader()

/// Runs `body` over the work list round-robin for `seconds`; returns operations per second.
@MainActor func measure(_ label: String, _ body: (Int) throws -> Void) rethrows -> Double {
    // Warm up (compiles rubric patterns, fills caches).
    for index in work.indices { try body(index) }
    var operations = 0
    let start = DispatchTime.now().uptimeNanoseconds
    var now = start
    while Double(now - start) / 1e9 < seconds {
        for index in work.indices { try body(index) }
        operations += work.count
        now = DispatchTime.now().uptimeNanoseconds
    }
    let rate = Double(operations) / (Double(now - start) / 1e9)
    print("\(label): \(Int(rate)) per second (\(operations) in \(String(format: "%.2f", Double(now - start) / 1e9)) s)")
    return rate
}

print("\(work.count) answers to \(work.count / 2) interactions of \(catalog.courses.map(\.id.rawValue).joined(separator: ", ")); one thread")
let decoder = JSONDecoder()
let baseline = try measure("baseline: decode the answer from JSON") { index in
    _ = try decoder.decode(Answer.self, from: work[index].2)
}
let grading = try measure("grade the answer") { index in
    _ = try grader.grade(work[index].0, answer: work[index].1)
}
var perType: [InteractionType: [Int]] = [:]
for (index, item) in work.enumerated() { perType[item.0.type, default: []].append(index) }
for type in InteractionType.allCases {
    guard let indexes = perType[type], !indexes.isEmpty else { continue }
    var count = 0
    let start = DispatchTime.now().uptimeNanoseconds
    while Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 < seconds / 3 {
        for index in indexes { _ = try grader.grade(work[index].0, answer: work[index].1) }
        count += indexes.count
    }
    let rate = Double(count) / (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    print("  \(type.rawValue): \(Int(rate)) per second")
}
print(String(format: "result: %.0f gradings per second on one core (target >= 50000); %.2f x the JSON-decoding baseline", grading, grading / baseline))
