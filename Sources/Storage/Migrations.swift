/// One schema change. Migrations are numbered, append-only and do one thing each:
/// never edit a migration that has shipped; add the next number instead.
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    /// Statements in portable SQL (SQLite and PostgreSQL); times are epoch milliseconds.
    public let statements: [String]
}

public enum Migrations {
    public static let all: [Migration] = [
        Migration(version: 1, name: "create users", statements: [
            """
            CREATE TABLE users (
                id TEXT PRIMARY KEY,
                email TEXT NOT NULL UNIQUE,
                display_name TEXT NOT NULL,
                role TEXT NOT NULL,
                password_hash TEXT NOT NULL,
                created_at BIGINT NOT NULL
            )
            """,
        ]),
        Migration(version: 2, name: "create sessions", statements: [
            """
            CREATE TABLE sessions (
                id TEXT PRIMARY KEY,
                user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                created_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX sessions_expires_at ON sessions(expires_at)",
        ]),
        Migration(version: 3, name: "create organisations and memberships", statements: [
            """
            CREATE TABLE organisations (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                created_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE memberships (
                organisation_id TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
                user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                role TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                PRIMARY KEY (organisation_id, user_id)
            )
            """,
            "CREATE INDEX memberships_user ON memberships(user_id)",
        ]),
        Migration(version: 4, name: "create enrolments", statements: [
            """
            CREATE TABLE enrolments (
                user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                course_id TEXT NOT NULL,
                course_version TEXT NOT NULL,
                enrolled_at BIGINT NOT NULL,
                PRIMARY KEY (user_id, course_id)
            )
            """,
        ]),
        Migration(version: 5, name: "create lesson progress", statements: [
            """
            CREATE TABLE lesson_progress (
                user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                course_id TEXT NOT NULL,
                lesson_id TEXT NOT NULL,
                course_version TEXT NOT NULL,
                status TEXT NOT NULL,
                started_at BIGINT NOT NULL,
                completed_at BIGINT,
                PRIMARY KEY (user_id, course_id, lesson_id)
            )
            """,
        ]),
        Migration(version: 6, name: "create conversations and chat messages", statements: [
            """
            CREATE TABLE conversations (
                id TEXT PRIMARY KEY,
                user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                course_id TEXT NOT NULL,
                lesson_id TEXT NOT NULL,
                course_version TEXT NOT NULL,
                mode TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                UNIQUE (user_id, course_id, lesson_id)
            )
            """,
            """
            CREATE TABLE chat_messages (
                conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
                seq INTEGER NOT NULL,
                author TEXT NOT NULL,
                kind TEXT NOT NULL,
                step TEXT,
                interaction_id TEXT,
                payload TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                PRIMARY KEY (conversation_id, seq)
            )
            """,
        ]),
        Migration(version: 7, name: "create attempts", statements: [
            """
            CREATE TABLE attempts (
                id TEXT PRIMARY KEY,
                user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                course_id TEXT NOT NULL,
                course_version TEXT NOT NULL,
                lesson_id TEXT,
                interaction_id TEXT NOT NULL,
                context TEXT NOT NULL,
                answer TEXT NOT NULL,
                score DOUBLE PRECISION NOT NULL,
                max_score DOUBLE PRECISION NOT NULL,
                passed BOOLEAN NOT NULL,
                result TEXT NOT NULL,
                hints_used INTEGER NOT NULL,
                created_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX attempts_learner ON attempts(user_id, course_id, interaction_id)",
            "CREATE INDEX attempts_created_at ON attempts(created_at)",
        ]),
        Migration(version: 8, name: "create hint requests", statements: [
            """
            CREATE TABLE hint_requests (
                user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                course_id TEXT NOT NULL,
                interaction_id TEXT NOT NULL,
                level INTEGER NOT NULL,
                created_at BIGINT NOT NULL,
                PRIMARY KEY (user_id, course_id, interaction_id, level)
            )
            """,
        ]),
        Migration(version: 9, name: "create skill mastery", statements: [
            """
            CREATE TABLE skill_mastery (
                user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                course_id TEXT NOT NULL,
                skill_id TEXT NOT NULL,
                probability DOUBLE PRECISION NOT NULL,
                observations INTEGER NOT NULL,
                updated_at BIGINT NOT NULL,
                PRIMARY KEY (user_id, course_id, skill_id)
            )
            """,
        ]),
        // One row per learner and task, kept in step with attempts and hints: the tally the
        // tutor reads on every action stays one short index read however many attempts a
        // learner makes. Filled from what is already stored.
        Migration(version: 10, name: "create task progress", statements: [
            """
            CREATE TABLE task_progress (
                user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                course_id TEXT NOT NULL,
                interaction_id TEXT NOT NULL,
                attempts INTEGER NOT NULL,
                passed BOOLEAN NOT NULL,
                hint_level INTEGER NOT NULL,
                updated_at BIGINT NOT NULL,
                PRIMARY KEY (user_id, course_id, interaction_id)
            )
            """,
            """
            INSERT INTO task_progress (user_id, course_id, interaction_id, attempts, passed, hint_level, updated_at)
            SELECT user_id, course_id, interaction_id, COUNT(*), MAX(CASE WHEN passed THEN 1 ELSE 0 END) = 1, 0, MAX(created_at)
            FROM attempts GROUP BY user_id, course_id, interaction_id
            """,
            """
            INSERT INTO task_progress (user_id, course_id, interaction_id, attempts, passed, hint_level, updated_at)
            SELECT user_id, course_id, interaction_id, 0, FALSE, MAX(level), MAX(created_at)
            FROM hint_requests WHERE TRUE GROUP BY user_id, course_id, interaction_id
            ON CONFLICT (user_id, course_id, interaction_id) DO UPDATE SET hint_level = excluded.hint_level
            """,
        ]),
        // Exam sittings. The partial unique index lets a learner have one active sitting at
        // a time, whatever the number of nodes serving them.
        Migration(version: 11, name: "create exams", statements: [
            """
            CREATE TABLE exam_sessions (
                id TEXT PRIMARY KEY,
                user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                course_id TEXT NOT NULL,
                course_version TEXT NOT NULL,
                mode TEXT NOT NULL,
                status TEXT NOT NULL,
                seed BIGINT NOT NULL,
                form TEXT NOT NULL,
                started_at BIGINT NOT NULL,
                deadline_at BIGINT NOT NULL,
                finished_at BIGINT,
                result TEXT
            )
            """,
            "CREATE INDEX exam_sessions_learner ON exam_sessions(user_id, course_id)",
            "CREATE INDEX exam_sessions_course ON exam_sessions(course_id, mode)",
            "CREATE UNIQUE INDEX exam_sessions_one_active ON exam_sessions(user_id) WHERE status = 'active'",
            """
            CREATE TABLE exam_responses (
                session_id TEXT NOT NULL REFERENCES exam_sessions(id) ON DELETE CASCADE,
                position INTEGER NOT NULL,
                interaction_id TEXT NOT NULL,
                presented_at BIGINT NOT NULL,
                answer TEXT,
                score DOUBLE PRECISION,
                max_score DOUBLE PRECISION,
                result TEXT,
                answered_at BIGINT,
                PRIMARY KEY (session_id, position)
            )
            """,
            """
            CREATE TABLE exam_item_exposure (
                course_id TEXT NOT NULL,
                interaction_id TEXT NOT NULL,
                shown INTEGER NOT NULL,
                PRIMARY KEY (course_id, interaction_id)
            )
            """,
            """
            CREATE TABLE exam_events (
                id TEXT PRIMARY KEY,
                session_id TEXT NOT NULL REFERENCES exam_sessions(id) ON DELETE CASCADE,
                kind TEXT NOT NULL,
                detail TEXT NOT NULL,
                seq INTEGER NOT NULL,
                created_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX exam_events_session ON exam_events(session_id, seq)",
        ]),
        // Open Badges: the issuer's signing keys and every badge issued. A badge's bit in
        // the status lists is its status_index; one badge per exam sitting at most.
        Migration(version: 12, name: "create issuer keys and badges", statements: [
            """
            CREATE TABLE issuer_keys (
                name TEXT PRIMARY KEY,
                private_key TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                retired_at BIGINT
            )
            """,
            """
            CREATE TABLE badges (
                id TEXT PRIMARY KEY,
                user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                course_id TEXT NOT NULL,
                exam_session_id TEXT REFERENCES exam_sessions(id),
                status_index INTEGER NOT NULL UNIQUE,
                json TEXT NOT NULL,
                jwt TEXT NOT NULL,
                key_name TEXT NOT NULL,
                awarded_at BIGINT NOT NULL,
                valid_until BIGINT,
                revoked_at BIGINT,
                revocation_reason TEXT,
                suspended_at BIGINT,
                suspension_reason TEXT
            )
            """,
            "CREATE INDEX badges_learner ON badges(user_id, awarded_at)",
            "CREATE UNIQUE INDEX badges_one_per_sitting ON badges(exam_session_id) WHERE exam_session_id IS NOT NULL",
        ]),
        Migration(version: 13, name: "create capstone work and pathway certifications", statements: [
            // Work handed in for a pathway's capstone; score, scorer and scored_at stay NULL until people score it.
            """
            CREATE TABLE capstone_work (
                id TEXT PRIMARY KEY,
                user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                pathway_id TEXT NOT NULL,
                capstone_id TEXT NOT NULL,
                work_url TEXT NOT NULL,
                work_title TEXT NOT NULL,
                handed_in_at BIGINT NOT NULL,
                score INTEGER,
                passed BOOLEAN NOT NULL,
                scorer TEXT,
                notes TEXT,
                scored_at BIGINT
            )
            """,
            "CREATE INDEX capstone_work_learner ON capstone_work(user_id, handed_in_at)",
            "CREATE INDEX capstone_work_waiting ON capstone_work(handed_in_at) WHERE score IS NULL",
            // A certification is a badge for a pathway: course_id then holds the pathway's id too.
            "ALTER TABLE badges ADD COLUMN pathway_id TEXT",
        ]),
        // Background work any node may do: a job is leased to one worker at a time
        // (locked_by until locked_until) and retried until done or out of attempts. The
        // key makes enqueueing the same work twice store it once.
        Migration(version: 14, name: "create jobs", statements: [
            """
            CREATE TABLE jobs (
                id TEXT PRIMARY KEY,
                kind TEXT NOT NULL,
                payload TEXT NOT NULL,
                job_key TEXT NOT NULL UNIQUE,
                status TEXT NOT NULL,
                attempts INTEGER NOT NULL,
                max_attempts INTEGER NOT NULL,
                run_at BIGINT NOT NULL,
                locked_by TEXT,
                locked_until BIGINT,
                last_error TEXT,
                created_at BIGINT NOT NULL,
                finished_at BIGINT
            )
            """,
            "CREATE INDEX jobs_due ON jobs(run_at) WHERE status = 'queued'",
            "CREATE INDEX jobs_leased ON jobs(locked_until) WHERE status = 'running'",
            "CREATE INDEX jobs_status ON jobs(status, created_at)",
        ]),
        // Calibrations asked for in the administration pages and run as jobs: the request,
        // its outcome, and the files a run that is done produced.
        Migration(version: 15, name: "create calibration runs", statements: [
            """
            CREATE TABLE calibration_runs (
                id TEXT PRIMARY KEY,
                course_id TEXT NOT NULL,
                requested_by TEXT REFERENCES users(id) ON DELETE SET NULL,
                requested_at BIGINT NOT NULL,
                status TEXT NOT NULL,
                finished_at BIGINT,
                examinees INTEGER,
                items INTEGER,
                flagged_items INTEGER,
                bank_version TEXT,
                message TEXT,
                report_html TEXT,
                parameters_csv TEXT,
                bank_yaml TEXT
            )
            """,
            "CREATE INDEX calibration_runs_requested ON calibration_runs(requested_at)",
            // One queued run per course: two requests at once cannot both queue one.
            "CREATE UNIQUE INDEX calibration_runs_queued ON calibration_runs(course_id) WHERE status = 'queued'",
        ]),
    ]

    public static var latestVersion: Int { all.last?.version ?? 0 }
}
