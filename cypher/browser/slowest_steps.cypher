// Neo4j Browser: the slowest steps (end - start), optionally of one type ('' for all types).
// mode: read
// params: type, limit
:param type => 'tool';
:param limit => 25;
MATCH (t:Thread)-[:CONTAINS]->(s:Step)
WHERE s.start IS NOT NULL AND s.end IS NOT NULL AND ($type = '' OR s.type = $type)
WITH t, s, s.end.epochMillis - s.start.epochMillis AS ms
ORDER BY ms DESC LIMIT $limit
RETURN t.name AS thread, t.id AS threadId, s.type AS type, s.name AS name, ms AS durationMs,
       coalesce(s.isError, false) AS isError, toString(s.createdAt) AS createdAt
