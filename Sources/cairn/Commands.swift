import AppServices
import CairnCore
import ArgumentParser
import Curriculum
import Foundation
import Logging
import Psychometrics
import Storage
import WebApp
#if canImport(Glibc)
import Glibc
#endif

@main
struct CairnCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cairn",
        abstract: "Cairn: learn, practise and certify job-ready AI skills.",
        subcommands: [Serve.self, Migrate.self, ExportDB.self, ImportDB.self, Content.self, Calibrate.self, Exam.self, Badges.self, Verify.self, Users.self, Jobs.self, Model.self, GradingCommand.self]
    )
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Start the web application.")

    @Option(help: "Address to listen on. Env: CAIRN_HOST. Default: 127.0.0.1")
    var host: String?

    @Option(help: "Port to listen on (0 picks a free one). Env: CAIRN_PORT. Default: 8080")
    var port: String?

    @Option(help: "The address people reach Cairn at, e.g. https://learn.example.org; https makes cookies Secure. Env: CAIRN_PUBLIC_URL")
    var publicURL: String?

    @Option(help: "Largest request body in bytes. Env: CAIRN_MAX_BODY_BYTES. Default: 1048576")
    var maxBodyBytes: String?

    @Option(help: "bcrypt cost for new passwords, 10 to 16. Env: CAIRN_BCRYPT_COST. Default: 12")
    var bcryptCost: String?

    @Option(help: "Whether this node takes background jobs (badges, calibration, the session sweep): on or off. Env: CAIRN_JOBS. Default: on")
    var jobs: String?

    @OptionGroup var data: DataOptions
    @OptionGroup var courses: CourseOptions
    @OptionGroup var log: LogOptions
    @OptionGroup var model: ModelOptions

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        var config = AppConfig()
        do {
            try data.apply(to: &config, environment: environment)
            courses.apply(to: &config, environment: environment)
            try log.apply(to: &config, environment: environment)
            config.model = try model.endpoint(environment: environment)
            if let value = host ?? environment["CAIRN_HOST"] { config.host = value }
            if let value = port ?? environment["CAIRN_PORT"] { config.port = try parseInt(value, setting: "--port / CAIRN_PORT", range: 0...65535) }
            if let value = publicURL ?? environment["CAIRN_PUBLIC_URL"] {
                guard value.hasPrefix("http://") || value.hasPrefix("https://") else {
                    throw ConfigError(setting: "--public-url / CAIRN_PUBLIC_URL", message: "'\(value)' must start with http:// or https://")
                }
                config.publicURL = value
            }
            if let value = maxBodyBytes ?? environment["CAIRN_MAX_BODY_BYTES"] {
                config.maxBodyBytes = try parseInt(value, setting: "--max-body-bytes / CAIRN_MAX_BODY_BYTES", range: 1024...(64 << 20))
            }
            if let value = bcryptCost ?? environment["CAIRN_BCRYPT_COST"] {
                config.bcryptCost = try parseInt(value, setting: "--bcrypt-cost / CAIRN_BCRYPT_COST", range: 10...16)
            }
            if let value = jobs ?? environment["CAIRN_JOBS"] {
                switch value.lowercased() {
                case "on": config.runsJobs = true
                case "off": config.runsJobs = false
                default: throw ConfigError(setting: "--jobs / CAIRN_JOBS", message: "'\(value)' is neither on nor off")
                }
            }
        } catch let error as ConfigError {
            fail(error.description)
        }
        let logger = bootstrapLogging(config)
        do {
            try await runServer(config: config, logger: logger)
        } catch let error as StartupError {
            fail(error.description)
        }
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply database migrations and report the schema version.")

    @OptionGroup var data: DataOptions

    func run() async throws {
        let config = data.config()
        let logger = Logger(label: "cairn")
        do {
            let database = try await config.openDatabase(logger: logger)
            let applied = try await database.migrate()
            let version = try await database.schemaVersion()
            await database.shutdown()
            for migration in applied { print("applied \(migration.version): \(migration.name)") }
            print("database \(database.location) is at migration \(version)\(applied.isEmpty ? " (already up to date)" : "")")
        } catch {
            fail("\(error)")
        }
    }
}

