import AppServices
import CairnCore
import Curriculum
import Foundation
import Grading
import Hummingbird
import Tutoring

/// The learning loop in the JSON API: a lesson's conversation, actions on it, and mastery.
struct ChatAPI {
    let environment: CairnEnvironment

    var learning: LearningService { environment.learning }
    var courses: CatalogService { environment.courses }

    struct ActionRequest: Decodable {
        let action: String
        let interaction: String?
        let answer: Answer?
        /// Word numbers of a critique or redaction material, as an alternative to `answer.spans`.
        let tokens: [Int]?
        let question: String?
        let mode: String?
    }

    struct MessageDTO: Encodable {
        let sequence: Int
        let author: String
        let kind: String
        let step: String?
        let interaction: String?
        /// The message as plain text.
        let text: String
        /// The actions the tutor offers under it.
        let actions: [String]
        let createdAt: Date

        init(_ entry: LearningService.Entry) {
            sequence = entry.record.sequence
            author = entry.record.author.rawValue
            kind = entry.message.kind.rawValue
            step = entry.record.step
            interaction = entry.record.interactionID?.rawValue
            text = entry.message.plainText
            actions = entry.message.actions.map(\.rawValue)
            createdAt = entry.record.createdAt
        }
    }

    struct TaskDTO: Encodable {
        let interaction: String
        let attempts: Int
        let passed: Bool
    }

    struct ChatDTO: ResponseEncodable {
        let course: String
        let lesson: String
        let mode: String
        let finished: Bool
        let openTask: String?
        let messages: [MessageDTO]
        let tasks: [TaskDTO]
    }

    struct ActionResultDTO: ResponseEncodable {
        let messages: [MessageDTO]
        let tasks: [TaskDTO]
        let mastery: [MasteryDTO]
    }

    struct MasteryDTO: Encodable {
        let skill: String
        let title: String
        let probability: Double
        let mastered: Bool
        let practised: Bool
    }

    struct MasteryListDTO: ResponseEncodable {
        let course: String
        let threshold: Double
        let skills: [MasteryDTO]
    }

    func add(to api: RouterGroup<CairnRequestContext>) {
        api.get("/courses/:course/lessons/:lesson/chat") { _, context in
            let user = try context.requireUser()
            let state = try await learning.open(try context.parameters.lessonID(), in: try context.parameters.courseID(), for: user.id)
            return ChatDTO(
                course: state.course.id.rawValue, lesson: state.lesson.id.rawValue, mode: state.conversation.mode.rawValue,
                finished: state.finished, openTask: state.openTask?.rawValue, messages: state.entries.map(MessageDTO.init),
                tasks: state.lesson.interactions.compactMap { interaction in
                    state.tasks[interaction.id].map { TaskDTO(interaction: interaction.id.rawValue, attempts: $0.attempts, passed: $0.passed) }
                }
            )
        }
        api.post("/courses/:course/lessons/:lesson/chat") { request, context in
            let user = try context.requireUser()
            let courseID = try context.parameters.courseID()
            let (course, lesson) = try courses.lesson(try context.parameters.lessonID(), in: courseID)
            let body = try await decodeJSON(ActionRequest.self, request, context)
            let action = try action(from: body, lesson: lesson)
            let outcome = try await learning.perform(action, lesson: lesson.id, in: course.id, for: user.id)
            let record = outcome.record
            // With a model configured, an answer or a question also gets the model's replies (waited for).
            let turns = try await learning.modelTurns(after: outcome, lesson: lesson.id, in: course.id, for: user.id)
            let entries = outcome.entries + (await ChatCoaching.runAll(turns, learning: learning, user: user.id, logger: context.logger))
            return ActionResultDTO(
                messages: entries.map(MessageDTO.init),
                tasks: lesson.interactions.compactMap { interaction in
                    outcome.tally[interaction.id].map { TaskDTO(interaction: interaction.id.rawValue, attempts: $0.attempts, passed: $0.passed) }
                },
                mastery: masteryDTOs(course, skills: lesson.skills, record: record)
            )
        }
        api.get("/courses/:course/mastery") { _, context in
            let user = try context.requireUser()
            let course = try courses.course(try context.parameters.courseID())
            let record = try await learning.learnerRecord(user: user.id, course: course)
            return MasteryListDTO(course: course.id.rawValue, threshold: course.masteryThreshold,
                                  skills: masteryDTOs(course, skills: course.skills.map(\.id), record: record))
        }
    }

    func masteryDTOs(_ course: Course, skills: [SkillID], record: LearnerRecord) -> [MasteryDTO] {
        skills.compactMap(course.skill).map { skill in
            let probability = record.mastery(of: skill)
            return MasteryDTO(skill: skill.id.rawValue, title: skill.title, probability: probability,
                              mastered: probability >= course.masteryThreshold, practised: record.mastery[skill.id] != nil)
        }
    }

    func action(from body: ActionRequest, lesson: Lesson) throws -> LearningService.Action {
        let interaction = try body.interaction.map { try LearningService.task($0, in: lesson) }
        switch body.action {
        case "answer":
            guard let interaction else { throw AppError.invalidField(field: "interaction", message: "Say which task the answer is for.") }
            if let tokens = body.tokens {
                switch interaction.content {
                case let .critique(material, _), let .redaction(material, _):
                    return .answer(interaction.id, try ChatRequests.spans(material: material, tokens: tokens.map(String.init), quotes: nil))
                default:
                    throw AppError.invalidField(field: "tokens", message: "Word numbers answer critique and redaction tasks only; send `answer` instead.")
                }
            }
            guard let answer = body.answer else {
                throw AppError.invalidField(field: "answer", message: "Send the answer, e.g. {\"choice\": \"b\"} or {\"text\": \"...\"}.")
            }
            return .answer(interaction.id, answer)
        case "ask":
            return .ask(body.question ?? "")
        default:
            return try ChatRequests.action(named: body.action, interaction: interaction, mode: body.mode)
        }
    }
}
