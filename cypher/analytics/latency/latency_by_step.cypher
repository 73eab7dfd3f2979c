// Step durations (end - start, in ms) per type, name and model (llm calls; null otherwise): count, mean, p50, p95, p99, max.
// Steps without start or end are skipped; filtered by creation time and thread owner.
// mode: read
// params: type, start, end, user
// returns: type, name, model, steps, mean_ms, p50_ms, p95_ms, p99_ms, max_ms
// With $type, only that type's steps are read (an index seek instead of every step).
CALL () {
  MATCH (s:Step) WHERE $type IS NULL RETURN s
  UNION ALL
  MATCH (s:Step {type: $type}) RETURN s
}
WITH s
WHERE s.end IS NOT NULL AND s.start IS NOT NULL AND s.placeholder IS NULL
  AND ($start IS NULL OR s.createdAt >= $start) AND ($end IS NULL OR s.createdAt < $end)
  AND ($user IS NULL OR EXISTS { (:User {identifier: $user})-[:AUTHORED]->(:Thread)-[:CONTAINS]->(s) })
WITH s.type AS type, s.name AS name, s.model AS model, s.end.epochMillis - s.start.epochMillis AS ms
RETURN type, name, model, count(*) AS steps, avg(ms) AS mean_ms,
       percentileCont(ms, 0.5) AS p50_ms, percentileCont(ms, 0.95) AS p95_ms,
       percentileCont(ms, 0.99) AS p99_ms, max(ms) AS max_ms
ORDER BY type, name, model
