// Upsert threads, one per row of $rows (threadId, userId, props, now): set name/tags, merge
// metadata keys (one property per key, null removes it), link the owner once (marking it
// :AnalyticsStale: its turns count from then on; its steps get the owner's id as userId, as
// step/upsert_step gives later ones). Locks the thread first so concurrent merges serialise
// and a deleted thread (a tombstone labelled :Deleted) is never revived. One alone, or the
// threads of concurrent callers in one transaction (batching.RowBatcher); the layer sends a
// row naming a user alone (linking the owner locks the user too, in no thread order).
// mode: write
// params: rows
// batch: threadId
// returns: per row, in order: status ('ok', 'deleted', 'owned'; null: unknown user, no write)
UNWIND range(0, size($rows) - 1) AS i
WITH i, $rows[i] AS row
OPTIONAL CALL (row) {
  OPTIONAL MATCH (u:User {id: row.userId})
  WITH row, u WHERE row.userId IS NULL OR u IS NOT NULL
  MERGE (t:Thread {id: row.threadId})
  ON CREATE SET t.createdAt = datetime(row.now), t.lastActivity = datetime(row.now)
  SET t._lock = true
  REMOVE t._lock
  WITH row, t, u
  OPTIONAL MATCH (owner:User)-[:AUTHORED]->(t)
  WITH row, t, u, head(collect(owner)) AS owner
  WITH row, t, u, owner,
       CASE
         WHEN t:Deleted THEN 'deleted'
         WHEN u IS NOT NULL AND owner IS NOT NULL AND owner <> u THEN 'owned'
         ELSE 'ok'
       END AS status
  CALL (row, t, u, owner, status) {
    WITH row, t, u, owner WHERE status = 'ok'
    SET t += row.props
    WITH t, u, owner WHERE u IS NOT NULL AND owner IS NULL
    MERGE (u)-[:AUTHORED]->(t)
    SET t.userId = u.id, t:AnalyticsStale  // its turns are now analysed
    WITH t
    MATCH (t)-[:CONTAINS]->(s:Step)  // steps written before the owner was known
    SET s.userId = t.userId  // the search finds a user's messages by it (schema/004)
  }
  RETURN status
}
RETURN status
ORDER BY i
