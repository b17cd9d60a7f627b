-- The dashboard- and export-shaped queries timed on the synthetic data set (seed.sql).
-- Each runs twice; the second run reads from memory. Run with PGOPTIONS='-c search_path=seed'.
\set ON_ERROR_STOP on
\set learner 'md5(''u4242'')::uuid::text'
\set last 1795551999999
\timing on
\echo [one learner: all attempts, for their own data download]
SELECT COUNT(*), MAX(created_at) FROM (SELECT * FROM attempts WHERE user_id = :learner ORDER BY created_at) a;
SELECT COUNT(*), MAX(created_at) FROM (SELECT * FROM attempts WHERE user_id = :learner ORDER BY created_at) a;
\echo [one learner: progress on every task of a course, for the course page]
SELECT COUNT(*) FROM task_progress WHERE user_id = :learner AND course_id = 'ai-foundations';
SELECT COUNT(*) FROM task_progress WHERE user_id = :learner AND course_id = 'ai-foundations';
\echo [xAPI feed: the next 1,000 attempts after a moment, by time]
SELECT COUNT(*) FROM (SELECT id, user_id, interaction_id, passed, created_at FROM attempts WHERE created_at > :last - 90::bigint * 86400000 ORDER BY created_at, id LIMIT 1000) page;
SELECT COUNT(*) FROM (SELECT id, user_id, interaction_id, passed, created_at FROM attempts WHERE created_at > :last - 90::bigint * 86400000 ORDER BY created_at, id LIMIT 1000) page;
\echo [progress over time: answers and passes per day, last 30 days, from attempts]
SELECT COUNT(*) FROM (SELECT created_at / 86400000 AS day, COUNT(*), SUM(passed::int) FROM attempts WHERE created_at >= :last - 30::bigint * 86400000 GROUP BY 1) days;
SELECT COUNT(*) FROM (SELECT created_at / 86400000 AS day, COUNT(*), SUM(passed::int) FROM attempts WHERE created_at >= :last - 30::bigint * 86400000 GROUP BY 1) days;
\echo [tasks where learners struggle most, from task_progress (one row per learner and task)]
SELECT interaction_id, COUNT(*) AS learners, AVG(attempts) AS tries, AVG(passed::int) AS pass_rate FROM task_progress WHERE course_id = 'ai-foundations' GROUP BY interaction_id ORDER BY pass_rate LIMIT 3;
SELECT interaction_id, COUNT(*) AS learners, AVG(attempts) AS tries, AVG(passed::int) AS pass_rate FROM task_progress WHERE course_id = 'ai-foundations' GROUP BY interaction_id ORDER BY pass_rate LIMIT 3;
\echo [skill mastery across all learners, for the heat-map]
SELECT COUNT(*) FROM (SELECT skill_id, AVG(probability), COUNT(*) FILTER (WHERE probability >= 0.95) FROM skill_mastery WHERE course_id = 'ai-foundations' GROUP BY skill_id) skills;
SELECT COUNT(*) FROM (SELECT skill_id, AVG(probability), COUNT(*) FILTER (WHERE probability >= 0.95) FROM skill_mastery WHERE course_id = 'ai-foundations' GROUP BY skill_id) skills;
\echo [members export: every learner with tasks tried and passed (1 million rows)]
SELECT COUNT(*) FROM (SELECT u.email, u.display_name, COUNT(tp.user_id), SUM(tp.passed::int) FROM users u LEFT JOIN task_progress tp ON tp.user_id = u.id GROUP BY u.id) members;
SELECT COUNT(*) FROM (SELECT u.email, u.display_name, COUNT(tp.user_id), SUM(tp.passed::int) FROM users u LEFT JOIN task_progress tp ON tp.user_id = u.id GROUP BY u.id) members;
\timing off
\echo [sizes]
SELECT c.relname, pg_size_pretty(pg_total_relation_size(c.oid)) AS total, pg_size_pretty(pg_indexes_size(c.oid)) AS indexes, c.reltuples::bigint AS rows
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'seed' AND c.relkind = 'r' AND c.reltuples > 0 ORDER BY pg_total_relation_size(c.oid) DESC;
