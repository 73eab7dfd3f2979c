// Keep one feedback per step, one row of $rows each (forId, feedbackId, newId, value, comment,
// now): update the step's feedback if it has one, else create it with the given id (when that
// id is free) or a new one. Locks the step's thread (marking it :AnalyticsStale: the turn's
// feedback changed), as every write to its steps and feedback does, so concurrent upserts
// serialise. One alone, or the feedback of concurrent callers in one transaction
// (batching.RowBatcher): the rows run in their steps' thread order, the order in which every
// batch locks threads, so two batches never wait for each other's locks in a cycle.
// mode: write
// params: rows
// batch: forId
// returns: per row, in order: id (null: no such step, or its thread was deleted; no write)
UNWIND range(0, size($rows) - 1) AS i
WITH i, $rows[i] AS row
OPTIONAL MATCH (found:Step {id: row.forId})
WITH i, row, found.threadId AS threadId
ORDER BY threadId, i
OPTIONAL CALL (row, threadId) {
  WITH row, threadId WHERE threadId IS NOT NULL
  OPTIONAL MATCH (t:Thread {id: threadId})
  SET t._lock = true
  REMOVE t._lock
  WITH row, t, threadId
  WHERE t IS NULL OR NOT t:Deleted
  SET t:AnalyticsStale
  WITH row, threadId
  MATCH (s:Step {id: row.forId})  // again, under the lock: a delete meanwhile has taken it
  WHERE s.threadId = threadId
  OPTIONAL MATCH (current:Feedback)-[:RATED]->(s)
  WITH row, s, head(collect(current)) AS current
  OPTIONAL MATCH (given:Feedback {id: row.feedbackId})
  WITH row, s, CASE
                 WHEN current IS NOT NULL THEN current.id
                 WHEN row.feedbackId IS NOT NULL AND given IS NULL THEN row.feedbackId
                 ELSE row.newId
               END AS feedbackId
  MERGE (f:Feedback {id: feedbackId})
  ON CREATE SET f.createdAt = datetime(row.now)
  SET f.value = row.value, f.comment = row.comment, f.forId = s.id, f.threadId = s.threadId,
      f.updatedAt = datetime(row.now)
  MERGE (f)-[:RATED]->(s)
  RETURN f.id AS id
}
RETURN id
ORDER BY i