struct Content: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Work with course files.", subcommands: [Validate.self])

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check course files and report each problem as file:line: message.",
            discussion: "Exits 1 when there is any error. DIR is a course folder or a folder of courses (default: ./courses)."
        )

        @Argument(help: "A course folder, or a folder of courses.")
        var directory: String?

        @Flag(help: "Also print notes (e.g. lessons of planned modules not written yet).")
        var verbose = false

        func run() async throws {
            let path = directory ?? ProcessInfo.processInfo.environment["CAIRN_COURSES"] ?? "./courses"
            let catalog = CourseLoader.loadCatalog(at: path)
            let shown = catalog.diagnostics.filter { verbose || $0.severity != .note }
            print(shown.report())
            for course in catalog.courses {
                let practice = course.practice.count
                print("\(course.id) \(course.version): \(course.modules.count) modules, \(course.orderedLessons.count) lessons, \(practice) checks and tasks, \(course.items.count) exam items; " + ExamPlan(course: course).summary)
            }
            for pathway in catalog.pathways {
                let badges = pathway.badgeCourses.map(\.rawValue).joined(separator: " + ")
                let capstones = pathway.capstones.map { "capstone \($0.id) (pass \($0.passScore)/100)" }.joined(separator: " + ")
                print("pathway \(pathway.id): \([badges, capstones].filter { !$0.isEmpty }.joined(separator: " + ")) → \(pathway.credential.title)")
            }
            if catalog.diagnostics.hasErrors { throw ExitCode(1) }
        }
    }
}

struct Calibrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fit item parameters to exam responses and write a report.",
        discussion: """
            Reads the responses of the course's finished exam sittings from the database (each sitting an \
            examinee, the learner's organisation as the DIF group), or with --responses a CSV file in long format \
            (docs/calibration.md: a header naming examinee, item, score and any group columns); fits right/wrong items with the 2PL and rubric-scored items with the graded \
            response model, and writes to OUT: report.html (parameters with standard errors, classical \
            statistics, DIF, flags, the test information curve), parameters.csv, and bank.yaml (the new bank version).
            """
    )

    @Argument(help: "The course id, e.g. ai-foundations.")
    var course: String

    @Option(help: "The responses, a CSV file in long format. Default: the exam responses stored in the database.")
    var responses: String?

    @Option(help: "Folder to write the report into; created if missing. Default: ./calibration-COURSE")
    var out: String?

    @OptionGroup var courses: CourseOptions

    @OptionGroup var data: DataOptions

    func run() async throws {
        let found = try courses.course(course)
        let service = CalibrationService()
        let rows: [CalibrationService.Response]
        let source: String
        do {
            if let responses {
                source = responses
                let text: String
                do {
                    text = try String(contentsOfFile: responses, encoding: .utf8)
                } catch {
                    throw ValidationError("cannot read \(responses): \(error.localizedDescription)")
                }
                rows = try service.readResponses(csv: text, course: found)
            } else {
                let (stored, location) = try await data.withStore { store, location in
                    (try await store.calibrationResponses(course: found.id), location)
                }
                source = location
                let read = try service.responses(stored: stored, course: found)
                if read.unknownItems > 0 {
                    print("left out \(read.unknownItems) response(s) to items \(course) no longer has")
                }
                guard !read.responses.isEmpty else {
                    throw ValidationError("\(location) holds no finished exam sittings of \(course) yet; pass --responses FILE.csv to calibrate from a file")
                }
                rows = read.responses
            }
        } catch let error as CalibrationService.InputError {
            FileHandle.standardError.write(Data("\(responses ?? "stored responses"): \(error.description)\n".utf8))
            throw ExitCode(1)
        }
        let report: CalibrationReport
        do {
            report = try service.calibrate(course: found, responses: rows, at: Date())
        } catch let error as CalibrationService.InputError {
            FileHandle.standardError.write(Data("\(source): \(error.description)\n".utf8))
            throw ExitCode(1)
        }
        let folder = out ?? "./calibration-\(course)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let files = [
            ("report.html", CalibrationReportWriter.html(report)),
            ("parameters.csv", CalibrationReportWriter.parametersCSV(report)),
            ("bank.yaml", CalibrationReportWriter.bankYAML(report)),
        ]
        for (name, content) in files {
            try Data(content.utf8).write(to: URL(fileURLWithPath: folder).appendingPathComponent(name))
        }
        let flagged = report.items.filter { !$0.flags.isEmpty }.count
        print("\(report.courseID): \(report.items.count) items from \(report.examinees) examinees (\(report.responses) responses), " +
              "\(report.converged ? "converged" : "NOT converged") after \(report.iterations) EM cycles; " +
              "marginal reliability \(String(format: "%.3f", report.marginalReliability)); \(flagged) item(s) flagged")
        print("wrote \(folder)/report.html, parameters.csv and bank.yaml (bank version \(report.bankVersion))")
    }
}

