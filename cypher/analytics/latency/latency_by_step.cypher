// Step durations (durationMs = end - start) per type, name and model (of llm, embedding and
// rerank steps; null otherwise): count, mean, p50, p95, p99, max. Steps without start or end
// have no duration and are skipped; filtered by creation time and thread owner.
// mode: read
// params: type, start, end, user
// returns: type, name, model, steps, mean_ms, p50_ms, p95_ms, p99_ms, max_ms
// The step_latency index holds type, name, duration and creation time (every step has a type
// and a name): scanning it, or seeking one $type in it, reads no node but the model steps'.
// Per user, the user's steps.
CALL () {
  MATCH (s:Step)
  WHERE $user IS NULL AND $type IS NULL AND s.type IS NOT NULL AND s.name IS NOT NULL
    AND s.durationMs IS NOT NULL AND s.createdAt IS NOT NULL
  RETURN s, s.type AS type, s.name AS name, s.durationMs AS ms, s.createdAt AS created
  UNION ALL
  MATCH (s:Step)
  WHERE $user IS NULL AND s.type = $type AND s.name IS NOT NULL AND s.durationMs IS NOT NULL
    AND s.createdAt IS NOT NULL
  RETURN s, s.type AS type, s.name AS name, s.durationMs AS ms, s.createdAt AS created
  UNION ALL
  MATCH (:User {identifier: $user})-[:AUTHORED]->(:Thread)-[:CONTAINS]->(s:Step)
  WHERE s.durationMs IS NOT NULL AND ($type IS NULL OR s.type = $type)
  RETURN s, s.type AS type, s.name AS name, s.durationMs AS ms, s.createdAt AS created
}
WITH s, type, name, ms
WHERE ($start IS NULL OR created >= $start) AND ($end IS NULL OR created < $end)
WITH type, name, CASE WHEN type IN ['llm', 'embedding', 'rerank'] THEN s.model END AS model, ms
RETURN type, name, model, count(*) AS steps, avg(ms) AS mean_ms,
       percentileCont(ms, 0.5) AS p50_ms, percentileCont(ms, 0.95) AS p95_ms,
       percentileCont(ms, 0.99) AS p99_ms, max(ms) AS max_ms
ORDER BY type, name, model
