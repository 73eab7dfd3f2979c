// Neo4j Browser: the slowest steps (durationMs = end - start, read in index order), optionally
// of one type ('' for all types).
// mode: read
// params: type, limit
:param type => 'tool';
:param limit => 25;
MATCH (s:Step)
WHERE s.durationMs IS NOT NULL AND ($type = '' OR s.type = $type)
  AND NOT EXISTS { (:Deleted)-[:CONTAINS]->(s) }  // a deleted thread's content waits for its purge
WITH s ORDER BY s.durationMs DESC LIMIT $limit
MATCH (t:Thread)-[:CONTAINS]->(s)
RETURN t.name AS thread, t.id AS threadId, s.type AS type, s.name AS name,
       s.durationMs AS durationMs, coalesce(s.isError, false) AS isError,
       toString(s.createdAt) AS createdAt
