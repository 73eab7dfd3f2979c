// Idempotent, order-independent upserts of full step snapshots, one per row of $rows (each
// row is what steps.step_params gives: threadId, stepId, props, type, createdAt, start, end,
// metadata, favorite, parentId, now). One step alone, or the steps that concurrent callers
// wrote at the same moment, in one transaction (batching.RowBatcher: a group commit).
// For each row: creates the thread and a placeholder parent when missing, keeps the earliest
// createdAt/start, never lets a `run` overwrite a real type, never clears isError (new steps
// start false), replaces metadata when given (the favorite flag only when the metadata has
// that key; reads add the flag back), keeps durationMs = end - start (and a name, '' if none
// was given), and moves the thread's last activity forward for messages. Locks the thread
// first and marks it :AnalyticsStale (its analytics summaries are refreshed before they are
// read again); a deleted thread is left alone. A message step (type *_message) is labelled
// :Message: the search indexes the text of messages only (schema/004). Every step carries its
// thread's owner id as userId (null until the thread has one; thread/update_thread fills it
// in then), which the search index holds beside the text.
// Timestamps arrive as ISO text (convert.iso_utc) and are stored as DateTime values.
// mode: write
// params: rows
// batch: threadId
// returns: per row, in order: stepId, status ('ok' | 'deleted'), stepThreadId
UNWIND range(0, size($rows) - 1) AS i
WITH i, $rows[i] AS row
CALL (row) {
  MERGE (t:Thread {id: row.threadId})
  ON CREATE SET t.createdAt = datetime(row.now), t.lastActivity = datetime(row.now)
  SET t._lock = true
  REMOVE t._lock
  WITH row, t, CASE WHEN t:Deleted THEN 'deleted' ELSE 'ok' END AS status
  CALL (row, t, status) {
    WITH row, t WHERE status = 'ok'
    SET t:AnalyticsStale
    MERGE (s:Step {id: row.stepId})
    ON CREATE SET s.threadId = row.threadId, s.createdAt = datetime(row.createdAt)
    WITH row, t, s WHERE s.threadId = row.threadId
    SET s += row.props, s.end = coalesce(datetime(row.end), s.end), s.userId = t.userId
    SET s.createdAt = CASE WHEN datetime(row.createdAt) < s.createdAt THEN datetime(row.createdAt)
                           ELSE s.createdAt END,
        s.isError = coalesce(s.isError, false),
        s.start = CASE WHEN s.start IS NULL OR datetime(row.start) < s.start
                       THEN coalesce(datetime(row.start), s.start) ELSE s.start END,
        s.type = CASE WHEN row.type IS NULL THEN s.type
                      WHEN row.type = 'run' AND s.type IS NOT NULL AND s.type <> 'run' THEN s.type
                      ELSE row.type END,
        s.metadata = coalesce(row.metadata, s.metadata),
        s.favorite = CASE WHEN row.favorite IS NULL THEN s.favorite WHEN row.favorite THEN true END
    SET s.durationMs = s.end.epochMillis - s.start.epochMillis, s.name = coalesce(s.name, '')
    REMOVE s.placeholder
    FOREACH (_ IN CASE WHEN s.type ENDS WITH '_message' THEN [1] ELSE [] END | SET s:Message)
    FOREACH (_ IN CASE WHEN s.type ENDS WITH '_message' THEN [] ELSE [1] END | REMOVE s:Message)
    MERGE (t)-[:CONTAINS]->(s)
    WITH row, t, s
    CALL (row, t, s) {
      OPTIONAL MATCH (old:Step)-[r:PARENT_OF]->(s)
      WHERE row.parentId IS NOT NULL AND old.id <> row.parentId
      DELETE r
    }
    CALL (row, t, s) {
      WITH row, t, s WHERE row.parentId IS NOT NULL
      MERGE (p:Step {id: row.parentId})
      ON CREATE SET p.threadId = row.threadId, p.userId = t.userId, p.type = 'run', p.name = '',
                    p.placeholder = true, p.createdAt = s.createdAt, p.start = s.createdAt
      WITH row, t, p, s WHERE p.threadId = row.threadId AND p <> s
      MERGE (t)-[:CONTAINS]->(p)
      MERGE (p)-[:PARENT_OF]->(s)
    }
    WITH t, s WHERE s.type ENDS WITH '_message'
      AND (t.lastMessageAt IS NULL OR s.createdAt > t.lastMessageAt)
    SET t.lastMessageAt = s.createdAt, t.lastActivity = s.createdAt
  }
  WITH row, status
  OPTIONAL MATCH (s:Step {id: row.stepId})
  RETURN status, s.threadId AS stepThreadId
}
RETURN row.stepId AS stepId, status, stepThreadId
ORDER BY i
