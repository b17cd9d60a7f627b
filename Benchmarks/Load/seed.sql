-- A synthetic Cairn data set for issue 9's benchmark: 1,000,000 learners and 50,000,000
-- graded attempts over 180 days (50 each, on 50 of a course's 60 tasks), with their per-task
-- progress and mastery, in the schema
-- Cairn's own migrations created. Sizes are close to real rows: UUID text ids, a stored
-- answer and a grading result of about 200 bytes.
\set ON_ERROR_STOP on
SET session_replication_role = replica;  -- no foreign-key triggers while loading
SET maintenance_work_mem = '1GB';
SET work_mem = '256MB';
SET max_parallel_maintenance_workers = 2;

\echo users
INSERT INTO users (id, email, display_name, role, password_hash, created_at)
SELECT md5('u' || g)::uuid::text, 'learner' || g || '@example.org', 'Learner ' || g, 'learner',
       '$2b$12$syntheticsyntheticsyntheticsyntheticsyntheticsynth', 1780000000000 + g * 1000
FROM generate_series(1, 1000000) g;

\echo attempts (50 million, in ten steps)
ALTER TABLE attempts DROP CONSTRAINT attempts_pkey;
DROP INDEX attempts_learner;
DROP INDEX attempts_created_at;
SELECT format($f$
INSERT INTO attempts (id, user_id, course_id, course_version, lesson_id, interaction_id, context, answer, score, max_score, passed, result, hints_used, created_at)
SELECT md5('a' || g)::uuid::text,
       md5('u' || (1 + (g::bigint * 7919) %% 1000000))::uuid::text,
       'ai-foundations', '1.0.0', 'lesson-' || ((g + g / 1000000) %% 60 / 5), 'task-' || lpad(((g + g / 1000000) %% 60)::text, 2, '0'), 'lesson',
       '{"choice":{"_0":"' || chr(97 + (g %% 4)) || '"}}',
       (g %% 3 <> 0)::int, 1, g %% 3 <> 0,
       '{"criteria":[{"id":"key","met":' || (g %% 3 <> 0) || ',"evidence":"the option chosen","weight":1}],"maxScore":1,"passed":' || (g %% 3 <> 0) || ',"score":' || (g %% 3 <> 0)::int || '}',
       (g %% 5 = 0)::int,
       1780000000000 + (g::bigint * 311) %% (180::bigint * 86400000)
FROM generate_series(%s, %s) g
$f$, 1 + step * 5000000, (step + 1) * 5000000) AS statement
FROM generate_series(0, 9) step \gexec

\echo indexes
ALTER TABLE attempts ADD PRIMARY KEY (id);
CREATE INDEX attempts_learner ON attempts(user_id, course_id, interaction_id);
CREATE INDEX attempts_created_at ON attempts(created_at);

\echo task progress and mastery, from the attempts
INSERT INTO task_progress (user_id, course_id, interaction_id, attempts, passed, hint_level, updated_at)
SELECT user_id, course_id, interaction_id, COUNT(*), bool_or(passed), MAX(hints_used), MAX(created_at)
FROM attempts GROUP BY user_id, course_id, interaction_id;
INSERT INTO skill_mastery (user_id, course_id, skill_id, probability, observations, updated_at)
SELECT user_id, course_id, 'skill-' || (hashtext(interaction_id) & 7), LEAST(0.99, 0.2 + 0.1 * SUM(passed::int)), SUM(attempts), MAX(updated_at)
FROM task_progress GROUP BY user_id, course_id, 'skill-' || (hashtext(interaction_id) & 7);
SET session_replication_role = origin;
VACUUM ANALYZE;
