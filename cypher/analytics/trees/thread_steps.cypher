// The steps of one thread with their parent and feedback: the input of thread_tree().
// mode: read
// params: threadId
// returns: id, parent_id, type, name, start, duration_ms, is_error, feedback
MATCH (t:Thread {id: $threadId})-[:CONTAINS]->(s:Step)
WHERE NOT t:Deleted
OPTIONAL MATCH (p:Step)-[:PARENT_OF]->(s)
OPTIONAL MATCH (f:Feedback)-[:RATED]->(s)
RETURN s.id AS id, p.id AS parent_id, s.type AS type, s.name AS name,
       toString(s.start) AS start,
       s.durationMs AS duration_ms,
       coalesce(s.isError, false) AS is_error, f.value AS feedback
ORDER BY s.createdAt, s.id
