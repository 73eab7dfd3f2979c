// Upsert a thread: set name/tags, merge metadata keys (one property per key, null removes it),
// link the owner once (marking it :AnalyticsStale: its turns count from then on; its steps
// get the owner's id as userId, as step/upsert_step gives later ones). Locks the
// thread first so concurrent merges serialise and a deleted thread (a tombstone labelled
// :Deleted) is never revived. No row back means the user id is unknown.
// mode: write
// params: threadId, userId, props, now
// returns: status ('ok' | 'deleted' | 'owned')
OPTIONAL MATCH (u:User {id: $userId})
WITH u WHERE $userId IS NULL OR u IS NOT NULL
MERGE (t:Thread {id: $threadId})
ON CREATE SET t.createdAt = datetime($now), t.lastActivity = datetime($now)
SET t._lock = true
REMOVE t._lock
WITH t, u
OPTIONAL MATCH (owner:User)-[:AUTHORED]->(t)
WITH t, u, owner,
     CASE
       WHEN t:Deleted THEN 'deleted'
       WHEN u IS NOT NULL AND owner IS NOT NULL AND owner <> u THEN 'owned'
       ELSE 'ok'
     END AS status
CALL (t, u, owner, status) {
  WITH t, u, owner WHERE status = 'ok'
  SET t += $props
  WITH t, u, owner WHERE u IS NOT NULL AND owner IS NULL
  MERGE (u)-[:AUTHORED]->(t)
  SET t.userId = u.id, t:AnalyticsStale  // its turns are now analysed
  WITH t
  MATCH (t)-[:CONTAINS]->(s:Step)  // steps written before the owner was known
  SET s.userId = t.userId  // the search finds a user's messages by it (schema/004)
}
RETURN status
