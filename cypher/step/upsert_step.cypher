// Idempotent, order-independent upsert of a full step snapshot. Creates the thread and a
// placeholder parent when missing, keeps the earliest createdAt/start, never lets a `run`
// overwrite a real type, never clears isError (new steps start false), replaces metadata
// when given (the favorite flag only when the metadata has that key; reads add the flag
// back), keeps durationMs = end - start (and a name, '' if none was given), and moves the
// thread's last activity forward for messages. Locks the thread first and marks it
// :AnalyticsStale (its analytics summaries are refreshed before they are read again); a
// deleted thread is left alone. A message step (type *_message) is labelled :Message: the
// search indexes the text of messages only (schema/004). Every step carries its thread's
// owner id as userId (null until the thread has one; thread/update_thread fills it in then),
// which the search index holds beside the text.
// Timestamps arrive as ISO text (convert.iso_utc) and are stored as DateTime values.
// mode: write
// params: threadId, stepId, props, type, createdAt, start, end, metadata, favorite, parentId, now
// returns: status ('ok' | 'deleted'), stepThreadId
MERGE (t:Thread {id: $threadId})
ON CREATE SET t.createdAt = datetime($now), t.lastActivity = datetime($now)
SET t._lock = true
REMOVE t._lock
WITH t, CASE WHEN t:Deleted THEN 'deleted' ELSE 'ok' END AS status
CALL (t, status) {
  WITH t WHERE status = 'ok'
  SET t:AnalyticsStale
  MERGE (s:Step {id: $stepId})
  ON CREATE SET s.threadId = $threadId, s.createdAt = datetime($createdAt)
  WITH t, s WHERE s.threadId = $threadId
  SET s += $props, s.end = coalesce(datetime($end), s.end), s.userId = t.userId
  SET s.createdAt = CASE WHEN datetime($createdAt) < s.createdAt THEN datetime($createdAt)
                         ELSE s.createdAt END,
      s.isError = coalesce(s.isError, false),
      s.start = CASE WHEN s.start IS NULL OR datetime($start) < s.start
                     THEN coalesce(datetime($start), s.start) ELSE s.start END,
      s.type = CASE WHEN $type IS NULL THEN s.type
                    WHEN $type = 'run' AND s.type IS NOT NULL AND s.type <> 'run' THEN s.type
                    ELSE $type END,
      s.metadata = coalesce($metadata, s.metadata),
      s.favorite = CASE WHEN $favorite IS NULL THEN s.favorite WHEN $favorite THEN true END
  SET s.durationMs = s.end.epochMillis - s.start.epochMillis, s.name = coalesce(s.name, '')
  REMOVE s.placeholder
  FOREACH (_ IN CASE WHEN s.type ENDS WITH '_message' THEN [1] ELSE [] END | SET s:Message)
  FOREACH (_ IN CASE WHEN s.type ENDS WITH '_message' THEN [] ELSE [1] END | REMOVE s:Message)
  MERGE (t)-[:CONTAINS]->(s)
  WITH t, s
  CALL (t, s) {
    OPTIONAL MATCH (old:Step)-[r:PARENT_OF]->(s)
    WHERE $parentId IS NOT NULL AND old.id <> $parentId
    DELETE r
  }
  CALL (t, s) {
    WITH t, s WHERE $parentId IS NOT NULL
    MERGE (p:Step {id: $parentId})
    ON CREATE SET p.threadId = $threadId, p.userId = t.userId, p.type = 'run', p.name = '',
                  p.placeholder = true, p.createdAt = s.createdAt, p.start = s.createdAt
    WITH t, p, s WHERE p.threadId = $threadId AND p <> s
    MERGE (t)-[:CONTAINS]->(p)
    MERGE (p)-[:PARENT_OF]->(s)
  }
  WITH t, s WHERE s.type ENDS WITH '_message'
    AND (t.lastMessageAt IS NULL OR s.createdAt > t.lastMessageAt)
  SET t.lastMessageAt = s.createdAt, t.lastActivity = s.createdAt
}
OPTIONAL MATCH (s:Step {id: $stepId})
RETURN status, s.threadId AS stepThreadId
