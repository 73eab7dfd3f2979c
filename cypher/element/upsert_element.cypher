// Idempotent upsert of an element: creates the thread and a placeholder `run` step for forId when
// missing, links (:Thread)-[:CONTAINS]->(:Element) and (:Step)-[:CONTAINS]->(:Element). An element
// never moves to another thread; a deleted thread is left alone.
// mode: write
// params: threadId, elementId, forId, props, now
// returns: status ('ok' | 'deleted'), elementThreadId
MERGE (t:Thread {id: $threadId})
ON CREATE SET t.createdAt = datetime($now), t.lastActivity = datetime($now)
SET t._lock = true
REMOVE t._lock
WITH t, CASE WHEN t:Deleted THEN 'deleted' ELSE 'ok' END AS status
CALL (t, status) {
  WITH t WHERE status = 'ok'
  MERGE (e:Element {id: $elementId})
  ON CREATE SET e.threadId = $threadId
  WITH t, e WHERE e.threadId = $threadId
  SET e += $props
  MERGE (t)-[:CONTAINS]->(e)
  WITH t, e
  CALL (e) {
    OPTIONAL MATCH (old:Step)-[r:CONTAINS]->(e)
    WHERE $forId IS NULL OR old.id <> $forId
    DELETE r
  }
  WITH t, e WHERE $forId IS NOT NULL
  MERGE (s:Step {id: $forId})
  ON CREATE SET t:AnalyticsStale,  // a new placeholder step changes the thread's shape
                s.threadId = $threadId, s.userId = t.userId, s.type = 'run', s.name = '',
                s.placeholder = true, s.createdAt = datetime($now), s.start = datetime($now)
  WITH t, e, s WHERE s.threadId = $threadId
  MERGE (t)-[:CONTAINS]->(s)
  MERGE (s)-[:CONTAINS]->(e)
}
OPTIONAL MATCH (e:Element {id: $elementId})
RETURN status, e.threadId AS elementThreadId
