// Delete a thread with all its steps, elements and feedback in one transaction, and leave a
// tombstone (:Thread:Deleted {id, deletedAt}) so late writes cannot revive it.
// mode: write
// params: threadId, now
// returns: objectKeys (stored files to remove), existed
MERGE (t:Thread {id: $threadId})
SET t._lock = true
REMOVE t._lock
WITH t, NOT t:Deleted AND t.createdAt IS NOT NULL AS existed
CALL (t) {
  OPTIONAL MATCH (t)-[:CONTAINS]->(:Step)<-[:RATED]-(f:Feedback)
  DETACH DELETE f
}
CALL (t) {
  OPTIONAL MATCH (t)-[:CONTAINS]->(e:Element)
  WITH collect(e) AS elements, collect(e.objectKey) AS objectKeys
  FOREACH (e IN elements | DETACH DELETE e)
  RETURN objectKeys
}
CALL (t) {
  OPTIONAL MATCH (t)-[:CONTAINS]->(s:Step)
  DETACH DELETE s
}
CALL (t) {
  OPTIONAL MATCH (t)-[r]-()
  DELETE r
}
SET t = {id: t.id, deletedAt: datetime($now)}
SET t:Deleted
REMOVE t:AnalyticsStale
RETURN objectKeys, existed
