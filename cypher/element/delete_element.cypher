// Delete an element, scoped to a thread when threadId is given; returns its stored file's key.
// Locks its thread first, as writers do; an element of a deleted thread is left to
// thread/purge_deleted.
// mode: write
// params: elementId, threadId
// returns: objectKey
MATCH (e:Element {id: $elementId})
WHERE $threadId IS NULL OR e.threadId = $threadId
OPTIONAL MATCH (t:Thread {id: e.threadId})
SET t._lock = true
REMOVE t._lock
WITH e, t
WHERE t IS NULL OR NOT t:Deleted
WITH e, e.objectKey AS objectKey
DETACH DELETE e
RETURN objectKey
