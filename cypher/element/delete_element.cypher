// Delete an element, scoped to a thread when threadId is given; returns its stored file's key.
// Locks its thread first, as writers do, then finds the element again (a delete or a purge
// that committed meanwhile has taken it); an element of a deleted thread is left to
// thread/purge_deleted.
// mode: write
// params: elementId, threadId
// returns: objectKey
MATCH (found:Element {id: $elementId})
WHERE $threadId IS NULL OR found.threadId = $threadId
WITH found.threadId AS threadId
OPTIONAL MATCH (t:Thread {id: threadId})
SET t._lock = true
REMOVE t._lock
WITH t, threadId
WHERE t IS NULL OR NOT t:Deleted
MATCH (e:Element {id: $elementId})  // again, under the lock, and still of the locked thread
WHERE threadId IS NULL OR e.threadId = threadId
WITH e, e.objectKey AS objectKey
DETACH DELETE e
RETURN objectKey