struct Exam: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Work with the exams.", subcommands: [Simulate.self])

    struct Simulate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run simulated examinees through the adaptive exam engine and report how it performs.",
            discussion: """
                Uses the course's exam blueprint (lengths, skill areas, cut score) and the item parameters of a \
                calibrated bank (--bank, the bank.yaml that cairn calibrate writes; default: the irt parameters \
                in the items' files). Examinees' abilities are drawn from N(0, 1) with a fixed seed; each answer is \
                drawn from the item's model. Reports mean length, ability RMSE, classification accuracy against \
                the cut, item exposure, and the length a random linear form needs for the same precision.
                """
        )

        @Argument(help: "The course id, e.g. ai-foundations.")
        var course: String

        @Option(help: "A calibrated bank (bank.yaml from cairn calibrate).")
        var bank: String?

        @Option(help: "How many simulated examinees. Default: 1000")
        var examinees: Int = 1000

        @Option(help: "Seed of the simulation; the same seed gives the same report. Default: 1")
        var seed: UInt64 = 1

        @Option(help: "Standard error at which the exam stops. Default: 0.30")
        var targetStandardError: Double = 0.30

        @OptionGroup var courses: CourseOptions

        func run() async throws {
            guard examinees > 0 else { throw ValidationError("--examinees must be at least 1") }
            let found = try courses.course(course)
            var parameters: [String: CalibratedBank.Item] = [:]
            if let bank {
                do {
                    let loaded = try CalibratedBank.load(path: bank)
                    guard loaded.course == found.id.rawValue else {
                        throw ValidationError("\(bank) is a bank of \(loaded.course), not \(course)")
                    }
                    parameters = loaded.items
                } catch let error as CalibratedBank.LoadError {
                    throw ValidationError(error.description)
                }
            } else {
                for item in found.items {
                    guard let irt = item.irt else { continue }
                    parameters[item.id.rawValue] = CalibratedBank.Item(model: irt.model.rawValue, a: irt.a, b: irt.b, c: irt.c)
                }
            }
            let bankItems: [BankItem] = found.items.compactMap { item in
                ExamPlan.model(of: item, parameters: parameters).map { BankItem(id: item.id.rawValue, area: ExamPlan.area(of: item), model: $0) }
            }
            guard bankItems.count >= 2 else {
                throw ValidationError("\(course) has \(bankItems.count) calibrated item(s); run cairn calibrate and pass its bank.yaml with --bank")
            }
            let blueprint = found.exam
            var targets: [String: Double] = [:]
            for area in blueprint.areas {
                switch area.share {
                case let .proportion(share): targets[area.skill.rawValue] = share
                case let .items(count): targets[area.skill.rawValue] = Double(count)
                }
            }
            // Only areas the bank has items for can be balanced.
            let covered = Set(bankItems.map(\.area))
            targets = targets.filter { covered.contains($0.key) }
            let rules = AdaptiveRules(
                minLength: min(blueprint.minItems, bankItems.count), maxLength: min(blueprint.maxItems, bankItems.count),
                areaTargets: targets, targetStandardError: targetStandardError, cutScore: blueprint.cutTheta
            )
            var generator = SeededGenerator(seed: seed)
            let abilities = Simulation.abilities(count: examinees, generator: &generator)
            let report = AdaptiveSimulation.run(bank: bankItems, rules: rules, abilities: abilities, generator: &generator)
            let linear = AdaptiveSimulation.linearLengthForPrecision(bank: bankItems, rules: rules, abilities: abilities, generator: &generator)
            print("\(course): \(bankItems.count) calibrated items in \(covered.count) skill area(s); \(examinees) simulated examinees (seed \(seed))")
            print(String(format: "mean length %.1f items (blueprint %d–%d); mean standard error %.3f (target %.2f); ability RMSE %.3f",
                         report.meanLength, rules.minLength, rules.maxLength, report.meanStandardError, targetStandardError, report.abilityRMSE))
            if let accuracy = report.classificationAccuracy, let cut = blueprint.cutTheta {
                print(String(format: "pass/fail against the cut %.2f: %.1f%% classified correctly", cut, accuracy * 100))
            } else {
                print("pass/fail accuracy: no cut score on the ability scale in the blueprint (cut_theta)")
            }
            print(String(format: "most-used item in %.1f%% of exams (cap %.0f%%)", report.maxExposure * 100, (rules.maxExposure ?? 1) * 100))
            let reasons = report.stopReasons.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue) \($0.value)" }
            print("stopped by: " + reasons.joined(separator: ", "))
            if let linear {
                print(String(format: "a random linear form needs %d items for the same precision; the adaptive exam uses %.0f%% of that", linear, report.meanLength / Double(linear) * 100))
            } else {
                print("no linear form from this bank reaches that precision")
            }
        }
    }
}

