// Error rate per step type and name: steps, failed steps (isError). Placeholder parents are
// skipped; filtered by step creation time and the owner of the step's thread.
// mode: read
// params: start, end, user
// returns: type, name, steps, errors
MATCH (s:Step)
WHERE s.placeholder IS NULL
  AND ($start IS NULL OR s.createdAt >= $start) AND ($end IS NULL OR s.createdAt < $end)
  AND ($user IS NULL OR EXISTS { (:User {identifier: $user})-[:AUTHORED]->(:Thread)-[:CONTAINS]->(s) })
RETURN s.type AS type, s.name AS name, count(*) AS steps,
       sum(CASE WHEN s.isError THEN 1 ELSE 0 END) AS errors
ORDER BY type, name
