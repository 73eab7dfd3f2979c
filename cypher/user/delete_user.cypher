// Delete a user and everything of theirs in one transaction: the feedback on their threads'
// steps, their elements, steps and the user node; their threads become tombstones
// (:Thread:Deleted {id, deletedAt}) so late writes from open sessions cannot revive them.
// Nothing outside the user's own threads is touched. No row back means no such user.
// mode: write
// params: identifier, now
// returns: threads, steps, elements, feedback, objectKeys (stored files to remove)
MATCH (u:User {identifier: $identifier})
OPTIONAL MATCH (u)-[:AUTHORED]->(owned:Thread)
WITH u, owned ORDER BY owned.id  // threads are locked in id order, as batched writes lock them
WITH u, collect(owned) AS threads
FOREACH (t IN threads | SET t._lock = true REMOVE t._lock)
WITH u, threads
CALL (threads) {
  UNWIND threads AS t
  OPTIONAL MATCH (t)-[:CONTAINS]->(:Step)<-[:RATED]-(f:Feedback)
  WITH collect(DISTINCT f) AS feedback
  FOREACH (f IN feedback | DETACH DELETE f)
  RETURN size(feedback) AS feedback
}
CALL (threads) {
  UNWIND threads AS t
  OPTIONAL MATCH (t)-[:CONTAINS]->(e:Element)
  WITH collect(DISTINCT e) AS elements
  WITH elements, [e IN elements WHERE e.objectKey IS NOT NULL | e.objectKey] AS objectKeys
  FOREACH (e IN elements | DETACH DELETE e)
  RETURN size(elements) AS elements, objectKeys
}
CALL (threads) {
  UNWIND threads AS t
  OPTIONAL MATCH (t)-[:CONTAINS]->(s:Step)
  WITH collect(DISTINCT s) AS steps
  FOREACH (s IN steps | DETACH DELETE s)
  RETURN size(steps) AS steps
}
WITH u, threads, steps, elements, feedback, objectKeys
FOREACH (t IN threads | SET t = {id: t.id, deletedAt: datetime($now)} SET t:Deleted REMOVE t:AnalyticsStale)
DETACH DELETE u  // its AUTHORED links; the threads' CONTAINS went with their steps/elements
RETURN size(threads) AS threads, steps, elements, feedback, objectKeys
