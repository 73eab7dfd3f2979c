// Idempotent upserts of elements, one per row of $rows (threadId, elementId, forId, props,
// now): creates the thread and a placeholder `run` step for forId when missing, links
// (:Thread)-[:CONTAINS]->(:Element) and (:Step)-[:CONTAINS]->(:Element). An element never
// moves to another thread; a deleted thread is left alone. One alone, or the elements of
// concurrent callers in one transaction (batching.RowBatcher). previousKey is the element's
// objectKey before this write, when this write updated it (the layer then removes that file
// if the write gave a new one).
// mode: write
// params: rows
// batch: threadId
// returns: per row, in order: status ('ok' | 'deleted'), elementThreadId, previousKey
UNWIND range(0, size($rows) - 1) AS i
WITH i, $rows[i] AS row
CALL (row) {
  MERGE (t:Thread {id: row.threadId})
  ON CREATE SET t.createdAt = datetime(row.now), t.lastActivity = datetime(row.now)
  SET t._lock = true
  REMOVE t._lock
  WITH row, t, CASE WHEN t:Deleted THEN 'deleted' ELSE 'ok' END AS status
  OPTIONAL CALL (row, t, status) {
    WITH row, t WHERE status = 'ok'
    MERGE (e:Element {id: row.elementId})
    ON CREATE SET e.threadId = row.threadId
    WITH row, t, e WHERE e.threadId = row.threadId
    WITH row, t, e, e.objectKey AS previousKey
    SET e += row.props
    MERGE (t)-[:CONTAINS]->(e)
    WITH row, t, e, previousKey
    CALL (row, e) {
      OPTIONAL MATCH (old:Step)-[r:CONTAINS]->(e)
      WHERE row.forId IS NULL OR old.id <> row.forId
      DELETE r
    }
    CALL (row, t, e) {
      WITH row, t, e WHERE row.forId IS NOT NULL
      MERGE (s:Step {id: row.forId})
      ON CREATE SET t:AnalyticsStale,  // a new placeholder step changes the thread's shape
                    s.threadId = row.threadId, s.userId = t.userId, s.type = 'run', s.name = '',
                    s.placeholder = true, s.createdAt = datetime(row.now),
                    s.start = datetime(row.now)
      WITH row, t, e, s WHERE s.threadId = row.threadId
      MERGE (t)-[:CONTAINS]->(s)
      MERGE (s)-[:CONTAINS]->(e)
    }
    RETURN previousKey
  }
  WITH row, status, previousKey
  OPTIONAL MATCH (e:Element {id: row.elementId})
  RETURN status, e.threadId AS elementThreadId, previousKey
}
RETURN status, elementThreadId, previousKey
ORDER BY i
