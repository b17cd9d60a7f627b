import AppServices
import Curriculum
import Foundation
import Hummingbird
import LanguageModel
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import Storage
import CairnCore

/// Cairn refuses to start: the message says what is wrong and what to do.
public enum StartupError: Error, CustomStringConvertible {
    /// The course files have errors; `report` is the validator's output.
    case invalidContent(String)
    case database(String)

    public var description: String {
        switch self {
        case let .invalidContent(report): "the courses have errors; fix them and start again:\n\(report)"
        case let .database(message): message
        }
    }
}

/// The services every entry point shares: the open database, the courses and the use cases.
public struct CairnEnvironment: Sendable {
    public let config: AppConfig
    public let database: Database
    public let catalog: Catalog
    public let accounts: AccountService
    public let courses: CatalogService
    public let learning: LearningService
    public let exams: ExamService
    public let badges: BadgeService
    /// Calibration requested from the administration pages, run as jobs.
    public let calibration: CalibrationRunService
    /// Runs the background jobs stored in the database (any node may take any job).
    public let jobs: JobRunner
    /// The language model client, when one is configured.
    public let model: OpenAICompatibleClient?

    /// Opens the database, applies migrations and (when `loadCourses`) loads and validates
    /// the courses. Throws `StartupError` with a clear message when either fails.
    public static func open(config: AppConfig, logger: Logger, loadCourses: Bool = true) async throws -> CairnEnvironment {
        var catalog = Catalog(courses: [], diagnostics: [])
        if loadCourses {
            catalog = CourseLoader.loadCatalog(at: config.coursesDirectory)
            if catalog.diagnostics.hasErrors {
                throw StartupError.invalidContent(catalog.diagnostics.report())
            }
        }
        let database: Database
        do {
            database = try await config.openDatabase(logger: logger)
        } catch {
            throw StartupError.database("\(error)")
        }
        do {
            try await database.migrate()
        } catch {
            await database.shutdown()
            throw StartupError.database("\(error)")
        }
        let store = database.store
        let hasher = BcryptHasher(cost: UInt8(clamping: config.bcryptCost))
        let courses = CatalogService(catalog: catalog, store: store)
        let model = config.model.map { OpenAICompatibleClient(endpoint: $0, logger: logger) }
        let learning = LearningService(catalog: courses, store: store, modelTutor: model.map { ModelTutor(model: $0) })
        let badges = BadgeService(catalog: courses, store: store, baseURL: config.publicURL ?? "http://\(config.host):\(config.port)")
        let calibration = CalibrationRunService(catalog: courses, store: store)
        return CairnEnvironment(
            config: config, database: database, catalog: catalog,
            accounts: AccountService(store: store, hasher: hasher),
            courses: courses, learning: learning,
            exams: ExamService(catalog: courses, learning: learning, store: store, badges: badges),
            badges: badges,
            calibration: calibration,
            jobs: JobRunner(store: store, handlers: JobRunner.handlers(store: store, badges: badges, calibration: calibration), logger: logger),
            model: model
        )
    }
}

/// Takes due background jobs every second while the node runs; stops at shutdown, leaving
/// a job it had not finished to another node once its lease runs out.
struct JobRunnerService: Service {
    let runner: JobRunner

    func run() async throws {
        await cancelWhenGracefulShutdown { await runner.run() }
    }
}

/// Closes the database after the server has stopped (services stop in reverse order).
struct DatabaseService: Service {
    let database: Database

    func run() async throws {
        try? await gracefulShutdown()
        await database.shutdown()
    }
}

/// Closes the model client's connections after the server has stopped.
struct ModelClientService: Service {
    let client: OpenAICompatibleClient

    func run() async throws {
        try? await gracefulShutdown()
        try? await client.shutdown()
    }
}

/// The Prometheus registry behind `/metrics`. Metrics are process-wide, so it is
/// bootstrapped once however many applications a process builds (tests build many).
let metricsRegistry: PrometheusCollectorRegistry = {
    let registry = PrometheusCollectorRegistry()
    MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    return registry
}()

/// The one composition root: `cairn serve` and the tests build the application here.
public func buildApplication(config: AppConfig, logger: Logger? = nil) async throws -> some ApplicationProtocol {
    let logger = {
        var logger = logger ?? Logger(label: "cairn")
        logger.logLevel = config.logLevel
        return logger
    }()
    let templates = try await Templates.load()
    let environment = try await CairnEnvironment.open(config: config, logger: logger)
    let router = buildRouter(environment: environment, templates: templates)

    let host = config.host
    let port = config.port
    var app = Application(
        router: router,
        configuration: .init(address: .hostname(host, port: port), serverName: "cairn"),
        onServerRunning: { channel in
            logger.info("Cairn is running", metadata: [
                "url": "http://\(host):\(channel.localAddress?.port ?? port)",
                "database": "\(environment.database.location)",
                "courses": "\(environment.catalog.courses.map(\.id.rawValue).joined(separator: ","))",
                "model": "\(environment.model?.displayName ?? "none (the built-in tutor alone)")",
            ])
        },
        logger: logger
    )
    app.addServices(DatabaseService(database: environment.database))
    if let model = environment.model { app.addServices(ModelClientService(client: model)) }
    if config.runsJobs { app.addServices(JobRunnerService(runner: environment.jobs)) }
    if (try? await environment.accounts.hasPlatformAdmin()) == false {
        logger.notice("No platform admin yet. Create one with: cairn users create-admin EMAIL --data \(config.dataDirectory)")
    }
    return app
}

/// Every route and middleware, in the order they apply.
func buildRouter(environment: CairnEnvironment, templates: Templates) -> Router<CairnRequestContext> {
    let config = environment.config
    let router = Router(context: CairnRequestContext.self)
    router.middlewares.add(ContextSetupMiddleware(uploadLimit: config.maxBodyBytes))
    router.middlewares.add(MetricsMiddleware())
    router.middlewares.add(LogRequestsMiddleware(.info))
    // Outermost first: every response, error pages included, gets the security headers,
    // and error pages know who is signed in.
    router.middlewares.add(SecurityHeadersMiddleware())
    router.middlewares.add(SessionAuthenticator(accounts: environment.accounts))
    let allowedMethods = AllowedMethods()
    router.middlewares.add(ErrorMiddleware(templates: templates, allowedMethods: allowedMethods))

    let cookies = SessionCookies(secure: config.servedOverTLS)
    OperationsRoutes(environment: environment, registry: metricsRegistry).add(to: router)
    PageRoutes(environment: environment, templates: templates, cookies: cookies).add(to: router)
    ExamRoutes(environment: environment, templates: templates).add(to: router)
    ExamRoutes(environment: environment, templates: templates).addReview(to: router)
    BadgeRoutes(environment: environment, templates: templates).add(to: router)
    CalibrationRoutes(environment: environment, templates: templates).add(to: router)
    PathwayRoutes(environment: environment, templates: templates).add(to: router)
    APIRoutes(environment: environment, cookies: cookies).add(to: router)
    allowedMethods.load(router.routes)
    return router
}

/// Builds the application and runs it until SIGTERM or SIGINT, then shuts down gracefully:
/// the server stops accepting, finishes requests in flight, and the database closes.
public func runServer(config: AppConfig, logger: Logger) async throws {
    let app = try await buildApplication(config: config, logger: logger)
    try await app.runService()
}
