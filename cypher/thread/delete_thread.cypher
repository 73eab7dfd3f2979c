// Delete a thread: in one transaction it becomes a tombstone (:Thread:Deleted {id, deletedAt},
// so late writes cannot revive it) without owner, name or metadata, labelled :Purge. Its
// steps, elements and feedback stay linked to it, and no call of the layer reads or writes
// them, until thread/purge_deleted frees them in batches after the call (graph_layer.purge):
// freeing a 2,000-step thread's 2,350 nodes with their index entries in the call's own
// commit took about 100-430 ms (docs/performance.md, change 27). Returns the keys of the
// stored files of its elements still in the graph (again when a delete is repeated before the
// purge: removing a file twice is harmless).
// mode: write
// params: threadId, now
// returns: objectKeys (stored files to remove)
MERGE (t:Thread {id: $threadId})
SET t._lock = true
REMOVE t._lock
WITH t
CALL (t) {
  OPTIONAL MATCH (e:Element {threadId: t.id})
  WHERE e.objectKey IS NOT NULL
  RETURN collect(e.objectKey) AS objectKeys
}
CALL (t) {
  OPTIONAL MATCH ()-[r:AUTHORED]->(t)
  DELETE r
}
SET t = {id: t.id, deletedAt: coalesce(t.deletedAt, datetime($now))}
SET t:Deleted, t:Purge
REMOVE t:AnalyticsStale
RETURN objectKeys
