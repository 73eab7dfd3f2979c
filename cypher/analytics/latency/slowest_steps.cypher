// The slowest steps (durationMs = end - start), optionally of one type: where they are and how
// long they took. Read in step_duration index order, longest first, until $limit are found.
// mode: read
// params: type, start, end, user, limit
// returns: step_id, thread_id, type, name, duration_ms, is_error, created_at
MATCH (s:Step)
WHERE s.durationMs IS NOT NULL AND ($type IS NULL OR s.type = $type)
  AND ($start IS NULL OR s.createdAt >= $start) AND ($end IS NULL OR s.createdAt < $end)
  AND ($user IS NULL OR EXISTS { (:User {identifier: $user})-[:AUTHORED]->(:Thread)-[:CONTAINS]->(s) })
WITH s ORDER BY s.durationMs DESC, s.id
LIMIT $limit
RETURN s.id AS step_id, s.threadId AS thread_id, s.type AS type, s.name AS name,
       s.durationMs AS duration_ms, coalesce(s.isError, false) AS is_error,
       toString(s.createdAt) AS created_at