struct ExportDB: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-db",
        abstract: "Write all of Cairn's data to a file (JSON Lines), to import into another database with import-db.",
        discussion: "Reads one consistent moment, even while Cairn serves, and changes nothing (the database must be at this cairn's migration). Example, SQLite to PostgreSQL: cairn export-db --out cairn.jsonl --data ./cairn-data, then cairn import-db cairn.jsonl --database-url postgres://…"
    )

    @Option(help: "The file to write (replaced if it exists).")
    var out: String

    @OptionGroup var data: DataOptions

    func run() async throws {
        do {
            // Not migrated: exporting must not change the database it reads.
            let summary = try await data.withDatabase(migrating: false) { database in
                let version = try await database.schemaVersion()
                guard version == Migrations.latestVersion else {
                    throw ValidationError(version < Migrations.latestVersion
                        ? "\(database.location) is at migration \(version) and this cairn exports at \(Migrations.latestVersion): export with the cairn that serves it, or run cairn migrate first"
                        : "\(database.location) is at migration \(version), newer than this cairn knows (\(Migrations.latestVersion)): export with a newer cairn")
                }
                return try await database.export(to: out)
            }
            print("exported \(summary.total) rows from \(Transfer.tables.count) tables to \(out)")
        } catch {
            fail("\(error)")
        }
    }
}

struct ImportDB: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-db",
        abstract: "Read a file written by export-db into an empty database (migrated first).",
        discussion: "All or nothing: a bad line stores nothing and names the line. The database must hold no data yet."
    )

    @Argument(help: "The file export-db wrote.")
    var file: String

    @OptionGroup var data: DataOptions

    func run() async throws {
        do {
            let (summary, location) = try await data.withDatabase { database in (try await database.importExport(from: file), database.location) }
            print("imported \(summary.total) rows into \(location)")
            for table in Transfer.tables where (summary.rows[table] ?? 0) > 0 {
                print("  \(table): \(summary.rows[table] ?? 0)")
            }
        } catch {
            fail("\(error)")
        }
    }
}

