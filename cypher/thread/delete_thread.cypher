// Delete a thread: in one transaction it becomes a content-free tombstone
// (:Thread:Deleted {id, deletedAt}, so late writes cannot revive it) that no read returns, and
// is labelled :Purge; its steps, elements and feedback stay hidden behind it until
// thread/purge_deleted removes them, in batches, after the call (graph_layer.purge). Freeing
// 2,350 nodes with their index entries in the call's own commit took 100-350 ms
// (docs/performance.md, change 27). Returns the stored files' keys (none for a thread
// deleted before) and whether a thread existed.
// mode: write
// params: threadId, now
// returns: objectKeys (stored files to remove), existed
MERGE (t:Thread {id: $threadId})
SET t._lock = true
REMOVE t._lock
WITH t, NOT t:Deleted AND t.createdAt IS NOT NULL AS existed
CALL (t, existed) {
  OPTIONAL MATCH (e:Element {threadId: t.id})
  WHERE existed AND e.objectKey IS NOT NULL
  RETURN collect(e.objectKey) AS objectKeys
}
CALL (t) {
  OPTIONAL MATCH ()-[r:AUTHORED]->(t)
  DELETE r
}
SET t = {id: t.id, deletedAt: coalesce(t.deletedAt, datetime($now))}
SET t:Deleted, t:Purge
REMOVE t:AnalyticsStale
RETURN objectKeys, existed
