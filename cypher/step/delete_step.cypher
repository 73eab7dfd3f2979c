// Delete a step and all its descendants, with their elements and feedback, in one transaction,
// then recompute the thread's last activity from the messages left. Locks the thread (marking
// it :AnalyticsStale) first, then finds the step again: a delete or a purge that committed
// while this waited for the lock has taken it. A step of a deleted thread is left to
// thread/purge_deleted.
// mode: write
// params: stepId
// returns: objectKeys (stored files to remove), deleted (number of steps)
MATCH (found:Step {id: $stepId})
WITH found.threadId AS threadId
OPTIONAL MATCH (t:Thread {id: threadId})
SET t._lock = true
REMOVE t._lock
WITH t, threadId
WHERE t IS NULL OR NOT t:Deleted
SET t:AnalyticsStale
WITH t, threadId
MATCH (root:Step {id: $stepId})  // again, under the lock, and still of the locked thread
WHERE threadId IS NULL OR root.threadId = threadId
MATCH (root)-[:PARENT_OF*0..]->(s:Step)
WITH t, collect(DISTINCT s) AS steps
CALL (steps) {
  UNWIND steps AS s
  OPTIONAL MATCH (s)-[:CONTAINS]->(e:Element)
  OPTIONAL MATCH (f:Feedback)-[:RATED]->(s)
  WITH collect(DISTINCT e) AS elements, collect(DISTINCT f) AS feedback,
       collect(DISTINCT e.objectKey) AS objectKeys
  FOREACH (x IN elements | DETACH DELETE x)
  FOREACH (x IN feedback | DETACH DELETE x)
  RETURN objectKeys
}
FOREACH (s IN steps | DETACH DELETE s)
WITH t, objectKeys, size(steps) AS deleted
CALL (t) {
  WITH t WHERE t IS NOT NULL
  OPTIONAL MATCH (t)-[:CONTAINS]->(m:Step)
  WHERE m.type ENDS WITH '_message'
  WITH t, max(m.createdAt) AS last
  SET t.lastMessageAt = last, t.lastActivity = coalesce(last, t.createdAt)
}
RETURN objectKeys, deleted