struct Jobs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Background jobs: what each node's job runner has done, is doing and gave up on.",
        subcommands: [List.self, Retry.self]
    )

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put a failed job back in the queue, with all its attempts again.",
            discussion: "For work that failed because of something since put right (a mail server, a course file). Any node's job runner takes it within seconds; `cairn jobs list` shows how it went."
        )

        @Argument(help: "The job's key, as `cairn jobs list --status failed` shows it.")
        var key: String

        @OptionGroup var data: DataOptions

        func run() async throws {
            // A calibration that failed is closed with its run; it is asked for again where
            // it was asked for, and the page shows the new run.
            if key.hasPrefix(JobRunner.Kind.calibrate + ":") {
                fail("a failed calibration is not retried as a job; ask for it again at /admin/calibration")
            }
            do {
                let retried = try await data.withStore { store, _ in try await store.retryJob(key: key, at: Date()) }
                guard let job = retried else {
                    fail("no failed job has the key '\(key)'; `cairn jobs list --status failed` lists them")
                }
                print("queued again: \(job.kind) \(job.key) (\(job.maxAttempts) attempts)")
            } catch {
                fail("\(error)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List jobs, newest first.")

        @Option(help: "Only jobs with this status: \(JobStatus.allCases.map(\.rawValue).joined(separator: ", ")).")
        var status: String?

        @Option(help: "How many to list. Default: 50")
        var limit: Int = 50

        @OptionGroup var data: DataOptions

        func run() async throws {
            var wanted: JobStatus?
            if let status {
                guard let parsed = JobStatus(rawValue: status) else {
                    fail("--status: '\(status)' is not a status; use one of \(JobStatus.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                wanted = parsed
            }
            guard (1 ... 10_000).contains(limit) else { fail("--limit: '\(limit)' must be a whole number from 1 to 10000") }
            do {
                let jobs = try await data.withStore { store, _ in try await store.jobs(status: wanted, limit: limit) }
                if jobs.isEmpty { print("no jobs\(wanted.map { " \($0.rawValue)" } ?? "")") }
                let format = ISO8601DateFormatter()
                for job in jobs {
                    var line = "\(job.status.rawValue)\t\(job.kind)\t\(job.key)\tattempts \(job.attempts)/\(job.maxAttempts)\tcreated \(format.string(from: job.createdAt))"
                    if job.status == .queued { line += "\tnext run \(format.string(from: job.runAt))" }
                    if let worker = job.lockedBy { line += "\theld by \(worker)" }
                    if let error = job.lastError { line += "\tlast error: \(error)" }
                    print(line)
                }
            } catch {
                fail("\(error)")
            }
        }
    }
}

struct Users: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Manage accounts.", subcommands: [CreateAdmin.self])

    struct CreateAdmin: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create-admin",
            abstract: "Create a platform administrator (or promote an existing account).",
            discussion: "The password is read from CAIRN_ADMIN_PASSWORD, or asked for without echo. It is never printed."
        )

        @Argument(help: "The administrator's e-mail address.")
        var email: String

        @Option(help: "Display name. Default: the part of the address before @.")
        var name: String?

        @OptionGroup var data: DataOptions

        func run() async throws {
            let environment = ProcessInfo.processInfo.environment
            let config = data.config(environment: environment)
            let password = environment["CAIRN_ADMIN_PASSWORD"] ?? askPassword()
            let logger = Logger(label: "cairn")
            let cairn: CairnEnvironment
            do {
                cairn = try await CairnEnvironment.open(config: config, logger: logger, loadCourses: false)
            } catch {
                fail("\(error)")
            }
            do {
                let displayName = name ?? String(email.split(separator: "@").first ?? "Admin")
                let user = try await cairn.accounts.createPlatformAdmin(email: email, password: password, displayName: displayName)
                await cairn.database.shutdown()
                print("platform admin \(user.email) is ready; log in at /login")
            } catch {
                await cairn.database.shutdown()
                fail("\(error)")
            }
        }

        func askPassword() -> String {
            guard isatty(STDIN_FILENO) == 1 else {
                guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                    fail("no password: set CAIRN_ADMIN_PASSWORD or run in a terminal to be asked")
                }
                return line
            }
            guard let first = getpass("Password for \(email): ").map({ String(cString: $0) }),
                  let second = getpass("Repeat the password: ").map({ String(cString: $0) })
            else { fail("could not read the password") }
            guard first == second else { fail("the two passwords differ; run the command again") }
            return first
        }
    }
}
