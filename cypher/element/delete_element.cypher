// Delete an element, scoped to a thread when threadId is given; returns its stored file's key.
// mode: write
// params: elementId, threadId
// returns: objectKey
MATCH (e:Element {id: $elementId})
WHERE $threadId IS NULL OR e.threadId = $threadId
WITH e, e.objectKey AS objectKey
DETACH DELETE e
RETURN objectKey
